package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local end of a tunnel: a Unix socket (mode 0600) in a private directory (mode 0700) that
 * this object creates and removes, or a user-given socket path, or 127.0.0.1 at an ephemeral port.
 */
final class LocalListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalListener.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final ServerSocketChannel server;
  private final Path socket;
  private final Path createdDir;
  private final SocketAddress address;

  private LocalListener(ServerSocketChannel server, Path socket, Path createdDir,
      SocketAddress address) {
    this.server = server;
    this.socket = socket;
    this.createdDir = createdDir;
    this.address = address;
  }

  /** 127.0.0.1 at an ephemeral port. */
  static LocalListener tcp() {
    try {
      return tcp(0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1", e);
    }
  }

  /**
   * 127.0.0.1 at {@code port} (0: an ephemeral one), never another address.
   *
   * @throws BindException if the port is taken
   */
  static LocalListener tcp(int port) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
    try {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return new LocalListener(s, null, null, s.getLocalAddress());
  }

  /**
   * A Unix socket at {@code requested}, or named {@code fileName} in a new private directory.
   */
  static LocalListener unix(Path requested, String fileName) {
    try {
      if (requested != null) {
        replaceStale(requested);
        return bind(requested, null);
      }
      sweepDead(tempRoot());
      Path dir = Files.createTempDirectory(tempRoot(), "ssh-container-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      try {
        return bind(dir.resolve(fileName), dir);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(dir);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the local socket: " + e.getMessage(), e);
    }
  }

  /**
   * Removes the private directories that tunnels of this user left when their process was
   * killed ({@code kill -9} skips every clean-up): an {@code ssh-container-<digits>} directory
   * whose sockets all refuse connections. A directory without a socket yet (a tunnel binding
   * at this moment), with anything else in it, or with a live socket is left alone.
   */
  static void sweepDead(Path root) {
    Set<String> bound = boundUnixSockets();
    try (var dirs = Files.newDirectoryStream(root, "ssh-container-[0-9]*")) {
      for (Path dir : dirs) {
        if (deadTunnelDir(dir, bound)) {
          try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
              Files.deleteIfExists(f);
            }
          }
          Files.deleteIfExists(dir);
          log.debug("removed {}, left by a tunnel whose process died", dir);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("cannot sweep {}: {}", root, e.toString());
    }
  }

  /**
   * The paths of the Unix sockets bound in this network namespace ({@code /proc/net/unix}), so
   * that liveness needs no connection to anyone's socket; null where there is no such file.
   */
  private static Set<String> boundUnixSockets() {
    try {
      Set<String> paths = new HashSet<>();
      for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 8 && f[7].startsWith("/")) {
          paths.add(f[7]);
        }
      }
      return paths;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean deadTunnelDir(Path dir, Set<String> bound)
      throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isWritable(dir)
        || !Files.getOwner(dir).getName().equals(System.getProperty("user.name"))) {
      return false;
    }
    List<Path> entries;
    try (var files = Files.list(dir)) {
      entries = files.toList();
    }
    if (entries.isEmpty()) {
      return false;
    }
    for (Path e : entries) {
      int mode = (Integer) Files.getAttribute(e, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if ((mode & S_IFMT) != S_IFSOCK) {
        return false;
      }
      if (bound != null) {
        if (bound.contains(e.toAbsolutePath().toString())) {
          return false; // bound by a live process
        }
        continue;
      }
      try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(e))) {
        return false; // someone listens: alive
      } catch (IOException refused) {
        // nobody listens on this one
      }
    }
    return true;
  }

  /** java.io.tmpdir unless a socket path there would be too long (macOS), then /tmp. */
  private static Path tempRoot() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    int len = tmp.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
    return len > 60 ? Path.of("/tmp") : tmp;
  }

  private static LocalListener bind(Path path, Path createdDir) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      s.bind(UnixDomainSocketAddress.of(path), 256);
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return new LocalListener(s, path, createdDir, UnixDomainSocketAddress.of(path));
  }

  /** Removes a socket file left by a crashed run, but never a live socket or another file. */
  private static void replaceStale(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IllegalArgumentException("local socket path " + path
          + " exists and is not a socket; choose another path or remove it");
    }
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      throw new IllegalStateException("something is listening on " + path
          + " already; stop it or choose another local socket path");
    } catch (IOException refused) {
      log.debug("replacing stale socket {} ({})", path, refused.toString());
      Files.deleteIfExists(path);
    }
  }

  SocketChannel accept() throws IOException {
    return server.accept();
  }

  /** The listening channel, for an event loop to accept on. */
  ServerSocketChannel channel() {
    return server;
  }

  /** The Unix socket path, or null when listening on TCP. */
  Path socket() {
    return socket;
  }

  SocketAddress address() {
    return address;
  }

  /** {@code unix:///path} or {@code tcp://127.0.0.1:port}. */
  URI uri() {
    if (socket != null) {
      return URI.create("unix://" + socket.toAbsolutePath());
    }
    InetSocketAddress a = (InetSocketAddress) address;
    return URI.create("tcp://127.0.0.1:" + a.getPort());
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      log.warn("closing the local listener {} failed: {}", address, e.toString());
    }
    try {
      if (socket != null) {
        Files.deleteIfExists(socket);
      }
      if (createdDir != null) {
        Files.deleteIfExists(createdDir);
      }
    } catch (IOException e) {
      log.warn("cannot remove the local socket {}: {}", socket, e.toString());
    }
  }
}
