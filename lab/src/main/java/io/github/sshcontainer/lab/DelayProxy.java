package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on 127.0.0.1 that delays every byte by a fixed one-way time in each direction: WAN
 * latency without {@code tc netem}. It can also freeze (hold all traffic) to emulate a stalled
 * network. Bandwidth is not limited; at most 32 MiB per direction is held in flight.
 */
public final class DelayProxy implements AutoCloseable {
  private static final int MAX_IN_FLIGHT = 32 << 20;

  private record Chunk(long dueNanos, byte[] data) {}

  private final ServerSocketChannel server;
  private final InetSocketAddress target;
  private final long delayNanos;
  private final Set<SocketChannel> sockets = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean frozen;
  private volatile boolean closed;

  private DelayProxy(int targetPort, Duration oneWay) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.delayNanos = oneWay.toNanos();
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    acceptor = new Thread(this::acceptLoop, "lab-delay-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Proxies 127.0.0.1:{@code targetPort}, adding {@code oneWay} in each direction. */
  public static DelayProxy start(int targetPort, Duration oneWay) {
    try {
      return new DelayProxy(targetPort, oneWay);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
  }

  /** Holds (true) or releases (false) all traffic; held bytes are delivered when released. */
  public void freeze(boolean freeze) {
    this.frozen = freeze;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel client = server.accept();
        SocketChannel upstream = SocketChannel.open(target);
        client.socket().setTcpNoDelay(true);
        upstream.socket().setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        if (!closed) {
          Sshd.sleep(10);
        }
      }
    }
  }

  private void pipe(SocketChannel from, SocketChannel to) {
    LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    Semaphore budget = new Semaphore(MAX_IN_FLIGHT);
    Thread reader = new Thread(() -> {
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      try {
        int n;
        while ((n = from.read(buf)) >= 0) {
          byte[] data = new byte[n];
          buf.flip().get(data);
          buf.clear();
          budget.acquire(n);
          queue.add(new Chunk(System.nanoTime() + delayNanos, data));
        }
      } catch (IOException | InterruptedException e) {
        // connection over
      }
      queue.add(new Chunk(System.nanoTime() + delayNanos, null));
    }, "lab-delay-read");
    Thread writer = new Thread(() -> {
      try {
        while (true) {
          Chunk c = queue.poll(1, TimeUnit.SECONDS);
          if (c == null) {
            if (closed) {
              return;
            }
            continue;
          }
          long wait;
          while ((wait = c.dueNanos - System.nanoTime()) > 0 || frozen) {
            if (closed) {
              return;
            }
            LockSupport.parkNanos(frozen ? 1_000_000 : wait);
          }
          if (c.data == null) {
            to.shutdownOutput();
            return;
          }
          ByteBuffer b = ByteBuffer.wrap(c.data);
          while (b.hasRemaining()) {
            to.write(b);
          }
          budget.release(c.data.length);
        }
      } catch (IOException | InterruptedException e) {
        close(from);
        close(to);
      }
    }, "lab-delay-write");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private void close(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    sockets.remove(c);
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (SocketChannel c : sockets) {
      close(c);
    }
    try {
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
