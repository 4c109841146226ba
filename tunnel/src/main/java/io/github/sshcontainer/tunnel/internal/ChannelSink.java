package io.github.sshcontainer.tunnel.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Where JSch's session thread delivers a channel's incoming bytes: straight into the local socket
 * (one copy, no hand-off). Until a local connection is attached (a channel opened ahead of time)
 * bytes are kept in memory. JSch closes the sink on the remote EOF and when the channel closes.
 */
final class ChannelSink extends OutputStream {
  private volatile SocketChannel target;
  private ByteArrayOutputStream pending;
  private volatile ForwardedConnection owner;
  private volatile boolean closedBeforeAttach;

  /** Sends what arrived so far to {@code socket}, then everything that follows. */
  void attach(SocketChannel socket, ForwardedConnection owner) throws IOException {
    synchronized (this) {
      if (pending != null) {
        ByteBuffer b = ByteBuffer.wrap(pending.toByteArray());
        while (b.hasRemaining()) {
          socket.write(b);
        }
        pending = null;
      }
      this.owner = owner;
      this.target = socket;
    }
    if (closedBeforeAttach) {
      owner.remoteEof();
    }
  }

  /** True if the remote end sent EOF or closed while nothing was attached. */
  boolean closedBeforeAttach() {
    return closedBeforeAttach;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    SocketChannel t = target;
    if (t == null) {
      synchronized (this) {
        t = target;
        if (t == null) {
          if (pending == null) {
            pending = new ByteArrayOutputStream();
          }
          pending.write(b, off, len);
          return;
        }
      }
    }
    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
    while (buf.hasRemaining()) {
      t.write(buf);
    }
  }

  @Override
  public void flush() {
    // every write already reached the socket
  }

  @Override
  public void close() {
    ForwardedConnection o = owner;
    if (o == null) {
      closedBeforeAttach = true;
      return;
    }
    o.remoteEof();
  }
}
