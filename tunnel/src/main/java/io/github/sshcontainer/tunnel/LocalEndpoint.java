package io.github.sshcontainer.tunnel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a tunnel listens for local clients: a Unix socket (mode 0600) in a private directory
 * (mode 0700) that the tunnel creates and removes, the default; a Unix socket at a given path; or
 * 127.0.0.1 at an ephemeral TCP port, for clients that cannot use Unix sockets (any local process
 * can connect to it). Immutable and thread-safe.
 */
public final class LocalEndpoint {
  /** The longest Unix socket path the kernel takes (sun_path is 108 bytes with the NUL). */
  public static final int MAX_UNIX_PATH_BYTES = 107;

  /** A private socket in a fresh 0700 directory under {@code java.io.tmpdir}: the default. */
  public static final LocalEndpoint PRIVATE_SOCKET = new LocalEndpoint(null, false);

  private static final LocalEndpoint TCP = new LocalEndpoint(null, true);

  private final Path socket;
  private final boolean tcp;

  private LocalEndpoint(Path socket, boolean tcp) {
    this.socket = socket;
    this.tcp = tcp;
  }

  /**
   * A Unix socket at {@code path} (made absolute). A stale socket left there by a crashed run is
   * replaced only if nothing listens on it.
   *
   * @throws IllegalArgumentException if the absolute path is longer than {@link
   *     #MAX_UNIX_PATH_BYTES}
   */
  public static LocalEndpoint socket(Path path) {
    Objects.requireNonNull(path, "localSocket");
    Path abs = path.toAbsolutePath();
    int bytes = abs.toString().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_UNIX_PATH_BYTES) {
      throw new IllegalArgumentException("local socket path " + abs + " is " + bytes
          + " bytes; a Unix socket path must be at most " + MAX_UNIX_PATH_BYTES
          + " bytes: choose a shorter path, e.g. under /tmp");
    }
    return new LocalEndpoint(abs, false);
  }

  /** 127.0.0.1 at an ephemeral port. */
  public static LocalEndpoint tcp() {
    return TCP;
  }

  /** The given socket path; empty for the private socket and for TCP. */
  public Optional<Path> socketPath() {
    return Optional.ofNullable(socket);
  }

  /** True for {@link #tcp()}. */
  public boolean isTcp() {
    return tcp;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LocalEndpoint e && tcp == e.tcp && Objects.equals(socket, e.socket);
  }

  @Override
  public int hashCode() {
    return Objects.hash(socket, tcp);
  }

  @Override
  public String toString() {
    return tcp ? "tcp://127.0.0.1:0" : socket != null ? "unix://" + socket : "private socket";
  }
}
