package io.github.sshcontainer.containerd;

import java.util.Objects;

/** Argument checks {@link RunSpec} and {@link ExecSpec} share, each naming the bad value. */
final class SpecChecks {
  private SpecChecks() {}

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
}
