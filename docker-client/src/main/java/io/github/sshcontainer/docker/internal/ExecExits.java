package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import java.util.concurrent.TimeUnit;

/** Reads an exec's state from the daemon. */
public final class ExecExits {
  private static final long EXIT_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private ExecExits() {}

  /**
   * The exit code of an exec whose streams have ended. The daemon may report it as running for
   * a moment after its streams closed, so this asks again for up to 10 s.
   *
   * @throws RemoteDockerException TIMED_OUT when no exit code comes
   */
  public static long code(DockerClient docker, String execId, String containerId) {
    long end = System.nanoTime() + EXIT_DEADLINE_NANOS;
    long pause = 2;
    while (true) {
      InspectExecResponse r;
      try {
        r = docker.inspectExecCmd(execId).exec();
      } catch (NotFoundException e) {
        throw new RemoteDockerException(Reason.CONTAINER_NOT_FOUND, "exec " + execId
            + " in container " + containerId + " is gone (its container was removed?)", e);
      }
      if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
        return r.getExitCodeLong();
      }
      if (System.nanoTime() > end) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "exec " + execId + " in container "
            + containerId + " closed its streams but reports no exit code");
      }
      pause(pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  /**
   * Waits until the exec runs (or has already ended): a TTY resize before that may be lost on
   * some daemons (Podman).
   *
   * @return false if it had ended already
   */
  public static boolean awaitRunning(DockerClient docker, String execId, long deadlineNanos) {
    long pause = 1;
    while (true) {
      InspectExecResponse r = docker.inspectExecCmd(execId).exec();
      if (Boolean.TRUE.equals(r.isRunning())) {
        return true;
      }
      if (r.getExitCodeLong() != null) {
        return false;
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "exec " + execId
            + " was not running within its start deadline");
      }
      pause(pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted", e);
    }
  }
}
