package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local connection joined to one SSH channel, in non-blocking mode.
 *
 * <p>Local to remote runs on the tunnel's {@link LocalEventLoop}, which calls {@link #readable}
 * when the local socket has input and the channel has window for it; without the loop (JSch's
 * window fields out of reach) on this connection's own pump thread ({@link #pumpLocalToRemote}),
 * which JSch blocks, and only it, while the peer's window is exhausted. Either way a remote end
 * that stops reading stalls only its own connection.
 * Remote to local is the channel's {@link Inbound}. Each direction ends on its own: the local
 * client's EOF becomes SSH EOF, the remote EOF (after every queued byte) becomes a shutdown of
 * the local socket's output, and the connection closes when both have happened, or at once on an
 * error.
 */
final class ForwardedConnection implements Inbound.Owner {
  private static final Logger log = LoggerFactory.getLogger(ForwardedConnection.class);
  /**
   * Just under one SSH packet: OpenSSH grants 32 KiB packets, and JSch's channel stream needs
   * room for its header and MAC, so a 32 KiB read would go out as a full packet plus a tiny one.
   */
  static final int READ_BUFFER = 32 * 1024 - 512;
  /** How long the pump waits for input before it looks at the closed flag again. */
  private static final long READ_POLL_MS = 1000;

  /** What a read on the event loop leaves to do. */
  enum Step {
    /** Nothing: read again when there is input. */
    MORE,
    /** This direction has ended (local EOF sent on, or the connection closed). */
    DONE,
    /** Bytes wait for the peer's window: {@link #sendPending()} them off the loop. */
    WAIT
  }

  private final SocketChannel local;
  private final Channel channel;
  private final Inbound inbound;
  private final LocalWriter writer;
  private final Consumer<ForwardedConnection> onClosed;
  private final Runnable release;
  private final OutputStream out;
  /** Pokes whatever still watches the local socket, once it is closed (may be null). */
  private final Runnable afterLocalClose;
  private Runnable afterFirstSend;
  /** Bytes read on the loop that wait for the peer's window; handed to one thread at a time. */
  private byte[] pending;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Selector pumpSelector;
  private boolean localEof;
  private boolean remoteEof;

  /**
   * @param afterLocalClose run once the local socket is closed, from the closing thread (lets the
   *     event loop free its descriptor now); may be null
   */
  ForwardedConnection(SocketChannel local, RemoteChannels.Opened opened, LocalWriter writer,
      Consumer<ForwardedConnection> onClosed, Runnable afterLocalClose) throws IOException {
    this.local = local;
    this.channel = opened.channel();
    this.inbound = opened.inbound();
    this.release = opened.release();
    this.writer = writer;
    this.onClosed = onClosed;
    this.afterLocalClose = afterLocalClose;
    this.out = channel.getOutputStream(); // JSch makes a new stream (and buffer) per call
    local.configureBlocking(false);
  }

  SocketChannel local() {
    return local;
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

  /**
   * The event loop: the local socket has input. Reads once, at most what the peer's window takes
   * now, and sends it; with no window left it keeps the bytes for {@link #sendPending}.
   */
  Step readable(ByteBuffer buf) {
    if (closed.get()) {
      return Step.DONE;
    }
    long window = WindowGate.remoteWindow(channel);
    buf.clear();
    if (window > 0 && window < buf.capacity()) {
      buf.limit((int) window);
    }
    int n;
    try {
      n = local.read(buf);
    } catch (IOException e) {
      close();
      return Step.DONE;
    }
    if (n < 0) {
      localEof();
      return Step.DONE;
    }
    if (n == 0) {
      return Step.MORE;
    }
    if (window <= 0) {
      pending = Arrays.copyOf(buf.array(), n);
      return Step.WAIT;
    }
    return send(buf.array(), n) ? Step.MORE : Step.DONE;
  }

  /**
   * Sends what {@link #readable} kept, waiting in JSch for the peer's window; off the loop.
   * Returns true if the connection goes on (the loop may read it again).
   */
  boolean sendPending() {
    byte[] p = pending;
    pending = null;
    return p != null && send(p, p.length);
  }

  private boolean send(byte[] b, int n) {
    try {
      out.write(b, 0, n);
      out.flush();
    } catch (IOException | RuntimeException e) {
      log.trace("forwarded connection ends: {}", e.toString());
      close();
      return false;
    }
    firstSendDone();
    // JSch drops data silently on a closed channel; notice it here
    if (channel.isClosed()) {
      close();
      return false;
    }
    return true;
  }

  /** The local client's EOF: SSH EOF on the channel; the other direction keeps flowing. */
  private void localEof() {
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      close();
      return;
    } finally {
      firstSendDone();
    }
    boolean both;
    synchronized (this) {
      localEof = true;
      both = remoteEof;
    }
    if (both) {
      close();
    }
  }

  /** Copies local to remote until the local client's EOF; runs on the pump thread. */
  void pumpLocalToRemote() {
    Selector selector = PumpResources.current();
    SelectionKey key = null;
    try {
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
  @Override
  public void remoteEof() {
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
  @Override
  public void close() {
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
    if (afterLocalClose != null) {
      afterLocalClose.run();
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
