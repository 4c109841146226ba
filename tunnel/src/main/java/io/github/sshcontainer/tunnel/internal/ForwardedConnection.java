package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local connection joined to one SSH channel, in non-blocking mode.
 *
 * <p>Local to remote runs on this connection's pump thread, which waits for input on its own
 * selector and writes into the channel; JSch blocks that thread, and only it, while the peer's
 * window is exhausted, so a remote end that stops reading stalls only its own connection.
 * Remote to local is the channel's {@link Inbound}. Each direction ends on its own: the local
 * client's EOF becomes SSH EOF, the remote EOF (after every queued byte) becomes a shutdown of
 * the local socket's output, and the connection closes when both have happened, or at once on an
 * error.
 */
final class ForwardedConnection {
  private static final Logger log = LoggerFactory.getLogger(ForwardedConnection.class);
  /**
   * Just under one SSH packet: OpenSSH grants 32 KiB packets, and JSch's channel stream needs
   * room for its header and MAC, so a 32 KiB read would go out as a full packet plus a tiny one.
   */
  private static final int READ_BUFFER = 32 * 1024 - 512;
  /** How long the pump waits for input before it looks at the closed flag again. */
  private static final long READ_POLL_MS = 1000;

  private final SocketChannel local;
  private final Channel channel;
  private final Inbound inbound;
  private final LocalWriter writer;
  private final Consumer<ForwardedConnection> onClosed;
  private final Runnable release;
  private Runnable afterFirstSend;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Selector pumpSelector;
  private boolean localEof;
  private boolean remoteEof;

  ForwardedConnection(SocketChannel local, RemoteChannels.Opened opened, LocalWriter writer,
      Consumer<ForwardedConnection> onClosed) throws IOException {
    this.local = local;
    this.channel = opened.channel();
    this.inbound = opened.inbound();
    this.release = opened.release();
    this.writer = writer;
    this.onClosed = onClosed;
    local.configureBlocking(false);
  }

  /**
   * Runs {@code r} once, on the pump thread, right after the connection's first bytes went out
   * (or when it ends without sending any).
   */
  void afterFirstSend(Runnable r) {
    this.afterFirstSend = r;
  }

  private void firstSendDone() {
    Runnable r = afterFirstSend;
    if (r != null) {
      afterFirstSend = null;
      r.run();
    }
  }

  /** Starts delivering remote bytes; call once the connection is registered with its owner. */
  void attach() {
    inbound.attach(local, this, writer);
  }

  /** Copies local to remote until the local client's EOF; runs on the pump thread. */
  void pumpLocalToRemote() {
    Selector selector = PumpResources.current();
    SelectionKey key = null;
    try {
      OutputStream out = channel.getOutputStream();
      ByteBuffer buf = PumpResources.buffer(READ_BUFFER);
      // after a short read the socket is almost surely drained: wait first, then read once,
      // instead of a read that finds nothing (a request/response client sends, then waits)
      boolean drained = false;
      while (true) {
        if (drained) {
          if (key == null) {
            pumpSelector = selector;
            key = local.register(selector, SelectionKey.OP_READ);
          }
          if (closed.get()) {
            return;
          }
          selector.select(READ_POLL_MS);
          selector.selectedKeys().clear();
        }
        int n = local.read(buf);
        if (n < 0) {
          break;
        }
        drained = n < buf.capacity();
        if (n == 0) {
          continue;
        }
        out.write(buf.array(), 0, n);
        out.flush();
        firstSendDone();
        // JSch drops data silently on a closed channel; notice it here
        if (channel.isClosed()) {
          close();
          return;
        }
        buf.clear();
      }
      out.close(); // sends SSH_MSG_CHANNEL_EOF; the other direction keeps flowing
      boolean both;
      synchronized (this) {
        localEof = true;
        both = remoteEof;
      }
      if (both) {
        close();
      }
    } catch (IOException | RuntimeException e) {
      log.trace("forwarded connection ends: {}", e.toString());
      close();
    } finally {
      PumpResources.release(key);
      firstSendDone();
    }
  }

  /** Every remote byte reached the local client and the remote end sent EOF or closed. */
  void remoteEof() {
    if (channel.isClosed()) {
      close();
      return;
    }
    boolean both;
    synchronized (this) {
      remoteEof = true;
      both = localEof;
    }
    try {
      local.shutdownOutput();
    } catch (IOException e) {
      close();
      return;
    }
    if (both) {
      close();
    }
  }

  /** Bytes from the remote end waiting for the local client. */
  long queued() {
    return inbound.queued();
  }

  /** Closes both ends at once. Idempotent, safe from any thread. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    inbound.discard();
    boolean registered = writer.knows(local); // most connections never fell behind
    try {
      local.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    Selector s = pumpSelector;
    if (s != null) {
      s.wakeup();
    }
    if (registered) {
      writer.forget();
    }
    try {
      channel.disconnect();
    } catch (RuntimeException ignored) {
      // the session may be gone already
    }
    release.run();
    onClosed.accept(this);
  }
}
