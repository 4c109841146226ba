package io.github.sshcontainer.tunnel;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The Unix socket a tunnel reaches on the remote host: a fixed path, or candidates to discover,
 * of which the first that accepts a connection is used (and logged).
 *
 * <p>A candidate is an absolute path, or {@code $NAME}: the remote login environment's variable
 * NAME, holding a path or a {@code unix://} URI (skipped when unset or not a Unix socket). In a
 * path, {@code ${uid}} stands for the remote user's numeric id. For example Docker's clients use
 * {@code firstOf("$DOCKER_HOST", "/run/user/${uid}/docker.sock", "/var/run/docker.sock")}.
 *
 * <p>Immutable and thread-safe.
 */
public final class RemoteSocket {
  private final String path;
  private final List<String> candidates;

  private RemoteSocket(String path, List<String> candidates) {
    this.path = path;
    this.candidates = candidates;
  }

  /**
   * A fixed absolute path.
   *
   * @throws IllegalArgumentException if it is not absolute
   */
  public static RemoteSocket at(String path) {
    Objects.requireNonNull(path, "remote socket path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("remote socket path '" + path
          + "' is relative: give an absolute path such as /run/app.sock");
    }
    return new RemoteSocket(path, List.of(path));
  }

  /**
   * The first of these candidates that accepts a connection, tried in order.
   *
   * @throws IllegalArgumentException if there is none, or one is neither an absolute path nor
   *     {@code $NAME}
   */
  public static RemoteSocket firstOf(String... candidates) {
    return firstOf(List.of(candidates));
  }

  /** As {@link #firstOf(String...)}. */
  public static RemoteSocket firstOf(List<String> candidates) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("give at least one remote socket candidate");
    }
    for (String c : candidates) {
      Objects.requireNonNull(c, "candidate");
      if (!c.startsWith("/") && !c.matches("\\$[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("socket candidate '" + c
            + "' must be an absolute path or $NAME (a remote environment variable)");
      }
    }
    return new RemoteSocket(null, List.copyOf(candidates));
  }

  /**
   * No socket: the tunnel is an SSH connection that carries only the TCP forwards made with
   * {@link SocketTunnel#forwardTcp} ({@code ssh -N -L}); it has no local socket.
   */
  public static RemoteSocket none() {
    return NONE;
  }

  private static final RemoteSocket NONE = new RemoteSocket(null, List.of());

  /** True for {@link #none()}. */
  public boolean isNone() {
    return candidates.isEmpty();
  }

  /** The fixed path; empty when the socket is discovered. */
  public Optional<String> path() {
    return Optional.ofNullable(path);
  }

  /** The candidates in order; for a fixed path, just that path. */
  public List<String> candidates() {
    return candidates;
  }

  /** True when the socket is found among candidates on the remote host. */
  public boolean discovered() {
    return path == null && !candidates.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RemoteSocket r && Objects.equals(path, r.path)
        && candidates.equals(r.candidates);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, candidates);
  }

  @Override
  public String toString() {
    return path != null ? path : isNone() ? "none" : "firstOf" + candidates;
  }
}
