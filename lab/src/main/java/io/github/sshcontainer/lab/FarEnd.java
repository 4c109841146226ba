package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The far end of a tunnel in the lab: a Unix socket server on "the remote host" with a simple,
 * checkable behaviour. One thread per connection; everything stops on {@link #close()}.
 */
public final class FarEnd implements AutoCloseable {

  /** What the server does with a connection. */
  public enum Mode {
    /** Writes back every byte it reads; at end of input it shuts its output and closes. */
    ECHO,
    /**
     * Reads to end of input, then answers with the byte count (8 bytes, big-endian) and the
     * SHA-256 of what it read (32 bytes), and closes.
     */
    COUNT,
    /** Reads to end of input, then answers with the byte count (8 bytes) only. */
    DISCARD,
    /**
     * Reads a byte count N (8 bytes), sends N bytes of {@link Pattern}, shuts its output, then
     * reads to end of input and reports what it read through {@link #received()}.
     */
    SOURCE,
    /** Closes every connection at once without reading. */
    SLAM,
    /**
     * The first byte chooses, so that one tunnel can carry different kinds of connection at
     * once: {@code 'E'} echo as {@link #ECHO}, {@code 'S'} source as {@link #SOURCE} (the byte
     * count follows), {@code 'H'} hold: never read again, keep the connection open until the
     * client or the far end closes it.
     */
    MIXED
  }

  /** The first byte of a {@link Mode#MIXED} connection that asks for an echo. */
  public static final byte ECHO_REQUEST = 'E';
  /** The first byte of a {@link Mode#MIXED} connection that asks for a source (count follows). */
  public static final byte SOURCE_REQUEST = 'S';
  /** The first byte of a {@link Mode#MIXED} connection whose far end never reads. */
  public static final byte HOLD_REQUEST = 'H';

  /** What a SOURCE connection read after its own output was shut. */
  public record Received(long bytes, byte[] sha256) {}

  private final Path socket;
  private final Mode mode;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean closed;

  private FarEnd(Path socket, Mode mode) throws IOException {
    this.socket = socket;
    this.mode = mode;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket), 512);
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    acceptor = new Thread(this::acceptLoop, "lab-farend-" + mode.name().toLowerCase());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static FarEnd start(Path socket, Mode mode) {
    try {
      return new FarEnd(socket, mode);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve " + socket, e);
    }
  }

  public Path socket() {
    return socket;
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** The next report of a SOURCE connection, waiting at most {@code deadline}. */
  public Received received(Duration deadline) throws InterruptedException {
    Received r = received.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new IllegalStateException("no SOURCE connection finished within " + deadline);
    }
    return r;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel c = server.accept();
        accepted.incrementAndGet();
        open.add(c);
        Thread t = new Thread(() -> serve(c), "lab-farend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          Sshd.sleep(10);
        }
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      switch (mode) {
        case ECHO -> echo(c);
        case COUNT -> count(c, true);
        case DISCARD -> count(c, false);
        case SOURCE -> source(c);
        case SLAM -> { }
        case MIXED -> mixed(c);
        default -> throw new IllegalStateException(mode.name());
      }
    } catch (IOException | RuntimeException e) {
      // the client went away; nothing to report to it
    } finally {
      open.remove(c);
    }
  }

  private void mixed(SocketChannel c) throws IOException {
    ByteBuffer first = ByteBuffer.allocate(1);
    if (c.read(first) < 0) {
      return;
    }
    switch (first.get(0)) {
      case ECHO_REQUEST -> echo(c);
      case SOURCE_REQUEST -> source(c);
      case HOLD_REQUEST -> {
        while (!closed && c.isOpen()) {
          Sshd.sleep(50);
        }
      }
      default -> { }
    }
  }

  private static void echo(SocketChannel c) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (c.read(buf) >= 0) {
      buf.flip();
      while (buf.hasRemaining()) {
        c.write(buf);
      }
      buf.clear();
    }
    c.shutdownOutput();
  }

  private static void count(SocketChannel c, boolean digest) throws IOException {
    MessageDigest md = digest ? sha256() : null;
    ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
    long total = 0;
    int n;
    while ((n = c.read(buf)) >= 0) {
      total += n;
      if (md != null) {
        md.update(buf.array(), 0, n);
      }
      buf.clear();
    }
    ByteBuffer answer = ByteBuffer.allocate(8 + (md != null ? 32 : 0));
    answer.putLong(total);
    if (md != null) {
      answer.put(md.digest());
    }
    answer.flip();
    while (answer.hasRemaining()) {
      c.write(answer);
    }
  }

  private void source(SocketChannel c) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(8);
    while (header.hasRemaining()) {
      if (c.read(header) < 0) {
        return;
      }
    }
    long n = header.flip().getLong();
    SourceBlock.write(c, n);
    c.shutdownOutput();
    MessageDigest md = sha256();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long total = 0;
    int r;
    while ((r = c.read(buf)) >= 0) {
      total += r;
      md.update(buf.array(), 0, r);
      buf.clear();
    }
    received.add(new Received(total, md.digest()));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (SocketChannel c : open) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    try {
      acceptor.join(5000);
      Files.deleteIfExists(socket);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException ignored) {
      // the lab directory goes anyway
    }
  }
}
