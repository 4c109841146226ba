package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A task to run from an image: command (default the image's entrypoint + cmd), env added to the
 * image's, working dir, numeric user, the remote directory for its log, and a deadline.
 */
public final class RunSpec {
  private final String image;
  private final String id;
  private final List<String> args;
  private final Map<String, String> env;
  private final String workingDir;
  private final String user;
  private final String logDir;
  private final int maxLogBytes;
  private final Duration timeout;
  private final boolean live;
  private final boolean stdin;
  private final int ttyColumns;
  private final int ttyRows;

  private RunSpec(Builder b) {
    live = b.live || b.stdin || b.ttyColumns > 0;
    stdin = b.stdin;
    ttyColumns = b.ttyColumns;
    ttyRows = b.ttyRows;
    image = b.image;
    id = b.id;
    args = b.args == null ? null : List.copyOf(b.args);
    env = Map.copyOf(b.env);
    workingDir = b.workingDir;
    user = b.user;
    logDir = b.logDir;
    maxLogBytes = b.maxLogBytes;
    timeout = b.timeout;
  }

  /**
   * True when the task's output is streamed live through {@link RunningTask#io()} rather than
   * written to a log file and brought back at the end.
   */
  public boolean live() {
    return live;
  }

  /** True when the task's stdin is open for {@link TaskIo#stdin()}. */
  public boolean stdin() {
    return stdin;
  }

  /** True when the task runs on a terminal ({@link Builder#tty(int, int)}). */
  public boolean tty() {
    return ttyColumns > 0;
  }

  public int ttyColumns() {
    return ttyColumns;
  }

  public int ttyRows() {
    return ttyRows;
  }

  /** A builder for a task from {@code image} (a name as {@code Images.List} shows it). */
  public static Builder of(String image) {
    return new Builder(image);
  }

  public String image() {
    return image;
  }

  /** Container id; empty means a generated one. */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  /** The argv; empty means the image's entrypoint + cmd. */
  public Optional<List<String>> args() {
    return Optional.ofNullable(args);
  }

  public Map<String, String> env() {
    return env;
  }

  public Optional<String> workingDir() {
    return Optional.ofNullable(workingDir);
  }

  /** {@code uid[:gid]}; empty means the image's user. */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  public String logDir() {
    return logDir;
  }

  public int maxLogBytes() {
    return maxLogBytes;
  }

  public Duration timeout() {
    return timeout;
  }

  /** Collects a task's settings; every setter checks its value at once. */
  public static final class Builder {
    private final String image;
    private String id;
    private List<String> args;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String workingDir;
    private String user;
    private String logDir = "/tmp";
    private int maxLogBytes = 16 << 20;
    private Duration timeout = Duration.ofMinutes(10);
    private boolean live;
    private boolean stdin;
    private int ttyColumns;
    private int ttyRows;

    private Builder(String image) {
      if (Objects.requireNonNull(image, "image").isBlank()) {
        throw new IllegalArgumentException("image name must not be empty");
      }
      this.image = image;
    }

    /** Container id: letters, digits, '.', '_' and '-', at most 76 characters. */
    public Builder id(String id) {
      this.id = SpecChecks.identifier("container id", id);
      return this;
    }

    /** The argv to run instead of the image's entrypoint + cmd. */
    public Builder args(String... args) {
      if (args.length == 0) {
        throw new IllegalArgumentException("args must not be empty");
      }
      this.args = new ArrayList<>(List.of(args));
      return this;
    }

    public Builder env(String name, String value) {
      env.put(SpecChecks.envName(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder workingDir(String dir) {
      this.workingDir = SpecChecks.absolute("working directory", dir);
      return this;
    }

    /** Numeric {@code uid} or {@code uid:gid} (names would need the image's /etc/passwd). */
    public Builder user(String user) {
      this.user = SpecChecks.numericUser(user);
      return this;
    }

    /**
     * Directory on the remote host where the task's private directory (0700) is made: the FIFOs
     * containerd's shim writes its stdout and stderr to and, without {@link #live()}, the log
     * both are appended to while it runs; the SSH user must be able to write there. The private
     * directory is removed with the task. Default: {@code /tmp}.
     */
    public Builder logDir(String dir) {
      this.logDir = SpecChecks.absolute("log directory", dir);
      return this;
    }

    /** How much of the output to bring back. Default: 16 MiB. */
    public Builder maxLogBytes(int bytes) {
      this.maxLogBytes = SpecChecks.notNegative("maxLogBytes", bytes);
      return this;
    }

    /** Deadline for the task to exit. Default: 10 minutes. */
    public Builder timeout(Duration timeout) {
      this.timeout = SpecChecks.positive("timeout", timeout);
      return this;
    }

    /**
     * Streams stdout and stderr live, kept apart, through {@link RunningTask#io()}: a line the
     * task prints arrives while it runs. The streams go through FIFOs in a private directory
     * on the remote host, read by {@code cat} over the SSH connection (no SFTP).
     */
    public Builder live() {
      this.live = true;
      return this;
    }

    /** Opens the task's stdin (implies {@link #live()}); closing it gives the task EOF. */
    public Builder stdin() {
      this.stdin = true;
      return this;
    }

    /**
     * Runs the task on a terminal of this size (implies {@link #live()}): stdout carries the
     * terminal, stderr stays empty; {@link TaskIo#resize} changes the size.
     */
    public Builder tty(int columns, int rows) {
      SpecChecks.ttySize(columns, rows);
      this.ttyColumns = columns;
      this.ttyRows = rows;
      return this;
    }

    public RunSpec build() {
      return new RunSpec(this);
    }
  }
}
