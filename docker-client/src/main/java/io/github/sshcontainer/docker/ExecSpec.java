package io.github.sshcontainer.docker;

import io.github.sshcontainer.docker.internal.Checks;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A command to run in a running container, with its stdio. Immutable; the streams are used, not
 * closed. Without a stdout/stderr stream, {@link DockerExec#run} captures the output into the
 * {@link ExecResult} and a live {@link ExecSession} offers it as its streams.
 */
public final class ExecSpec {
  private final List<String> command;
  private final Map<String, String> env;
  private final String workingDir;
  private final String user;
  private final boolean tty;
  private final int columns;
  private final int rows;
  private final InputStream stdin;
  private final OutputStream stdout;
  private final OutputStream stderr;
  private final Duration timeout;
  private final Duration stopTimeout;

  private ExecSpec(Builder b) {
    command = List.copyOf(b.command);
    env = Map.copyOf(b.env);
    workingDir = b.workingDir;
    user = b.user;
    tty = b.tty;
    columns = b.columns;
    rows = b.rows;
    stdin = b.stdin;
    stdout = b.stdout;
    stderr = b.stderr;
    timeout = b.timeout;
    stopTimeout = b.stopTimeout;
  }

  /** A builder for {@code command} (argv, no shell unless you name one). */
  public static Builder of(String... command) {
    return new Builder(List.of(command));
  }

  public static Builder of(List<String> command) {
    return new Builder(command);
  }

  public List<String> command() {
    return command;
  }

  public Map<String, String> env() {
    return env;
  }

  public Optional<String> workingDir() {
    return Optional.ofNullable(workingDir);
  }

  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  public boolean tty() {
    return tty;
  }

  /** Terminal width for a TTY, or 0 for the daemon's default. */
  public int columns() {
    return columns;
  }

  /** Terminal height for a TTY, or 0 for the daemon's default. */
  public int rows() {
    return rows;
  }

  public Optional<InputStream> stdin() {
    return Optional.ofNullable(stdin);
  }

  public Optional<OutputStream> stdout() {
    return Optional.ofNullable(stdout);
  }

  public Optional<OutputStream> stderr() {
    return Optional.ofNullable(stderr);
  }

  /** The deadline of {@link DockerExec#run}; a live session has none. */
  public Duration timeout() {
    return timeout;
  }

  /** How long a session's {@code close()} waits after TERM before it sends KILL. */
  public Duration stopTimeout() {
    return stopTimeout;
  }

  /** Collects an exec's settings; every setter checks its value at once. */
  public static final class Builder {
    private final List<String> command;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String workingDir;
    private String user;
    private boolean tty;
    private int columns;
    private int rows;
    private InputStream stdin;
    private OutputStream stdout;
    private OutputStream stderr;
    private Duration timeout = Duration.ofMinutes(10);
    private Duration stopTimeout = Duration.ofSeconds(10);

    private Builder(List<String> command) {
      Objects.requireNonNull(command, "command");
      if (command.isEmpty() || command.stream().anyMatch(Objects::isNull)) {
        throw new IllegalArgumentException("exec command must be a non-empty list of arguments");
      }
      this.command = new ArrayList<>(command);
    }

    /** Adds an environment variable. */
    public Builder env(String name, String value) {
      env.put(Checks.envName(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Working directory in the container (absolute). Default: the container's. */
    public Builder workingDir(String dir) {
      if (!Objects.requireNonNull(dir, "dir").startsWith("/")) {
        throw new IllegalArgumentException("working directory '" + dir + "' must be absolute");
      }
      this.workingDir = dir;
      return this;
    }

    /** User (name or uid[:gid]) to run as. Default: the container's. */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /** Runs with a TTY (stdout and stderr arrive merged on stdout). Default: false. */
    public Builder tty(boolean tty) {
      this.tty = tty;
      return this;
    }

    /** Runs with a TTY of this size. */
    public Builder tty(int columns, int rows) {
      Checks.terminalSize(columns, rows);
      this.tty = true;
      this.columns = columns;
      this.rows = rows;
      return this;
    }

    /** Input for the command; its end becomes the command's end of input. Default: none. */
    public Builder stdin(InputStream in) {
      this.stdin = Objects.requireNonNull(in, "stdin");
      return this;
    }

    /** Where stdout goes live. Default: captured into the result. */
    public Builder stdout(OutputStream out) {
      this.stdout = Objects.requireNonNull(out, "stdout");
      return this;
    }

    /** Where stderr goes live. Default: captured into the result. */
    public Builder stderr(OutputStream err) {
      this.stderr = Objects.requireNonNull(err, "stderr");
      return this;
    }

    /**
     * Deadline for the whole command under {@link DockerExec#run}. Default: 10 minutes. A live
     * session ({@link DockerExec#start}) has no deadline: it lasts as long as the command.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Checks.positive("exec timeout", timeout);
      return this;
    }

    /**
     * How long a session's {@code close()} waits for the command to end after TERM before it
     * sends KILL. Default: 10 s.
     */
    public Builder stopTimeout(Duration timeout) {
      this.stopTimeout = Checks.positive("stopTimeout", timeout);
      return this;
    }

    public ExecSpec build() {
      return new ExecSpec(this);
    }
  }
}
