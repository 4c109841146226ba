package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local connection joined to one SSH channel. Local to remote runs on this connection's pump
 * thread; remote to local runs on JSch's session thread through the {@link ChannelSink}. Each
 * direction ends on its own: the local client's EOF becomes SSH EOF, the remote EOF becomes a
 * shutdown of the local socket's output, and the connection closes when both have happened (or at
 * once on an error).
 */
final class ForwardedConnection {
  private static final Logger log = LoggerFactory.getLogger(ForwardedConnection.class);
  /**
   * Just under one SSH packet: OpenSSH grants 32 KiB packets, and JSch's channel stream needs
   * room for its header and MAC, so a 32 KiB read would go out as a full packet plus a tiny one.
   */
  private static final int READ_BUFFER = 32 * 1024 - 512;

  private final SocketChannel local;
  private final Channel channel;
  private final Runnable onClosed;
  private final AtomicBoolean closed = new AtomicBoolean();
  private boolean localEof;
  private boolean remoteEof;

  ForwardedConnection(SocketChannel local, RemoteChannels.Opened opened, Runnable onClosed)
      throws IOException {
    this.local = local;
    this.channel = opened.channel();
    this.onClosed = onClosed;
    opened.sink().attach(local, this);
  }

  /** Copies local to remote until the local client's EOF; runs on the pump thread. */
  void pumpLocalToRemote() {
    try {
      OutputStream out = channel.getOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
      int n;
      while ((n = local.read(buf)) >= 0) {
        if (n > 0) {
          out.write(buf.array(), 0, n);
          out.flush();
          // JSch drops data silently on a closed channel; notice it here
          if (channel.isClosed()) {
            close();
            return;
          }
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
    }
  }

  /** The remote end sent EOF or the channel closed; called by JSch's session thread. */
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

  boolean isClosed() {
    return closed.get();
  }

  /** Closes both ends at once. Idempotent, safe from any thread. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      local.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      channel.disconnect();
    } catch (RuntimeException ignored) {
      // the session may be gone already
    }
    onClosed.run();
  }
}
