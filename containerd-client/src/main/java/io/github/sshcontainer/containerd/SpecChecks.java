package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.Objects;

/**
 * The argument checks of this package's builders and entry points, each naming the argument
 * and the bad value: misuse fails at once, with {@link IllegalArgumentException} (or {@link
 * NullPointerException} for a null).
 */
final class SpecChecks {
  private SpecChecks() {}

  /** A namespace or container id: 1-76 of letters, digits, '.', '_', '-', as containerd says. */
  static String identifier(String what, String value) {
    if (!Objects.requireNonNull(value, what).matches("[A-Za-z0-9][A-Za-z0-9._-]{0,75}")) {
      throw new IllegalArgumentException(what + " '" + value + "' must be 1-76 letters, "
          + "digits, '.', '_' or '-', starting with a letter or digit");
    }
    return value;
  }

  static Duration positive(String what, Duration value) {
    if (Objects.requireNonNull(value, what).isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " " + value + " must be positive");
    }
    return value;
  }

  static int notNegative(String what, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(what + " " + value + " must not be negative");
    }
    return value;
  }

  static String envName(String name) {
    if (Objects.requireNonNull(name, "name").isEmpty() || name.contains("=")) {
      throw new IllegalArgumentException("environment variable name '" + name
          + "' must be non-empty and contain no '='");
    }
    return name;
  }

  static String absolute(String what, String dir) {
    if (!Objects.requireNonNull(dir, what).startsWith("/")) {
      throw new IllegalArgumentException(what + " '" + dir + "' must be absolute");
    }
    return dir;
  }

  static String numericUser(String user) {
    if (!Objects.requireNonNull(user, "user").matches("\\d+(:\\d+)?")) {
      throw new IllegalArgumentException("user '" + user + "' must be numeric uid or uid:gid");
    }
    return user;
  }

  static void ttySize(int columns, int rows) {
    if (columns < 1 || rows < 1 || columns > 10_000 || rows > 10_000) {
      throw new IllegalArgumentException("terminal size " + columns + "x" + rows
          + " must be 1..10000 each way");
    }
  }

  /** {@code os/arch} or {@code os/arch/variant}. */
  static String platform(String platform) {
    if (!Objects.requireNonNull(platform, "platform").matches("[a-z0-9]+/[a-z0-9_]+(/\\w+)?")) {
      throw new IllegalArgumentException("platform '" + platform + "' must be os/arch or "
          + "os/arch/variant, e.g. linux/arm64");
    }
    return platform;
  }
}
