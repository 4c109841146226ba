package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.model.Capability;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The docker client's argument checks, one copy for the spec builders and the live handles, each
 * naming the field and the bad value.
 */
public final class Checks {
  private Checks() {}

  public static String envName(String name) {
    if (Objects.requireNonNull(name, "name").isEmpty() || name.contains("=")) {
      throw new IllegalArgumentException("environment variable name '" + name
          + "' must be non-empty and contain no '='");
    }
    return name;
  }

  public static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " " + d + " must be positive");
    }
    return d;
  }

  public static String notBlank(String what, String value) {
    if (Objects.requireNonNull(value, what).isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return value;
  }

  public static String absolute(String what, String path) {
    if (!Objects.requireNonNull(path, what).startsWith("/")) {
      throw new IllegalArgumentException(what + " '" + path + "' must be an absolute path");
    }
    return path;
  }

  public static List<String> arguments(String what, List<String> command) {
    if (Objects.requireNonNull(command, what).isEmpty()
        || command.stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException(what + " must be a non-empty list of arguments");
    }
    return command;
  }

  public static long positive(String what, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " " + value + " must be positive");
    }
    return value;
  }

  public static double positive(String what, double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException(what + " " + value + " must be positive");
    }
    return value;
  }

  public static long memoryLimit(long bytes) {
    if (bytes < 6 << 20) {
      throw new IllegalArgumentException("memory limit " + bytes
          + " bytes is below Docker's minimum of 6 MiB");
    }
    return bytes;
  }

  public static String containerName(String name) {
    if (!notBlank("container name", name).matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
      throw new IllegalArgumentException("container name '" + name + "' must match "
          + "[a-zA-Z0-9][a-zA-Z0-9_.-]*, as Docker requires");
    }
    return name;
  }

  public static String platform(String platform) {
    if (!notBlank("platform", platform).matches("[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?")) {
      throw new IllegalArgumentException("platform '" + platform + "' must be os/arch[/"
          + "variant], e.g. linux/amd64");
    }
    return platform;
  }

  public static void bind(String source, String target) {
    notBlank("bind source", source);
    absolute("bind target", target);
    if (source.contains(":") || target.contains(":")) {
      throw new IllegalArgumentException("bind " + source + " -> " + target
          + " must not contain ':'");
    }
  }

  /** Docker's name of a capability, {@code CAP_} prefix dropped, upper case. */
  public static String capability(String name) {
    String n = Objects.requireNonNull(name, "capability").toUpperCase(Locale.ROOT);
    if (n.startsWith("CAP_")) {
      n = n.substring(4);
    }
    try {
      Capability.valueOf(n);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown capability '" + name + "': use Docker's "
          + "names, e.g. ALL, NET_RAW, SYS_ADMIN", e);
    }
    return n;
  }

  public static void terminalSize(int columns, int rows) {
    if (columns < 1 || rows < 1) {
      throw new IllegalArgumentException("TTY size " + columns + "x" + rows
          + " must be positive");
    }
  }
}
