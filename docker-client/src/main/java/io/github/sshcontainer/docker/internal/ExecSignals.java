package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import io.github.sshcontainer.docker.RemoteDockerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Signals an exec's process. Docker has no API for it (moby #35703), and the PID that {@code
 * inspect exec} gives is the host's, not the container's. So each exec carries a marker in its
 * environment ({@link #MARKER}{@code =token}); a signal is a second exec that finds, through the
 * container's {@code /proc}, the marked process whose parent is not marked (the exec's own, not
 * its children, which inherit the marker) and runs {@code kill -s SIG PID} on it. It needs
 * {@code /bin/sh}, {@code grep} and {@code kill} in the image (busybox has them).
 */
public final class ExecSignals {
  /** The environment variable that marks a session's process. */
  public static final String MARKER = "SSH_CONTAINER_EXEC";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Exit 3: no marked process (it has ended). */
  private static final String SCRIPT = String.join("\n",
      "tok=\"$1\"; sig=\"$2\"; set --",
      "for f in /proc/[0-9]*/environ; do",
      "  if grep -q \"$tok\" \"$f\" 2>/dev/null; then p=${f#/proc/}; set -- \"$@\" \"${p%/environ}\"; fi",
      "done",
      "[ $# -gt 0 ] || exit 3",
      "for p in \"$@\"; do",
      "  pp=; while read -r k v; do [ \"$k\" = PPid: ] && pp=$v; done < /proc/$p/status",
      "  top=1; for q in \"$@\"; do [ \"$q\" = \"$pp\" ] && top=0; done",
      "  [ $top = 1 ] && exec kill -s \"$sig\" \"$p\"",
      "done",
      "exit 3");

  private ExecSignals() {}

  /** A fresh marker value. */
  public static String newToken() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /**
   * Delivers {@code signal} (a name without SIG) to the process marked {@code token}.
   *
   * @param user the exec's user (to read its /proc entries and signal it), or null
   * @return false if no marked process is left (it has ended)
   * @throws RemoteDockerException UNSUPPORTED when the image lacks sh, grep or kill
   */
  public static boolean deliver(DockerClient docker, String containerId, String token,
      String signal, String user) {
    String execId;
    try {
      var create = docker.execCreateCmd(containerId)
          .withCmd("/bin/sh", "-c", SCRIPT, "sh", MARKER + "=" + token, signal)
          .withAttachStdout(true).withAttachStderr(true);
      if (user != null) {
        create.withUser(user);
      }
      execId = create.exec().getId();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(Reason.CONTAINER_NOT_FOUND, "cannot signal a process in "
          + "container " + containerId + ": the container is gone", e);
    } catch (ConflictException e) {
      return false; // the container is not running: nothing left to signal
    } catch (DockerException e) {
      if (!running(docker, containerId)) {
        return false;
      }
      throw e;
    }
    StringBuilder output = new StringBuilder();
    AtomicReference<Throwable> streamError = new AtomicReference<>();
    ResultCallback.Adapter<Frame> frames = new ResultCallback.Adapter<>() {
      @Override
      public void onNext(Frame f) {
        synchronized (output) {
          if (output.length() < 4096) {
            output.append(new String(f.getPayload(), StandardCharsets.UTF_8));
          }
        }
      }

      /**
       * Not docker-java's: it logs every error at ERROR with a stack trace, and the usual one
       * here is the container that stopped between the exec's create and its start.
       */
      @Override
      public void onError(Throwable t) {
        streamError.compareAndSet(null, t);
        try {
          close();
        } catch (IOException ignored) {
          // done with it
        }
      }
    };
    try {
      docker.execStartCmd(execId).withDetach(false).exec(frames);
      if (!frames.awaitCompletion(30, TimeUnit.SECONDS)) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "signalling " + signal + " in "
            + "container " + containerId + " took longer than 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.TIMED_OUT, "interrupted signalling " + signal, e);
    } catch (DockerException e) {
      streamError.compareAndSet(null, e);
    } finally {
      try {
        frames.close();
      } catch (IOException ignored) {
        // done with it
      }
    }
    Throwable failed = streamError.get();
    if (failed != null) {
      if (!running(docker, containerId)) {
        return false; // it stopped meanwhile, and every process in it with it
      }
      if (missingTool(failed.getMessage())) {
        throw unsupported(containerId, signal, failed.getMessage(), failed);
      }
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "cannot deliver " + signal
          + " to a process in container " + containerId + ": " + oneLine(failed.getMessage()),
          failed);
    }
    long code;
    try {
      code = ExecExits.code(docker, execId, containerId);
    } catch (RemoteDockerException e) {
      if (!running(docker, containerId)) {
        return false;
      }
      throw e;
    }
    if (code == 0) {
      return true;
    }
    if (code == 3 || !running(docker, containerId)) {
      return false;
    }
    String said;
    synchronized (output) {
      said = output.toString().strip();
    }
    if (code == 126 || code == 127 || missingTool(said)) {
      throw unsupported(containerId, signal, "exit " + code
          + (said.isEmpty() ? "" : ": " + oneLine(said)), null);
    }
    throw new RemoteDockerException(Reason.CONTAINER_FAILED, "cannot deliver " + signal + " to a "
        + "process in container " + containerId + ": kill exited " + code
        + (said.isEmpty() ? "" : ": " + oneLine(said)));
  }

  /** Whether the container still runs; false when it is gone or cannot be asked. */
  private static boolean running(DockerClient docker, String containerId) {
    try {
      Boolean r = docker.inspectContainerCmd(containerId).exec().getState().getRunning();
      return Boolean.TRUE.equals(r);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** What a shell or the daemon says when the program to run is not in the image. */
  private static boolean missingTool(String message) {
    if (message == null) {
      return false;
    }
    String m = message.toLowerCase(java.util.Locale.ROOT);
    return m.contains("not found") || m.contains("no such file")
        || m.contains("executable file") || m.contains("permission denied");
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " | ");
  }

  private static RemoteDockerException unsupported(String containerId, String signal,
      String detail, Throwable cause) {
    return new RemoteDockerException(Reason.UNSUPPORTED, "cannot deliver " + signal + " to a "
        + "process in container " + containerId + ": Docker has no API to signal an exec, so it "
        + "runs `kill` in the container, which needs /bin/sh, grep, kill and /proc there (add "
        + "busybox or coreutils/procps to the image); it failed: " + detail, cause);
  }
}
