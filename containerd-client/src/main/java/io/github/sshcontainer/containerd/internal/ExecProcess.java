package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.containerd.TaskResult;
import io.github.sshcontainer.containerd.api.tasks.CloseIORequest;
import io.github.sshcontainer.containerd.api.tasks.DeleteProcessRequest;
import io.github.sshcontainer.containerd.api.tasks.KillRequest;
import io.github.sshcontainer.containerd.api.tasks.ResizePtyRequest;
import io.github.sshcontainer.containerd.api.tasks.WaitRequest;
import io.github.sshcontainer.containerd.api.tasks.WaitResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A process exec'd into a running task, with its live stdio and FIFO directory. */
final class ExecProcess implements RunningTask {
  private final Rpc client;
  private final String containerId;
  private final String execId;
  private final FifoDir fifos;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile RemoteStdio stdio;
  volatile boolean created;
  volatile int pid;

  ExecProcess(Rpc client, String containerId, String execId, FifoDir fifos) {
    this.client = client;
    this.containerId = containerId;
    this.execId = execId;
    this.fifos = fifos;
  }

  /** The process's stdio is {@code io}: resized and closed through this process. */
  RemoteStdio live(RemoteStdio io) {
    io.resizer((w, h) -> client.call("resizing the terminal of " + execId, () ->
        client.tasks().resizePty(ResizePtyRequest.newBuilder().setContainerId(containerId)
            .setExecId(execId).setWidth(w).setHeight(h).build())));
    io.stdinCloser(() -> client.call("closing the stdin of " + execId, () ->
        client.tasks().closeIO(CloseIORequest.newBuilder().setContainerId(containerId)
            .setExecId(execId).setStdin(true).build())));
    this.stdio = io;
    return io;
  }

  @Override
  public String id() {
    return execId;
  }

  @Override
  public int pid() {
    return pid;
  }

  @Override
  public Optional<TaskIo> io() {
    return Optional.of(stdio);
  }

  @Override
  public void kill(int signal) {
    client.call("signalling process " + execId, () -> client.tasks().kill(
        KillRequest.newBuilder().setContainerId(containerId).setExecId(execId)
            .setSignal(signal).build()));
  }

  @Override
  public TaskResult await(Duration timeout) {
    try {
      WaitResponse r = client.tasks().withDeadlineAfter(timeout.toMillis(),
          TimeUnit.MILLISECONDS).wait(WaitRequest.newBuilder().setContainerId(containerId)
          .setExecId(execId).build());
      return new TaskResult(r.getExitStatus(), "");
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw new ContainerdException(ContainerdException.Reason.TIMED_OUT, "process "
            + execId + " did not exit within " + timeout.toMillis() + " ms");
      }
      throw client.translate("waiting for process " + execId, e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (created) {
      try {
        client.tasks().kill(KillRequest.newBuilder().setContainerId(containerId)
            .setExecId(execId).setSignal(9).build());
      } catch (StatusRuntimeException ignored) {
        // exited already
      }
      try {
        client.tasks().withDeadlineAfter(10, TimeUnit.SECONDS).wait(WaitRequest.newBuilder()
            .setContainerId(containerId).setExecId(execId).build());
      } catch (StatusRuntimeException ignored) {
        // gone or stuck; delete says which
      }
      client.cleanUp("deleting process " + execId, () -> client.tasks().deleteProcess(
          DeleteProcessRequest.newBuilder().setContainerId(containerId).setExecId(execId)
              .build()));
    }
    if (stdio != null) {
      stdio.close();
    }
    fifos.close();
  }
}
