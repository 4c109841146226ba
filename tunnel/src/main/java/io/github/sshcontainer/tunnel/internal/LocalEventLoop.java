package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread for a tunnel's local sockets, as OpenSSH's client has one event loop: it accepts on
 * the tunnel's listener and reads every forwarded connection's local socket, writing what it
 * reads into that connection's channel on the same thread. A request costs no hand-off to a
 * thread of its own, and one wakeup serves every connection that is ready.
 *
 * <p>The loop never waits for the peer: it reads a socket only up to the window the peer has
 * granted its channel ({@link WindowGate#remoteWindow}), so JSch's write never blocks here. A
 * connection whose window is used up has its bytes sent by an {@code Executor} thread, which
 * waits in JSch for the window while the loop goes on with the others; the loop reads that socket
 * again once they are out. So a remote end that stops reading stalls only its own connection.
 *
 * <p>Made only when {@link WindowGate#available()}: without JSch's window fields each connection
 * keeps a pump thread of its own ({@link ForwardedConnection#pumpLocalToRemote}).
 */
final class LocalEventLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalEventLoop.class);
  /** How long the loop sleeps without events before it looks at the closed flag again. */
  private static final long SELECT_MS = 1000;

  /** Takes a listener's new connection, on the loop thread. */
  interface AcceptHandler {
    void accepted(SocketChannel local);
  }

  private final String id;
  private final Selector selector;
  private final Executor waiting;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** The loop's read buffer: one, reused by every connection. */
  private final ByteBuffer buffer = ByteBuffer.allocate(ForwardedConnection.READ_BUFFER);
  private final Thread thread;
  private volatile boolean closed;

  /**
   * Starts the loop thread.
   *
   * @param waiting runs the sends that wait for the peer's window
   * @throws UncheckedIOException if no selector can be opened
   */
  LocalEventLoop(String id, TunnelThreads threads, Executor waiting) {
    this.id = id;
    this.waiting = waiting;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.thread = threads.start("loop", this::run);
  }

  /** Accepts on {@code server} from now on; {@code handler} runs on the loop thread. */
  void listen(ServerSocketChannel server, AcceptHandler handler) {
    execute(() -> {
      try {
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT, handler);
      } catch (IOException e) {
        log.warn("tunnel {}: cannot accept on {}: {}", id, server, e.toString());
      }
    });
  }

  /** Serves {@code conn}'s local-to-remote direction from now on; from any thread. */
  void add(ForwardedConnection conn) {
    if (Thread.currentThread() == thread) {
      register(conn);
    } else {
      execute(() -> register(conn));
    }
  }

  /**
   * {@code socket} was closed from another thread: if the loop still holds its key, lets it drop
   * the key now, since a closed socket's descriptor is released by the selector's next round.
   * Most connections end by the local client's EOF, whose key the loop has dropped already, so
   * closing them costs the loop no wakeup.
   */
  void release(SocketChannel socket) {
    if (Thread.currentThread() != thread && socket.keyFor(selector) != null) {
      selector.wakeup(); // several before the next round cost one
    }
  }

  private void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  private void register(ForwardedConnection conn) {
    SelectionKey key;
    try {
      key = conn.local().register(selector, SelectionKey.OP_READ, conn);
    } catch (ClosedChannelException | CancelledKeyException e) {
      conn.close();
      return;
    }
    step(key, conn); // a new client has usually sent its request already
  }

  private void run() {
    try {
      while (!closed) {
        selector.select(SELECT_MS);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          handle(key);
        }
      }
    } catch (IOException | ClosedSelectorException e) {
      if (!closed) {
        log.warn("tunnel {}: local event loop stopped: {}", id, e.toString());
      }
    } finally {
      for (SelectionKey key : selector.keys()) {
        if (key.attachment() instanceof ForwardedConnection conn) {
          conn.close();
        }
      }
      try {
        selector.close();
      } catch (IOException e) {
        log.warn("tunnel {}: closing the local event loop's selector failed: {}", id,
            e.toString());
      }
    }
  }

  private void handle(SelectionKey key) {
    try {
      if (!key.isValid()) {
        return;
      }
      if (key.isAcceptable()) {
        accept(key);
      } else if (key.isReadable()) {
        step(key, (ForwardedConnection) key.attachment());
      }
    } catch (CancelledKeyException e) {
      // the connection closed meanwhile
    }
  }

  private void accept(SelectionKey key) {
    SocketChannel local;
    try {
      local = ((ServerSocketChannel) key.channel()).accept();
    } catch (IOException e) {
      if (!closed && key.channel().isOpen()) {
        log.warn("tunnel {}: accept failed: {}", id, e.toString());
      }
      return;
    }
    if (local != null) {
      ((AcceptHandler) key.attachment()).accepted(local);
    }
  }

  /** One read of {@code conn}'s local socket, and what follows from it. */
  private void step(SelectionKey key, ForwardedConnection conn) {
    switch (conn.readable(buffer)) {
      case MORE -> { }
      case DONE -> key.cancel();
      case WAIT -> {
        key.interestOps(0);
        try {
          waiting.execute(() -> {
            if (conn.sendPending()) {
              execute(() -> resume(key));
            }
          });
        } catch (RejectedExecutionException closing) {
          conn.close();
        }
      }
    }
  }

  private void resume(SelectionKey key) {
    if (key.isValid()) {
      key.interestOps(SelectionKey.OP_READ);
    }
  }

  /** Stops the loop and waits for its thread; closes the connections still registered. */
  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
