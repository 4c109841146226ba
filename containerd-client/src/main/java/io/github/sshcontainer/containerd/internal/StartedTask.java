package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.containerd.TaskResult;
import io.github.sshcontainer.containerd.api.containers.DeleteContainerRequest;
import io.github.sshcontainer.containerd.api.snapshots.RemoveSnapshotRequest;
import io.github.sshcontainer.containerd.api.tasks.CloseIORequest;
import io.github.sshcontainer.containerd.api.tasks.DeleteTaskRequest;
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

/**
 * A task {@link TaskRunner} started, and all it holds: the snapshot, container and task in
 * containerd, and its FIFO directory with either its live stdio or its log. Closing removes
 * what exists of them, in that order.
 */
final class StartedTask implements RunningTask {
  /** How long bringing back the log may take once the task has exited. */
  private static final Duration LOG_DEADLINE = Duration.ofSeconds(30);

  private final Rpc client;
  private final String id;
  private final FifoDir fifos;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile RemoteStdio io;
  private volatile TaskLog output;
  volatile boolean snapshot;
  volatile boolean container;
  volatile boolean task;
  volatile int pid;

  StartedTask(Rpc client, String id, FifoDir fifos) {
    this.client = client;
    this.id = id;
    this.fifos = fifos;
  }

  /** The task's stdio is {@code io}, live: resized and closed through this task. */
  RemoteStdio live(RemoteStdio stdio) {
    stdio.resizer((w, h) -> client.call("resizing the terminal of " + id, () ->
        client.tasks().resizePty(ResizePtyRequest.newBuilder().setContainerId(id)
            .setWidth(w).setHeight(h).build())));
    stdio.stdinCloser(() -> client.call("closing the stdin of " + id, () ->
        client.tasks().closeIO(CloseIORequest.newBuilder().setContainerId(id)
            .setStdin(true).build())));
    this.io = stdio;
    return stdio;
  }

  /** The task's output goes to {@code log}, brought back by {@link #await}. */
  TaskLog logged(TaskLog log) {
    this.output = log;
    return log;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int pid() {
    return pid;
  }

  @Override
  public Optional<TaskIo> io() {
    return Optional.ofNullable(io);
  }

  @Override
  public void kill(int signal) {
    client.call("signalling task " + id, () -> client.tasks().kill(KillRequest.newBuilder()
        .setContainerId(id).setSignal(signal).build()));
  }

  @Override
  public TaskResult await(Duration timeout) {
    WaitResponse r;
    try {
      r = client.tasks().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .wait(WaitRequest.newBuilder().setContainerId(id).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw new ContainerdException(ContainerdException.Reason.TIMED_OUT, "task " + id
            + " did not exit within " + timeout.toMillis() + " ms");
      }
      throw client.translate("waiting for task " + id, e);
    }
    if (io != null) {
      return new TaskResult(r.getExitStatus(), ""); // the caller read it live
    }
    // the process's exit does not wait for the shim's copy of its output: the log is read
    // once that copy has ended, and only then is the task deleted (which would cut a copy
    // still running after 2 s)
    String text = output.read(id, LOG_DEADLINE);
    deleteTask();
    return new TaskResult(r.getExitStatus(), text);
  }

  private void deleteTask() {
    if (task) {
      client.cleanUp("deleting task " + id, () -> client.tasks().delete(
          DeleteTaskRequest.newBuilder().setContainerId(id).build()));
      task = false;
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (task) {
      try {
        client.tasks().kill(KillRequest.newBuilder().setContainerId(id).setSignal(9)
            .setAll(true).build());
      } catch (StatusRuntimeException ignored) {
        // not running any more
      }
      try {
        client.tasks().withDeadlineAfter(10, TimeUnit.SECONDS)
            .wait(WaitRequest.newBuilder().setContainerId(id).build());
      } catch (StatusRuntimeException ignored) {
        // gone or stuck; delete says which
      }
      deleteTask();
    }
    if (container) {
      client.cleanUp("deleting container " + id, () -> client.containers().delete(
          DeleteContainerRequest.newBuilder().setId(id).build()));
    }
    if (snapshot) {
      client.cleanUp("removing snapshot " + id, () -> client.snapshots().remove(
          RemoveSnapshotRequest.newBuilder().setSnapshotter(ImageStore.SNAPSHOTTER)
              .setKey(id).build()));
    }
    if (io != null) {
      io.close();
    }
    if (output != null) {
      output.close();
    }
    fifos.close(); // cleaned up here: the remote clean-up stands down
  }
}
