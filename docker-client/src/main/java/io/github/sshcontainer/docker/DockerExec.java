package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmd;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command in a running container with live stdin, stdout and stderr (or a TTY) and returns
 * its exit code: {@code docker exec} as an API. Works with any {@link DockerClient}; with one from
 * {@link SshDocker}, stdin's end reaches the command as end of input.
 */
public final class DockerExec {
  private DockerExec() {}

  /**
   * Runs {@code spec} in {@code containerId} and waits for it to end.
   *
   * @throws RemoteDockerException CONTAINER_NOT_FOUND, CONTAINER_FAILED (not running) or
   *     TIMED_OUT (the command is left running then)
   */
  public static ExecResult run(DockerClient docker, String containerId, ExecSpec spec) {
    String execId = create(docker, containerId, spec);
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    OutputStream out = spec.stdout().orElse(capturedOut);
    OutputStream err = spec.stderr().orElse(capturedErr);
    ResultCallback.Adapter<Frame> frames = new ResultCallback.Adapter<>() {
      @Override
      public void onNext(Frame frame) {
        try {
          OutputStream target =
              frame.getStreamType() == com.github.dockerjava.api.model.StreamType.STDERR
                  ? err : out;
          target.write(frame.getPayload());
          target.flush();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    var start = docker.execStartCmd(execId).withDetach(false).withTty(spec.tty());
    spec.stdin().ifPresent(start::withStdIn);
    start.exec(frames);
    try {
      if (spec.tty() && spec.columns() > 0) {
        docker.resizeExecCmd(execId).withSize(spec.rows(), spec.columns()).exec();
      }
      if (!frames.awaitCompletion(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "command "
            + spec.command() + " in container " + containerId + " did not end within "
            + spec.timeout().toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT,
          "interrupted waiting for " + spec.command(), e);
    } finally {
      closeQuietly(frames);
    }
    int exit = exitCode(docker, execId, containerId);
    return new ExecResult(exit, capturedOut.toString(StandardCharsets.UTF_8),
        capturedErr.toString(StandardCharsets.UTF_8));
  }

  private static String create(DockerClient docker, String containerId, ExecSpec spec) {
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
    }
    ExecCreateCmd cmd = docker.execCreateCmd(containerId)
        .withCmd(spec.command().toArray(String[]::new))
        .withAttachStdin(spec.stdin().isPresent())
        .withAttachStdout(true)
        .withAttachStderr(true)
        .withTty(spec.tty());
    if (!env.isEmpty()) {
      cmd.withEnv(env);
    }
    spec.workingDir().ifPresent(cmd::withWorkingDir);
    spec.user().ifPresent(cmd::withUser);
    try {
      return cmd.exec().getId();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_NOT_FOUND,
          "no container '" + containerId + "' on the remote host: " + e.getMessage().trim(), e);
    } catch (ConflictException e) {
      throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
          "container '" + containerId + "' is not running, so nothing can run in it: "
              + e.getMessage().trim(), e);
    }
  }

  /** The daemon may report the exec as running for a moment after its streams closed. */
  private static int exitCode(DockerClient docker, String execId, String containerId) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      InspectExecResponse r = docker.inspectExecCmd(execId).exec();
      if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
        return r.getExitCodeLong().intValue();
      }
      if (System.nanoTime() > end) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "exec " + execId
            + " in container " + containerId + " closed its streams but reports no exit code");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "interrupted",
            e);
      }
    }
  }

  static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
