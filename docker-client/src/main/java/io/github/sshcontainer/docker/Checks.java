package io.github.sshcontainer.docker;

import java.time.Duration;
import java.util.Objects;

/** Argument checks the spec builders share, each naming the field and the bad value. */
final class Checks {
  private Checks() {}

  static String envName(String name) {
    if (Objects.requireNonNull(name, "name").isEmpty() || name.contains("=")) {
      throw new IllegalArgumentException("environment variable name '" + name
          + "' must be non-empty and contain no '='");
    }
    return name;
  }

  static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " " + d + " must be positive");
    }
    return d;
  }

  static String notBlank(String what, String value) {
    if (Objects.requireNonNull(value, what).isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return value;
  }

  static String absolute(String what, String path) {
    if (!Objects.requireNonNull(path, what).startsWith("/")) {
      throw new IllegalArgumentException(what + " '" + path + "' must be an absolute path");
    }
    return path;
  }
}
