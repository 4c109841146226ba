package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts local connections, leader/follower style on the pump pool: the thread that accepts a
 * connection first hands the listener to another pool thread, then serves the connection itself,
 * so no thread hand-off sits between a client's connect and its first byte going out.
 */
final class Acceptor {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");

  /**
   * Serves one accepted connection with a spare channel (or null; always null without spares)
   * on the calling thread.
   */
  interface Handler {
    void serve(SocketChannel local, RemoteChannels.Opened spare);
  }

  private final String id;
  private final LocalListener listener;
  private final SpareChannels spares;
  private final ExecutorService pool;
  private final Handler handler;
  private final AtomicInteger accepting = new AtomicInteger();
  private volatile boolean closed;

  Acceptor(String id, LocalListener listener, SpareChannels spares, ExecutorService pool,
      Handler handler) {
    this.id = id;
    this.listener = listener;
    this.spares = spares;
    this.pool = pool;
    this.handler = handler;
  }

  /** Puts a thread on the listener; false if the pool is shutting down. */
  boolean start() {
    if (closed) {
      return false;
    }
    try {
      pool.execute(this::acceptOne);
      return true;
    } catch (RejectedExecutionException closing) {
      return false;
    }
  }

  void close() {
    closed = true;
  }

  /**
   * After the listener is closed: waits, at most {@code deadline}, until no thread is inside
   * {@code accept}. A thread blocked there holds the listening socket open in the kernel until
   * it is scheduled again, so without this a closed TCP forward can still complete a client's
   * handshake, and its port cannot be bound again, for a moment after close returns.
   */
  void awaitIdle(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (accepting.get() > 0 && System.nanoTime() < end) {
      LockSupport.parkNanos(100_000);
    }
  }

  private void acceptOne() {
    Thread me = Thread.currentThread();
    String poolName = me.getName();
    me.setName(TunnelThreads.PREFIX + id + "-accept");
    SocketChannel local;
    try {
      local = acceptNext();
    } finally {
      me.setName(poolName);
    }
    if (local == null) {
      return;
    }
    RemoteChannels.Opened spare = spares == null ? null : spares.take();
    if (!start()) {
      closeQuietly(local);
      if (spare != null) {
        spare.discard();
      }
      return;
    }
    handler.serve(local, spare);
  }

  private SocketChannel acceptNext() {
    accepting.incrementAndGet();
    try {
      return acceptUntilClosed();
    } finally {
      accepting.decrementAndGet();
    }
  }

  private SocketChannel acceptUntilClosed() {
    while (!closed) {
      try {
        return listener.accept();
      } catch (ClosedChannelException e) {
        return null;
      } catch (IOException e) {
        if (closed) {
          return null;
        }
        log.warn("tunnel {}: accept failed: {}", id, e.toString());
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          return null;
        }
      }
    }
    return null;
  }

  static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
