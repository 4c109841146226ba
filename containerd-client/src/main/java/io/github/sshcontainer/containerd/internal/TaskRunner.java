package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.github.sshcontainer.containerd.ExecSpec;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.api.containers.Container;
import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.CreateContainerRequest;
import io.github.sshcontainer.containerd.api.containers.GetContainerRequest;
import io.github.sshcontainer.containerd.api.snapshots.PrepareSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.tasks.CreateTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.ExecProcessRequest;
import io.github.sshcontainer.containerd.api.tasks.StartRequest;
import io.github.sshcontainer.containerd.api.types.Mount;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task the way containerd's Go client does, from the client side: the spec built here,
 * a snapshot on the image's top layer, the container with runtime io.containerd.runc.v2, and the
 * task with its stdio in FIFOs on the remote host: either kept in a log there and brought back
 * over SSH at the end ({@link TaskLog}), or joined to this machine over SSH as it runs ({@link
 * RemoteStdio}). Also runs processes in running tasks ({@code Tasks.Exec}).
 */
public final class TaskRunner {
  private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);
  static final String RUNTIME = "io.containerd.runc.v2";

  private final Rpc client;
  private final SocketTunnel tunnel;

  public TaskRunner(Rpc client) {
    this.client = client;
    this.tunnel = client.tunnel();
  }

  public RunningTask start(RunSpec spec) {
    String id = spec.id().orElse("sshc-" + UUID.randomUUID().toString().substring(0, 12));
    ImageConfig config = ImageConfig.of(client, spec.image());
    String chain = new ImageStore(client).unpackedTop(config);
    // should this client die before close(), the remote host removes the task with its FIFOs
    FifoDir fifos = FifoDir.make(tunnel, spec.logDir(), spec.live()
        ? RemoteStdio.fifos(spec.stdin(), spec.tty()) : List.of(TaskLog.STDOUT, TaskLog.STDERR),
        RemoteReaper.removeTask(tunnel.remoteSocket(), client.namespace(), id));
    StartedTask started = new StartedTask(client, id, fifos);
    try {
      // the readers (and the stdin writer) are in place before the shim opens the FIFOs
      CreateTaskRequest.Builder create = CreateTaskRequest.newBuilder().setContainerId(id);
      if (spec.live()) {
        RemoteStdio io = started.live(RemoteStdio.open(tunnel, fifos, spec.stdin(), spec.tty()));
        create.setStdin(io.stdinPath()).setStdout(io.stdoutPath())
            .setStderr(io.stderrPath()).setTerminal(spec.tty());
      } else {
        TaskLog output = started.logged(TaskLog.open(tunnel, fifos, spec.maxLogBytes()));
        create.setStdout(output.stdoutPath()).setStderr(output.stderrPath());
      }
      String lease = client.createLease("ssh-container-run-" + id, Duration.ofMinutes(10));
      try {
        var snapshots = client.leased(SnapshotsGrpc::newBlockingStub, lease);
        List<Mount> mounts = client.call("preparing the container snapshot", () -> snapshots
            .prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(ImageStore.SNAPSHOTTER)
                .setKey(id).setParent(chain).build()).getMountsList());
        started.snapshot = true;
        byte[] specJson = OciSpec.build(client.namespace(), id, OciSpec.process(
            config.args(spec), config.env(spec), config.cwd(spec), config.uid(spec),
            config.gid(spec), spec.ttyColumns(), spec.ttyRows()));
        var containers = client.leased(ContainersGrpc::newBlockingStub, lease);
        client.call("creating container " + id, () -> containers.create(
            CreateContainerRequest.newBuilder().setContainer(Container.newBuilder().setId(id)
                .setImage(spec.image()).setSnapshotter(ImageStore.SNAPSHOTTER)
                .setSnapshotKey(id)
                .setRuntime(Container.Runtime.newBuilder().setName(RUNTIME))
                .setSpec(Any.newBuilder().setTypeUrl(OciSpec.TYPE_URL)
                    .setValue(ByteString.copyFrom(specJson)))
                .putLabels("io.github.sshcontainer.managed", "true")).build()));
        started.container = true;
        client.call("creating task " + id, () -> client.tasks().create(create
            .addAllRootfs(mounts).build()));
        started.task = true;
      } finally {
        client.deleteLease(lease);
      }
      started.pid = client.call("starting task " + id, () -> client.tasks().start(
          StartRequest.newBuilder().setContainerId(id).build()).getPid());
      log.debug("task {} started, pid {}", id, started.pid);
      return started;
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }

  /**
   * Runs a process in the running task of {@code containerId} ({@code Tasks.Exec}): the task's
   * own process spec with the command, environment, directory, user and terminal of {@code
   * spec}, and live stdio through FIFOs on the remote host.
   */
  public RunningTask exec(String containerId, ExecSpec spec) {
    Container container = client.call("looking up container " + containerId, () ->
        client.containers().get(GetContainerRequest.newBuilder().setId(containerId).build())
            .getContainer());
    JsonObject process = OciSpec.execProcess(JsonParser.parseString(container.getSpec()
        .getValue().toStringUtf8()).getAsJsonObject().getAsJsonObject("process"), spec);
    String execId = "exec-" + UUID.randomUUID().toString().substring(0, 12);
    FifoDir fifos = FifoDir.make(tunnel, spec.ioDir(), RemoteStdio.fifos(spec.stdin(),
        spec.tty()), "");
    ExecProcess exec = new ExecProcess(client, containerId, execId, fifos);
    try {
      RemoteStdio stdio = exec.live(RemoteStdio.open(tunnel, fifos, spec.stdin(), spec.tty()));
      client.call("creating process " + execId + " in " + containerId, () -> client.tasks()
          .exec(ExecProcessRequest.newBuilder()
              .setContainerId(containerId).setExecId(execId).setTerminal(spec.tty())
              .setStdin(stdio.stdinPath()).setStdout(stdio.stdoutPath())
              .setStderr(stdio.stderrPath())
              .setSpec(Any.newBuilder().setTypeUrl(OciSpec.PROCESS_TYPE_URL)
                  .setValue(ByteString.copyFromUtf8(process.toString()))).build()));
      exec.created = true;
      exec.pid = client.call("starting process " + execId, () -> client.tasks().start(
          StartRequest.newBuilder().setContainerId(containerId).setExecId(execId).build())
          .getPid());
      return exec;
    } catch (RuntimeException e) {
      exec.close();
      throw e;
    }
  }
}
