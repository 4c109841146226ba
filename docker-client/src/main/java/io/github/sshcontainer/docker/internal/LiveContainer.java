package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.WaitResponse;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.ExecSession;
import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
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
 * A container per session: its own process is the session's. It is created, attached (stdin,
 * stdout, stderr or a TTY) before it starts, so that no early output is lost; its exit is read
 * from the daemon's wait, after the attached stream has delivered everything; then it is
 * removed. Signals go through the daemon ({@code docker kill -s}).
 */
public final class LiveContainer implements ExecSession {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.docker");
  /** How long output may still arrive after the daemon reported the exit. */
  private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(30);

  private final DockerClient docker;
  private final ContainerSpec spec;
  private final Containers.Stdio stdio;
  private final SessionStreams streams;
  private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
  private final Set<String> delivered = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean removed = new AtomicBoolean();
  private volatile String id;

  private LiveContainer(DockerClient docker, ContainerSpec spec, Containers.Stdio stdio,
      InputStream in, OutputStream out, OutputStream err) {
    this.docker = docker;
    this.spec = spec;
    this.stdio = stdio;
    this.streams = new SessionStreams(stdio.stdin(), in, stdio.tty(), out, err);
  }

  /**
   * Ensures the image, creates the container running {@code spec}'s command (or the image's
   * CMD), attaches, starts it, applies the TTY size, and returns.
   *
   * @param in stdin to send (null: the session's stream, when {@code stdio} has stdin)
   * @param out where output goes (null: the session's streams)
   * @throws RemoteDockerException IMAGE_NOT_FOUND, PULL_FAILED, REGISTRY_AUTH_FAILED,
   *     CONTAINER_FAILED, TIMED_OUT; a container made is removed again then
   */
  public static LiveContainer start(DockerClient docker, ContainerSpec spec,
      Containers.Stdio stdio, InputStream in, OutputStream out, OutputStream err,
      String managedLabel, String ownerLabel) {
    Objects.requireNonNull(docker, "docker");
    Objects.requireNonNull(spec, "spec");
    LiveContainer c = new LiveContainer(docker, spec, stdio, in, out, err);
    try {
      c.id = Containers.createEnsuringImage(docker, spec, spec.command().orElse(null), stdio,
          managedLabel, ownerLabel);
      c.begin();
      return c;
    } catch (RuntimeException e) {
      c.streams.release();
      if (c.id != null) {
        c.removeOnce();
      }
      if (e instanceof RemoteDockerException) {
        throw e;
      }
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "container from "
          + spec.image() + " did not start: " + e.getMessage(), e);
    }
  }

  private void begin() {
    var attach = docker.attachContainerCmd(id).withFollowStream(true).withStdOut(true)
        .withStdErr(true);
    InputStream input = streams.input();
    if (input != null) {
      attach.withStdIn(input);
    }
    FrameRouter router = streams.router();
    router.ended().whenComplete((ok, failure) -> streams.outputEnded());
    attach.exec(router);
    try {
      if (!router.awaitStarted(spec.startTimeout().toMillis())) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "attaching to the container from "
            + spec.image() + " took longer than " + spec.startTimeout().toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted attaching", e);
    }
    if (router.ended().isCompletedExceptionally()) {
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "cannot attach to the container "
          + "from " + spec.image() + ": " + router.ended().handle((v, t) -> t).join());
    }
    try {
      docker.startContainerCmd(id).exec();
    } catch (RuntimeException e) {
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "container from "
          + spec.image() + " did not start: " + e.getMessage().trim()
          + " (check that the command exists in the image)", e);
    }
    docker.waitContainerCmd(id).exec(new ResultCallback.Adapter<WaitResponse>() {
      private volatile Integer code;

      @Override
      public void onNext(WaitResponse r) {
        code = r.getStatusCode();
      }

      @Override
      public void onError(Throwable t) {
        exited(null, t);
      }

      @Override
      public void onComplete() {
        exited(code, null);
      }
    });
    try {
      if (stdio.tty() && stdio.columns() > 0 && Containers.awaitRunning(docker, id, spec, true)) {
        resizeQuietly(stdio.columns(), stdio.rows());
      }
    } finally {
      streams.sized(); // the first size is applied, or none was asked for
    }
  }

  /** The daemon reported the exit: let the output finish, remove the container, then tell. */
  private void exited(Integer code, Throwable failure) {
    try {
      streams.router().ended().get(OUTPUT_DRAIN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("output of container {} did not end {} s after it exited", LiveExec.shortId(id),
          OUTPUT_DRAIN.toSeconds());
    } catch (ExecutionException e) {
      // the stream failed: what came is what there is
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    streams.inputEnded();
    ExitStatus status = code == null ? null : statusOf(code);
    removeOnce(); // before telling: whoever waits for the exit finds the container gone
    if (status == null) {
      exit.completeExceptionally(new RemoteDockerException(Reason.DAEMON_UNAVAILABLE,
          "cannot tell how the container from " + spec.image() + " ended: " + failure,
          failure));
    } else {
      exit.complete(status);
    }
  }

  private ExitStatus statusOf(int code) {
    Optional<String> sig = ExitStatus.signalOfCode(code);
    if (sig.isPresent()) {
      if (delivered.contains(sig.get())) {
        return ExitStatus.signal(sig.get());
      }
      if (sig.get().equals("KILL") && oomKilled()) {
        return ExitStatus.signal("KILL");
      }
    }
    return ExitStatus.code(code & 0xff);
  }

  private boolean oomKilled() {
    try {
      InspectContainerResponse.ContainerState s = docker.inspectContainerCmd(id).exec()
          .getState();
      return Boolean.TRUE.equals(s.getOOMKilled());
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public String containerId() {
    return id;
  }

  @Override
  public OutputStream stdin() {
    return streams.stdin("stdin comes from the stream given to start",
        "this container session has no stdin");
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
    if (stdio.tty() && !exit.isDone() && !closed.get()) {
      resizeQuietly(columns, rows);
    }
  }

  private void resizeQuietly(int columns, int rows) {
    try {
      docker.resizeContainerCmd(id).withSize(rows, columns).exec();
    } catch (RuntimeException e) {
      log.debug("container {}: resize to {}x{} not applied: {}", LiveExec.shortId(id), columns,
          rows, e.getMessage());
    }
  }

  @Override
  public void signal(String signal) {
    String name = ExitStatus.signalName(signal);
    if (exit.isDone()) {
      return;
    }
    delivered.add(name);
    try {
      docker.killContainerCmd(id).withSignal(name).exec();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(Reason.CONTAINER_NOT_FOUND, "cannot signal container "
          + LiveExec.shortId(id) + ": it is gone", e);
    } catch (RuntimeException e) {
      if (!exit.isDone()) {
        log.debug("container {}: {} not delivered: {}", LiveExec.shortId(id), name,
            e.getMessage());
      }
    }
  }

  @Override
  public ExitStatus awaitExit(Duration timeout) {
    try {
      return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new RemoteDockerException(Reason.TIMED_OUT, "container " + LiveExec.shortId(id)
          + " from " + spec.image() + " did not exit within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted waiting for container "
          + LiveExec.shortId(id), e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RemoteDockerException r) {
        throw new RemoteDockerException(r.reason(), r.getMessage(), r);
      }
      throw new RemoteDockerException(Reason.DAEMON_UNAVAILABLE, "cannot tell how container "
          + LiveExec.shortId(id) + " ended: " + e.getCause(), e.getCause());
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

  /** Stops the container if it runs (its stop signal, then KILL), removes it. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (!exit.isDone()) {
      delivered.add("TERM");
      delivered.add("KILL");
      Containers.stopAndRemove(docker, id, spec.stopTimeout());
      removed.set(true);
    }
    streams.release();
    removeOnce();
  }

  private void removeOnce() {
    if (id != null && removed.compareAndSet(false, true)) {
      Containers.remove(docker, id);
    }
  }
}
