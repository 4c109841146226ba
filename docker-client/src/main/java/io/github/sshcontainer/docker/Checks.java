package io.github.sshcontainer.docker;

import java.time.Duration;
import java.util.Objects;

/** Argument checks the spec builders share, each naming the bad value. */
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
}
