package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.internal.LiveExec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs a command in a running container with live stdin, stdout and stderr (or a TTY): {@code
 * docker exec} as an API. {@link #start} gives a live {@link ExecSession} (resize, signals, exit
 * status; no timeout); {@link #run} waits for the end, with the spec's timeout. Works with any
 * {@link DockerClient}; with one from {@link SshDocker} or {@link DockerEndpoint}, stdin's end
 * reaches the command as end of input.
 */
public final class DockerExec {
  private DockerExec() {}

  /**
   * Starts {@code spec} in {@code containerId} and returns once it runs, with the spec's TTY
   * size applied. stdin is open: write {@link ExecSession#stdin()} (or the spec's stream is
   * sent) and close it for end of input. The caller owns the session and closes it.
   *
   * @throws RemoteDockerException CONTAINER_NOT_FOUND, CONTAINER_FAILED (not running),
   *     TIMED_OUT (not started within 60 s)
   */
  public static ExecSession start(DockerClient docker, String containerId, ExecSpec spec) {
    return LiveExec.start(docker, containerId, spec, true);
  }

  /**
   * Runs {@code spec} in {@code containerId} and waits for it to end, at most the spec's
   * timeout. The command has stdin only if the spec gives a stream.
   *
   * @throws RemoteDockerException CONTAINER_NOT_FOUND, CONTAINER_FAILED (not running) or
   *     TIMED_OUT (the command is left running then)
   */
  public static ExecResult run(DockerClient docker, String containerId, ExecSpec spec) {
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    OutputStream out = spec.stdout().orElse(capturedOut);
    OutputStream err = spec.stderr().orElse(capturedErr);
    LiveExec exec = LiveExec.start(docker, containerId, spec, false, out, err);
    ExitStatus status;
    try {
      status = exec.awaitExit(spec.timeout());
    } catch (RemoteDockerException e) {
      exec.abandon();
      throw e;
    }
    exec.close();
    return new ExecResult(status.code(), capturedOut.toString(StandardCharsets.UTF_8),
        capturedErr.toString(StandardCharsets.UTF_8));
  }
}
