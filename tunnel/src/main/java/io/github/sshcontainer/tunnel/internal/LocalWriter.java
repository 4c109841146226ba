package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread per tunnel that writes queued remote bytes to local sockets once they can
 * take them. Only connections whose client reads slower than the remote end sends come here; the
 * rest are written directly by JSch's session thread ({@link Inbound#write}), so the thread and
 * its selector are made only when the first client falls behind: an idle tunnel has none.
 */
final class LocalWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalWriter.class);

  /** Bytes queued for one local socket. */
  interface Drain {
    /** Writes queued bytes until the socket would block; true while bytes remain. */
    boolean drain();
  }

  private final TunnelThreads threads;
  private final ConcurrentLinkedQueue<Want> wanted = new ConcurrentLinkedQueue<>();
  // made on first use, under this; read without the lock once set
  private volatile Selector selector;
  private Thread thread;
  private volatile boolean closed;

  private record Want(Drain queue, SocketChannel socket) {}

  LocalWriter(TunnelThreads threads) {
    this.threads = threads;
  }

  /** {@code queue} has bytes for {@code socket}: drain them when it is writable. */
  void want(Drain queue, SocketChannel socket) {
    wanted.add(new Want(queue, socket));
    Selector s = selector;
    if (s == null) {
      s = start();
    }
    if (s != null) {
      s.wakeup();
    }
  }

  private synchronized Selector start() {
    if (selector == null && !closed) {
      try {
        Selector s = Selector.open();
        thread = threads.start("writer", () -> run(s));
        selector = s;
      } catch (IOException e) {
        log.error("cannot open a selector; slow local clients will not be served: {}",
            e.toString());
      }
    }
    return selector;
  }

  /**
   * True if {@code socket} was ever handed to this writer; then, once it is closed, call {@link
   * #forget()} so the selector drops its key and the descriptor is freed.
   */
  boolean knows(SocketChannel socket) {
    Selector s = selector;
    return s != null && socket.keyFor(s) != null;
  }

  /** Lets the selector drop the keys of closed sockets now, so their descriptors are freed. */
  void forget() {
    Selector s = selector;
    if (s != null) {
      s.wakeup();
    }
  }

  private void run(Selector selector) {
    try {
      while (!closed) {
        selector.select();
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          try {
            if (key.isValid() && key.isWritable() && !((Drain) key.attachment()).drain()) {
              key.interestOps(0);
            }
          } catch (CancelledKeyException e) {
            // the connection closed meanwhile
          }
        }
        Want w;
        while ((w = wanted.poll()) != null) {
          register(selector, w);
        }
      }
    } catch (IOException | ClosedSelectorException e) {
      if (!closed) {
        log.warn("local writer stopped: {}", e.toString());
      }
    }
  }

  private void register(Selector selector, Want w) {
    try {
      SelectionKey key = w.socket().keyFor(selector);
      if (key == null) {
        w.socket().register(selector, SelectionKey.OP_WRITE, w.queue());
      } else {
        key.interestOps(SelectionKey.OP_WRITE);
      }
    } catch (ClosedChannelException | CancelledKeyException e) {
      // the connection closed meanwhile
    }
  }

  @Override
  public void close() {
    Selector s;
    Thread t;
    synchronized (this) {
      closed = true;
      s = selector;
      t = thread;
    }
    if (s == null) {
      return;
    }
    s.wakeup();
    try {
      t.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      s.close();
    } catch (IOException e) {
      log.warn("closing the local writer's selector failed: {}", e.toString());
    }
  }
}
