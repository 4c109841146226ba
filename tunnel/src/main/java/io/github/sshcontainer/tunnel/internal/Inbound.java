package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.Session;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One connection's remote-to-local direction, set as its JSch channel's output stream.
 *
 * <p>JSch's session thread calls {@link #write}: when nothing is queued, the bytes go straight into
 * the local socket (non-blocking, no hand-off); whatever the socket does not take waits in this
 * connection's own queue, which the {@link LocalWriter} drains once the socket is writable. The
 * session thread never blocks here, so a local client that stops reading stalls only itself.
 *
 * <p>Window, as OpenSSH keeps it: the peer is granted more only for bytes the local socket has
 * taken ({@link WindowGate#grant}), once a quarter of the window has been consumed. So the bytes
 * queued here never exceed the window. The window starts at {@code initial} and grows fourfold,
 * up to {@code max}, each time a grant finds under half a window queued (the client keeps up): bulk
 * streams reach the full window within a few round trips, while a connection that stalls holds
 * at most the window it had.
 *
 * <p>Bytes that arrive before a local connection is attached (a channel opened ahead of time)
 * are queued the same way. JSch closes this stream on the remote EOF and when the channel
 * closes; that EOF reaches the local client after every queued byte.
 */
final class Inbound extends OutputStream implements LocalWriter.Drain {
  private static final int GROWTH = 4;

  /** The connection this direction belongs to, as far as this direction needs it. */
  interface Owner {
    /** Every byte reached the local client and the remote end sent EOF (or closed). */
    void remoteEof();

    /** The local socket failed: close the whole connection. */
    void close();
  }

  private final Channel channel;
  private final Session session;
  private final int maxWindow;
  /** Grants follow consumption ({@link WindowGate}); false: JSch grants, and we block. */
  private final boolean gated;

  // guarded by this
  private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
  private long queued;
  private int ungranted;
  private int window;
  private boolean remoteEof;
  private boolean eofDelivered;
  private boolean discarded;
  private SocketChannel local;
  private Owner owner;
  private LocalWriter writer;

  Inbound(Channel channel, Session session, int initialWindow, int maxWindow, boolean gated) {
    this.channel = channel;
    this.session = session;
    this.gated = gated;
    this.window = initialWindow;
    this.maxWindow = Math.max(initialWindow, maxWindow);
  }

  /**
   * Joins this direction to a local socket, which must be in non-blocking mode: bytes queued so
   * far are sent first, and an EOF that came before is delivered after them.
   */
  void attach(SocketChannel socket, Owner conn, LocalWriter drains) {
    boolean pending;
    boolean eofNow;
    synchronized (this) {
      local = socket;
      owner = conn;
      writer = drains;
      pending = !queue.isEmpty();
      eofNow = !pending && takeEof();
    }
    if (pending) {
      drains.want(this, socket);
    }
    if (eofNow) {
      conn.remoteEof();
    }
  }

  /** True if the remote end sent EOF or closed the channel (a spare is no longer fresh then). */
  synchronized boolean remoteEof() {
    return remoteEof;
  }

  /** Bytes waiting for the local client. */
  synchronized long queued() {
    return queued;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  /** JSch's session thread delivers a channel data packet. Never blocks on the local socket. */
  @Override
  public void write(byte[] b, int off, int len) {
    if (gated) {
      WindowGate.holdBack(channel, len);
    }
    int grant;
    boolean failed = false;
    boolean wantDrain = false;
    SocketChannel socket;
    synchronized (this) {
      if (discarded) {
        return;
      }
      socket = local;
      int fromQueue = 0;
      int direct = 0;
      if (socket != null) {
        try {
          // the client may have caught up: flush what waits, then write this packet directly
          if (!queue.isEmpty()) {
            fromQueue = flushQueue();
          }
          if (queue.isEmpty()) {
            direct = socket.write(ByteBuffer.wrap(b, off, len));
          }
        } catch (IOException e) {
          failed = true;
        }
      }
      if (!failed && direct < len) {
        boolean wasEmpty = queue.isEmpty();
        queue.add(ByteBuffer.wrap(Arrays.copyOfRange(b, off + direct, off + len)));
        queued += len - direct;
        wantDrain = socket != null && wasEmpty;
      }
      int sent = fromQueue + direct;
      grant = consumed(sent);
    }
    if (failed) {
      owner.close();
      return;
    }
    if (gated && grant > 0) {
      WindowGate.grant(session, channel, grant);
    }
    if (wantDrain) {
      writer.want(this, socket);
    }
    if (!gated) {
      blockWhileFull(); // the fallback: bounded memory, no isolation; the writer is armed
    }
  }

  private synchronized void blockWhileFull() {
    while (queued > window && !discarded) {
      try {
        wait(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Writes queued bytes to the local socket until it would block; runs on the writer thread.
   * Returns true while bytes remain (the writer keeps waiting for the socket to be writable).
   */
  @Override
  public boolean drain() {
    int grant;
    boolean failed = false;
    boolean more;
    boolean eofNow;
    Owner conn;
    synchronized (this) {
      if (discarded || local == null) {
        return false;
      }
      conn = owner;
      int sent = 0;
      try {
        sent = flushQueue();
      } catch (IOException e) {
        failed = true;
      }
      grant = consumed(sent);
      more = !failed && !queue.isEmpty();
      eofNow = !failed && !more && takeEof();
      notifyAll();
    }
    if (failed) {
      conn.close();
      return false;
    }
    if (gated && grant > 0) {
      WindowGate.grant(session, channel, grant);
    }
    if (eofNow) {
      conn.remoteEof();
    }
    return more;
  }

  /** Writes queued bytes until the socket would block; returns how many. Guarded by this. */
  private int flushQueue() throws IOException {
    int sent = 0;
    try {
      while (!queue.isEmpty()) {
        ByteBuffer head = queue.peek();
        int before = head.remaining();
        local.write(head);
        sent += before - head.remaining();
        if (head.hasRemaining()) {
          break;
        }
        queue.poll();
      }
    } finally {
      queued -= sent;
    }
    return sent;
  }

  /** Counts consumed bytes; returns what to grant now (0 for nothing). Guarded by this. */
  private int consumed(int n) {
    if (!gated) {
      return 0; // JSch grants the window itself, and the window stays what it opened with
    }
    ungranted += n;
    if (ungranted < window / 4) {
      return 0;
    }
    int extra = 0;
    // the client keeps up (holds under half the window): the window, not the client, limits
    // the stream, so grow it; a stalled client grants nothing and so never grows its window
    if (queued <= window / 2 && window < maxWindow) {
      extra = (int) Math.min((long) maxWindow - window, (long) window * (GROWTH - 1));
      window += extra;
    }
    int g = ungranted + extra;
    ungranted = 0;
    return g;
  }

  /** True once, when the EOF is due for delivery. Guarded by this. */
  private boolean takeEof() {
    if (!remoteEof || eofDelivered || local == null) {
      return false;
    }
    eofDelivered = true;
    return true;
  }

  @Override
  public void flush() {
    // write() already hands every byte on
  }

  /** JSch: the remote end sent EOF, or the channel closed. */
  @Override
  public void close() {
    boolean eofNow;
    Owner conn;
    synchronized (this) {
      remoteEof = true;
      conn = owner;
      eofNow = queue.isEmpty() && takeEof();
    }
    if (eofNow) {
      conn.remoteEof();
    }
  }

  /** Drops what is queued; later data is ignored. The connection is closing. */
  void discard() {
    synchronized (this) {
      discarded = true;
      queue.clear();
      queued = 0;
      notifyAll();
    }
  }
}
