package io.github.sshcontainer.tunnel;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where to log in: an optional user, a host (name, IPv4, IPv6 literal or an {@code ~/.ssh/config}
 * alias) and an optional port. Immutable and thread-safe.
 *
 * <p>Accepted forms, as OpenSSH and the Docker CLI write them: {@code ssh://[user@]host[:port]}
 * (an optional path after it is the remote socket, see {@link #socketPath()}), {@code
 * [user@]host[:port]}, and IPv6 literals in brackets ({@code [::1]:2222}, {@code
 * ssh://user@[fe80::1]}).
 */
public final class SshTarget {
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9._-]*)");
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._@$+-]*");

  private final String user;
  private final String host;
  private final int port;
  private final String socketPath;

  private SshTarget(String user, String host, int port, String socketPath) {
    this.user = user;
    this.host = host;
    this.port = port;
    this.socketPath = socketPath;
  }

  /**
   * A target from parts.
   *
   * @param user login name, or null to take it from ssh config or the local user name
   * @param host host name, address or ssh config alias (IPv6 without brackets)
   * @param port 1–65535, or 0 to take it from ssh config or 22
   * @throws IllegalArgumentException for an empty host or a port outside 0–65535
   */
  public static SshTarget of(String user, String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host is empty: give a host name, address or alias");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
    if (user != null && !USER.matcher(user).matches()) {
      throw new IllegalArgumentException("user '" + user + "' is not a valid login name");
    }
    boolean ipv6 = host.indexOf(':') >= 0;
    if (!ipv6 && !HOST_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException("host '" + host + "' is not a valid host name");
    }
    if (ipv6 && !host.matches("[0-9A-Fa-f:.%a-zA-Z]+")) {
      throw new IllegalArgumentException("host '" + host + "' is not a valid IPv6 address");
    }
    return new SshTarget(user, host, port, null);
  }

  /**
   * Parses a destination.
   *
   * @throws IllegalArgumentException naming the part that is wrong and the accepted forms
   */
  public static SshTarget parse(String destination) {
    Objects.requireNonNull(destination, "destination");
    String d = destination.trim();
    String path = null;
    if (d.regionMatches(true, 0, "ssh://", 0, 6)) {
      d = d.substring(6);
      int slash = d.indexOf('/');
      if (slash >= 0) {
        path = d.substring(slash);
        d = d.substring(0, slash);
        if (path.equals("/")) {
          path = null;
        }
      }
    } else if (d.contains("://")) {
      throw bad(destination, "only the ssh:// scheme is supported");
    } else if (d.indexOf('/') >= 0) {
      throw bad(destination, "a path is only allowed after ssh://host");
    }
    String user = null;
    int at = d.lastIndexOf('@');
    if (at >= 0) {
      user = d.substring(0, at);
      d = d.substring(at + 1);
      if (user.isEmpty()) {
        throw bad(destination, "the user before '@' is empty");
      }
    }
    String host;
    int port = 0;
    if (d.startsWith("[")) {
      int close = d.indexOf(']');
      if (close < 0) {
        throw bad(destination, "'[' opens an IPv6 address that ']' never closes");
      }
      host = d.substring(1, close);
      String rest = d.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw bad(destination, "expected ':port' after ']'");
        }
        port = parsePort(destination, rest.substring(1));
      }
    } else {
      int colon = d.indexOf(':');
      if (colon >= 0 && d.indexOf(':', colon + 1) >= 0) {
        throw bad(destination, "write an IPv6 address in brackets, like [::1]:22");
      }
      if (colon >= 0) {
        host = d.substring(0, colon);
        port = parsePort(destination, d.substring(colon + 1));
      } else {
        host = d;
      }
    }
    if (host.isEmpty()) {
      throw bad(destination, "the host is empty");
    }
    try {
      SshTarget t = of(user, host, port);
      return path == null ? t : new SshTarget(t.user, t.host, t.port, path);
    } catch (IllegalArgumentException e) {
      throw bad(destination, e.getMessage());
    }
  }

  private static int parsePort(String destination, String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      throw bad(destination, "port '" + text + "' is not a number from 1 to 65535");
    }
    int port = Integer.parseInt(text);
    if (port < 1 || port > 65535) {
      throw bad(destination, "port " + port + " is outside 1-65535");
    }
    return port;
  }

  private static IllegalArgumentException bad(String destination, String why) {
    return new IllegalArgumentException("invalid SSH destination '" + destination + "': " + why
        + " (use ssh://[user@]host[:port][/socket], [user@]host[:port] or an ~/.ssh/config alias)");
  }

  /** The login name, if the destination named one. */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /** Host name, address (IPv6 without brackets) or ssh config alias. */
  public String host() {
    return host;
  }

  /** The port, or 0 when the destination named none (ssh config or 22 then decide). */
  public int port() {
    return port;
  }

  /** The absolute path after {@code ssh://host}, as in Docker's {@code ssh://host/path.sock}. */
  public Optional<String> socketPath() {
    return Optional.ofNullable(socketPath);
  }

  /** This target with {@code user} as login name. */
  public SshTarget withUser(String user) {
    SshTarget t = of(user, host, port);
    return new SshTarget(t.user, host, port, socketPath);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SshTarget t && Objects.equals(user, t.user) && host.equals(t.host)
        && port == t.port && Objects.equals(socketPath, t.socketPath);
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, host, port, socketPath);
  }

  /** {@code ssh://user@host:port/path}, leaving out the parts not given. */
  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "ssh://" + (user != null ? user + "@" : "") + h + (port != 0 ? ":" + port : "")
        + (socketPath != null ? socketPath : "");
  }
}
