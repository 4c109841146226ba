package io.github.sshcontainer.docker;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A process running in a container, live: an exec ({@link DockerExec#start}) or a container's
 * own process ({@link OnDemandContainer#start}). It has the shape of {@link Process}: write
 * {@link #stdin()} and close it for end of input; read {@link #stdout()} and {@link #stderr()}
 * (apart without a TTY; with one, everything arrives on stdout and stderr is empty). A stream the
 * spec gave is written to instead, and the matching stream here is empty.
 *
 * <p>Read stdout and stderr both, or give streams in the spec: each buffers 256 KiB, and a
 * stream nobody reads holds the process back once full (and nothing else: other sessions keep
 * flowing). There is no timeout: the session lasts as long as its process. Thread-safe.
 *
 * <p>{@link #close()} before the process has ended stops it (TERM, then KILL after the grace
 * period) and frees the streams; a container session's container is then removed.
 */
public interface ExecSession extends AutoCloseable {
  /** The container the process runs in. */
  String containerId();

  /**
   * Input to the process; closing it is the process's end of input. With a TTY it is not: a
   * terminal has no end of input, and Docker would stop the session's output at it, so the
   * program ends by itself ({@code exit}, a ^D byte in the input) or by a signal.
   */
  OutputStream stdin();

  /** The process's stdout (with a TTY: all its output). */
  InputStream stdout();

  /** The process's stderr; empty with a TTY. */
  InputStream stderr();

  /**
   * Sets the TTY's size, at any time while the process runs; a session without a TTY ignores
   * it. The first size (from the spec) is applied before {@code start} returns.
   *
   * @throws IllegalArgumentException if a dimension is not positive
   */
  void resize(int columns, int rows);

  /**
   * Delivers a signal: {@code "TERM"}, {@code "SIGINT"}, {@code "9"}. An exec is signalled by a
   * {@code kill} run in its container, so the image needs a shell with {@code kill} and {@code
   * /proc} (busybox, coreutils or procps); a container session by the daemon.
   *
   * @throws IllegalArgumentException for an unknown signal
   * @throws RemoteDockerException UNSUPPORTED when the image cannot run {@code kill}, naming
   *     what to add; CONTAINER_NOT_FOUND when the process is gone
   */
  void signal(String signal);

  /** As {@link #signal(String)}, by number (15 is TERM). */
  default void signal(int number) {
    signal(String.valueOf(number));
  }

  /**
   * Waits for the process to end and all its output to be delivered.
   *
   * @throws RemoteDockerException TIMED_OUT if it runs longer than {@code timeout} (it keeps
   *     running), DAEMON_UNAVAILABLE if the daemon could not say how it ended
   */
  ExitStatus awaitExit(Duration timeout);

  /** How it ended, once it has (and its output is delivered); empty while it runs. */
  Optional<ExitStatus> exitStatus();

  /**
   * Calls {@code listener} once the process has ended and its output is delivered (at once if
   * it has), on a thread of the session's; a listener must not block.
   */
  void onExit(Consumer<ExitStatus> listener);

  /** Stops the process if it still runs (TERM, grace, KILL) and frees the streams. Idempotent. */
  @Override
  void close();
}
