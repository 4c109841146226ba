package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP port on 127.0.0.1 in front of one of the lab's Unix far ends (echo, source, discard):
 * each connection is relayed to a connection of its own there. The TCP forward scenarios use it
 * as the server, so the direct path, {@code ssh -L} and the tunnel's forward all end at the same
 * relay and the relay's cost is in every column.
 */
final class TcpFarEnd implements AutoCloseable {
  private final ServerSocketChannel server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "bench-tcp-far-end");
    t.setDaemon(true);
    return t;
  });

  private TcpFarEnd(ServerSocketChannel server) {
    this.server = server;
  }

  static TcpFarEnd start(Path unixFarEnd) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    TcpFarEnd f = new TcpFarEnd(s);
    f.threads.execute(() -> f.acceptLoop(UnixDomainSocketAddress.of(unixFarEnd)));
    return f;
  }

  int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
  }

  private void acceptLoop(UnixDomainSocketAddress far) {
    while (server.isOpen()) {
      try {
        SocketChannel in = server.accept();
        in.socket().setTcpNoDelay(true);
        SocketChannel out = SocketChannel.open(far);
        AtomicInteger running = new AtomicInteger(2);
        threads.execute(() -> pump(in, out, running));
        threads.execute(() -> pump(out, in, running));
      } catch (IOException e) {
        return;
      }
    }
  }

  /** One direction; the second of the pair to end closes both sockets. */
  private static void pump(SocketChannel from, SocketChannel to, AtomicInteger running) {
    ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
    try {
      while (from.read(b) >= 0) {
        b.flip();
        while (b.hasRemaining()) {
          to.write(b);
        }
        b.clear();
      }
      to.shutdownOutput();
      if (running.decrementAndGet() == 0) {
        closeQuietly(from);
        closeQuietly(to);
      }
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
