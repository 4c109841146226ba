package io.github.sshcontainer.containerd;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A process to run in a running task ({@code ctr tasks exec}): its command, and what it changes
 * from the task's own process (environment, directory, user), with live stdio as {@link
 * RunSpec}'s. Immutable.
 */
public final class ExecSpec {
  private final List<String> args;
  private final Map<String, String> env;
  private final String workingDir;
  private final String user;
  private final boolean stdin;
  private final int ttyColumns;
  private final int ttyRows;
  private final String ioDir;

  private ExecSpec(Builder b) {
    ioDir = b.ioDir;
    args = List.copyOf(b.args);
    env = Map.copyOf(b.env);
    workingDir = b.workingDir;
    user = b.user;
    stdin = b.stdin;
    ttyColumns = b.ttyColumns;
    ttyRows = b.ttyRows;
  }

  /** A process running {@code args} (the first is the program). */
  public static Builder of(String... args) {
    return new Builder(List.of(args));
  }

  public List<String> args() {
    return args;
  }

  /** Variables added to (or replacing those of) the task's environment. */
  public Map<String, String> env() {
    return env;
  }

  public Optional<String> workingDir() {
    return Optional.ofNullable(workingDir);
  }

  /** Numeric {@code uid[:gid]}; empty: the task's user. */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  public boolean stdin() {
    return stdin;
  }

  /** Where on the remote host the process's FIFO directory is made. Default: /tmp. */
  public String ioDir() {
    return ioDir;
  }

  public boolean tty() {
    return ttyColumns > 0;
  }

  public int ttyColumns() {
    return ttyColumns;
  }

  public int ttyRows() {
    return ttyRows;
  }

  /** Builds an {@link ExecSpec}. */
  public static final class Builder {
    private final List<String> args;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String workingDir;
    private String user;
    private boolean stdin;
    private int ttyColumns;
    private int ttyRows;
    private String ioDir = "/tmp";

    private Builder(List<String> args) {
      if (args.isEmpty() || args.get(0).isBlank()) {
        throw new IllegalArgumentException("give the program to run, e.g. ExecSpec.of(\"sh\", "
            + "\"-c\", \"echo hi\")");
      }
      this.args = args;
    }

    public Builder env(String name, String value) {
      env.put(SpecChecks.envName(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder workingDir(String dir) {
      this.workingDir = SpecChecks.absolute("working directory", dir);
      return this;
    }

    /** Numeric {@code uid} or {@code uid:gid}. */
    public Builder user(String user) {
      this.user = SpecChecks.numericUser(user);
      return this;
    }

    /** Opens the process's stdin; closing it gives the process end of input. */
    public Builder stdin() {
      this.stdin = true;
      return this;
    }

    /** Runs it on a terminal of this size. */
    public Builder tty(int columns, int rows) {
      SpecChecks.ttySize(columns, rows);
      this.ttyColumns = columns;
      this.ttyRows = rows;
      return this;
    }

    /** The remote directory the private FIFO directory is made in (absolute). */
    public Builder ioDir(String dir) {
      this.ioDir = SpecChecks.absolute("I/O directory", dir);
      return this;
    }

    public ExecSpec build() {
      return new ExecSpec(this);
    }
  }
}
