package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.github.sshcontainer.docker.ExecSession;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exec as a live {@link ExecSession}: created with a marker in its environment (for {@link
 * ExecSignals}), started with its stdio attached through docker-java, its first TTY size applied
 * once it runs, its exit read when its streams end.
 */
public final class LiveExec implements ExecSession {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.docker");
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final DockerClient docker;
  private final String containerId;
  private final ExecSpec spec;
  private final String token = ExecSignals.newToken();
  private final SessionStreams streams;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final Set<String> delivered = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private String execId;

  private LiveExec(DockerClient docker, String containerId, ExecSpec spec, boolean openStdin,
      OutputStream out, OutputStream err) {
    this.docker = docker;
    this.containerId = containerId;
    this.spec = spec;
    this.streams = new SessionStreams(openStdin, spec.stdin().orElse(null), spec.tty(), out,
        err);
  }

  /**
   * Creates and starts the exec; returns once it runs with its first TTY size applied.
   *
   * @param openStdin attach stdin (the spec's stream, or {@link #stdin()}); false: the process
   *     has no input, as {@code docker exec} without {@code -i}
   * @throws RemoteDockerException CONTAINER_NOT_FOUND, CONTAINER_FAILED (not running),
   *     TIMED_OUT
   */
  public static LiveExec start(DockerClient docker, String containerId, ExecSpec spec,
      boolean openStdin) {
    return start(docker, containerId, spec, openStdin, spec.stdout().orElse(null),
        spec.stderr().orElse(null));
  }

  /**
   * As {@link #start(DockerClient, String, ExecSpec, boolean)}, writing output to {@code out}
   * and {@code err} (null: to the session's streams).
   */
  public static LiveExec start(DockerClient docker, String containerId, ExecSpec spec,
      boolean openStdin, OutputStream out, OutputStream err) {
    Objects.requireNonNull(docker, "docker");
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(spec, "spec");
    LiveExec e = new LiveExec(docker, containerId, spec, openStdin, out, err);
    try {
      e.begin(openStdin);
      return e;
    } catch (RuntimeException failure) {
      e.streams.release();
      throw failure;
    }
  }

  private void begin(boolean openStdin) {
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> v : spec.env().entrySet()) {
      env.add(v.getKey() + "=" + v.getValue());
    }
    env.add(ExecSignals.MARKER + "=" + token);
    boolean attachStdin = openStdin || spec.stdin().isPresent();
    ExecCreateCmd cmd = docker.execCreateCmd(containerId)
        .withCmd(spec.command().toArray(String[]::new))
        .withAttachStdin(attachStdin)
        .withAttachStdout(true)
        .withAttachStderr(true)
        .withTty(spec.tty())
        .withEnv(env);
    spec.workingDir().ifPresent(cmd::withWorkingDir);
    spec.user().ifPresent(cmd::withUser);
    try {
      execId = cmd.exec().getId();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(Reason.CONTAINER_NOT_FOUND, "no container '"
          + containerId + "' on the remote host: " + e.getMessage().trim(), e);
    } catch (ConflictException e) {
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "container '" + containerId
          + "' is not running, so nothing can run in it: " + e.getMessage().trim(), e);
    }
    var start = docker.execStartCmd(execId).withDetach(false).withTty(spec.tty());
    InputStream input = streams.input();
    if (input != null) {
      start.withStdIn(input);
    }
    FrameRouter router = streams.router();
    router.ended().whenComplete((ok, failure) -> ended(failure));
    start.exec(router);
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    try {
      if (!router.awaitStarted(START_DEADLINE.toMillis())) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "exec " + spec.command() + " in "
            + containerId + " did not start within " + START_DEADLINE.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted starting an exec", e);
    }
    try {
      if (spec.tty() && spec.columns() > 0
          && ExecExits.awaitRunning(docker, execId, deadline)) {
        resizeQuietly(spec.columns(), spec.rows());
      }
    } finally {
      streams.sized(); // the first size is applied, or none was asked for
    }
  }

  /** The stream ended: every frame is written; read the exit code and tell the listeners. */
  private void ended(Throwable streamFailure) {
    streams.outputEnded();
    streams.inputEnded(); // nobody reads it now
    if (streamFailure != null) {
      log.debug("exec {} in {}: stream ended with {}", execId, shortId(containerId),
          streamFailure.toString());
    }
    try {
      long code = ExecExits.code(docker, execId, containerId);
      exit.complete(statusOf(code));
    } catch (RuntimeException e) {
      exit.completeExceptionally(e);
    }
  }

  private ExitStatus statusOf(long code) {
    if (code < 0 || code > 255) {
      return ExitStatus.code((int) (code & 0xff));
    }
    Optional<String> sig = ExitStatus.signalOfCode((int) code);
    if (sig.isPresent() && delivered.contains(sig.get())) {
      return ExitStatus.signal(sig.get());
    }
    return ExitStatus.code((int) code);
  }

  /** The exec's id on the daemon. */
  public String execId() {
    return execId;
  }

  @Override
  public String containerId() {
    return containerId;
  }

  @Override
  public OutputStream stdin() {
    return streams.stdin("stdin comes from the stream the ExecSpec gave",
        "this exec has no stdin");
  }

  @Override
  public InputStream stdout() {
    return streams.stdout();
  }

  @Override
  public InputStream stderr() {
    return streams.stderr();
  }

  @Override
  public void resize(int columns, int rows) {
    Checks.terminalSize(columns, rows);
    if (!spec.tty() || exit.isDone() || closed.get()) {
      return;
    }
    resizeQuietly(columns, rows);
  }

  private void resizeQuietly(int columns, int rows) {
    try {
      docker.resizeExecCmd(execId).withSize(rows, columns).exec();
    } catch (RuntimeException e) {
      // the process may have ended meanwhile; a resize then has nothing to do
      log.debug("exec {}: resize to {}x{} not applied: {}", execId, columns, rows,
          e.getMessage());
    }
  }

  @Override
  public void signal(String signal) {
    String name = ExitStatus.signalName(signal);
    if (exit.isDone()) {
      return;
    }
    delivered.add(name);
    ExecSignals.deliver(docker, containerId, token, name, spec.user().orElse(null));
  }

  @Override
  public ExitStatus awaitExit(Duration timeout) {
    try {
      return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new RemoteDockerException(Reason.TIMED_OUT, "command " + spec.command()
          + " in container " + shortId(containerId) + " did not end within "
          + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted waiting for "
          + spec.command(), e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RemoteDockerException r) {
        throw new RemoteDockerException(r.reason(), r.getMessage(), r);
      }
      throw new RemoteDockerException(Reason.DAEMON_UNAVAILABLE, "cannot tell how "
          + spec.command() + " ended: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public Optional<ExitStatus> exitStatus() {
    return Optional.ofNullable(exit.getNow(null));
  }

  @Override
  public void onExit(Consumer<ExitStatus> listener) {
    Objects.requireNonNull(listener, "listener");
    exit.thenAccept(listener);
  }

  /** Completes with the exit status (or fails when it cannot be read). */
  public CompletableFuture<ExitStatus> exitFuture() {
    return exit;
  }

  /** Frees the streams and leaves the process running (a batch run that timed out). */
  public void abandon() {
    if (closed.compareAndSet(false, true)) {
      streams.release();
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (execId != null && !exit.isDone()) {
      stop();
    }
    streams.release();
  }

  /** TERM, the grace period, KILL: each bounded. */
  private void stop() {
    try {
      delivered.add("TERM");
      if (ExecSignals.deliver(docker, containerId, token, "TERM", spec.user().orElse(null))
          && waitQuietly(spec.stopTimeout())) {
        return;
      }
      if (!exit.isDone()) {
        delivered.add("KILL");
        ExecSignals.deliver(docker, containerId, token, "KILL", spec.user().orElse(null));
        waitQuietly(KILL_WAIT);
      }
    } catch (RemoteDockerException e) {
      if (e.reason() == Reason.CONTAINER_NOT_FOUND) {
        return; // its container is gone, and the process with it
      }
      log.warn("cannot stop {} in container {} on close; it runs on until it ends or its "
          + "container goes: {}", spec.command(), shortId(containerId), e.getMessage());
    }
  }

  private boolean waitQuietly(Duration d) {
    try {
      exit.get(d.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return exit.isDone();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}
