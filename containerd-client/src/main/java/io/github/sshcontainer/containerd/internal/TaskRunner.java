package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.TaskResult;
import io.github.sshcontainer.containerd.api.containers.Container;
import io.github.sshcontainer.containerd.api.containers.CreateContainerRequest;
import io.github.sshcontainer.containerd.api.containers.DeleteContainerRequest;
import io.github.sshcontainer.containerd.api.images.GetImageRequest;
import io.github.sshcontainer.containerd.api.snapshots.PrepareSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.RemoveSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.StatSnapshotRequest;
import io.github.sshcontainer.containerd.api.tasks.CreateTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.DeleteTaskRequest;
import io.github.sshcontainer.containerd.api.tasks.CloseIORequest;
import io.github.sshcontainer.containerd.api.tasks.KillRequest;
import io.github.sshcontainer.containerd.api.tasks.ResizePtyRequest;
import io.github.sshcontainer.containerd.api.tasks.StartRequest;
import io.github.sshcontainer.containerd.api.tasks.WaitRequest;
import io.github.sshcontainer.containerd.api.tasks.WaitResponse;
import io.github.sshcontainer.containerd.api.types.Mount;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a task the way containerd's Go client does, from the client side: the spec built here,
 * a snapshot on the image's top layer, the container with runtime io.containerd.runc.v2, and the
 * task with either stdout and stderr in a {@code file://} log on the remote host (brought back
 * over SSH at the end), or live stdio: FIFOs made on the daemon's host and joined to this
 * machine over SSH ({@link RemoteStdio}).
 */
public final class TaskRunner {
  private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);
  /** How long reading or removing a task log on the remote host may take. */
  private static final java.time.Duration REMOTE_FILE_DEADLINE = java.time.Duration.ofSeconds(30);
  static final String RUNTIME = "io.containerd.runc.v2";
  static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final Rpc client;
  private final SocketTunnel tunnel;

  public TaskRunner(Rpc client) {
    this.client = client;
    this.tunnel = client.tunnel();
  }

  public RunningTask start(RunSpec spec) {
    String id = spec.id().orElse("sshc-" + UUID.randomUUID().toString().substring(0, 12));
    JsonObject config = imageConfig(spec.image());
    String chain = topChain(config);
    Started started = new Started(id);
    // the task's FIFOs; should this client die before close(), the remote host removes the
    // task with them
    started.fifos = FifoDir.make(tunnel, spec.logDir(), spec.live()
        ? RemoteStdio.fifos(spec.stdin(), spec.tty()) : List.of(TaskLog.STDOUT, TaskLog.STDERR),
        RemoteReaper.removeTask(tunnel.remoteSocket(), client.namespace(), id));
    try {
      // the readers (and the stdin writer) are in place before the shim opens the FIFOs
      if (spec.live()) {
        started.io = RemoteStdio.open(tunnel, started.fifos, spec.stdin(), spec.tty());
      } else {
        started.output = TaskLog.open(tunnel, started.fifos, spec.maxLogBytes());
      }
      String lease = client.createLease("ssh-container-run-" + id, Duration.ofMinutes(10));
      try {
        var snapshots = client.leased(
            io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc::newBlockingStub, lease);
        List<Mount> mounts = client.call("preparing the container snapshot", () -> snapshots
            .prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(ImageImporter.SNAPSHOTTER)
                .setKey(id).setParent(chain).build()).getMountsList());
        started.snapshot = true;
        byte[] specJson = OciSpec.build(client.namespace(), id, OciSpec.process(
            args(spec, config), env(spec, config), cwd(spec, config), uid(spec, config),
            gid(spec, config), spec.ttyColumns(), spec.ttyRows()));
        var containers = client.leased(
            io.github.sshcontainer.containerd.api.containers.ContainersGrpc::newBlockingStub,
            lease);
        client.call("creating container " + id, () -> containers.create(
            CreateContainerRequest.newBuilder().setContainer(Container.newBuilder().setId(id)
                .setImage(spec.image()).setSnapshotter(ImageImporter.SNAPSHOTTER)
                .setSnapshotKey(id)
                .setRuntime(Container.Runtime.newBuilder().setName(RUNTIME))
                .setSpec(Any.newBuilder().setTypeUrl(OciSpec.TYPE_URL)
                    .setValue(ByteString.copyFrom(specJson)))
                .putLabels("io.github.sshcontainer.managed", "true")).build()));
        started.container = true;
        CreateTaskRequest.Builder create = CreateTaskRequest.newBuilder().setContainerId(id)
            .addAllRootfs(mounts);
        if (spec.live()) {
          RemoteStdio io = started.io;
          io.resizer((w, h) -> client.call("resizing the terminal of " + id, () ->
              client.tasks().resizePty(ResizePtyRequest.newBuilder().setContainerId(id)
                  .setWidth(w).setHeight(h).build())));
          io.stdinCloser(() -> client.call("closing the stdin of " + id, () ->
              client.tasks().closeIO(CloseIORequest.newBuilder().setContainerId(id)
                  .setStdin(true).build())));
          create.setStdin(io.stdinPath()).setStdout(io.stdoutPath())
              .setStderr(io.stderrPath()).setTerminal(spec.tty());
        } else {
          create.setStdout(started.output.stdoutPath()).setStderr(started.output.stderrPath());
        }
        client.call("creating task " + id, () -> client.tasks().create(create.build()));
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

  private final class Started implements RunningTask {
    private final String id;
    private final AtomicBoolean closed = new AtomicBoolean();
    volatile boolean snapshot;
    volatile boolean container;
    volatile boolean task;
    volatile int pid;
    volatile FifoDir fifos;
    volatile RemoteStdio io;
    volatile TaskLog output;

    Started(String id) {
      this.id = id;
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
    public java.util.Optional<io.github.sshcontainer.containerd.TaskIo> io() {
      return java.util.Optional.ofNullable(io);
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
      String text = output.read(id, REMOTE_FILE_DEADLINE);
      deleteTask();
      return new TaskResult(r.getExitStatus(), text);
    }

    private void deleteTask() {
      if (task) {
        quietly("deleting task " + id, () -> client.tasks().delete(
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
        quietly("deleting container " + id, () -> client.containers().delete(
            DeleteContainerRequest.newBuilder().setId(id).build()));
      }
      if (snapshot) {
        quietly("removing snapshot " + id, () -> client.snapshots().remove(
            RemoveSnapshotRequest.newBuilder().setSnapshotter(ImageImporter.SNAPSHOTTER)
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

  /**
   * Runs a process in the running task of {@code containerId} ({@code Tasks.Exec}): the task's
   * own process spec with the command, environment, directory, user and terminal of {@code
   * spec}, and live stdio through FIFOs on the remote host.
   */
  public RunningTask exec(String containerId, io.github.sshcontainer.containerd.ExecSpec spec) {
    var container = client.call("looking up container " + containerId, () ->
        client.containers().get(io.github.sshcontainer.containerd.api.containers
            .GetContainerRequest.newBuilder().setId(containerId).build()).getContainer());
    JsonObject process = JsonParser.parseString(container.getSpec().getValue()
        .toStringUtf8()).getAsJsonObject().getAsJsonObject("process").deepCopy();
    com.google.gson.JsonArray args = new com.google.gson.JsonArray();
    spec.args().forEach(args::add);
    process.add("args", args);
    process.addProperty("terminal", spec.tty());
    process.remove("consoleSize");
    if (spec.tty()) {
      JsonObject size = new JsonObject();
      size.addProperty("width", spec.ttyColumns());
      size.addProperty("height", spec.ttyRows());
      process.add("consoleSize", size);
    }
    com.google.gson.JsonArray env = process.has("env") ? process.getAsJsonArray("env")
        : new com.google.gson.JsonArray();
    spec.env().forEach((k, v) -> {
      for (int i = env.size() - 1; i >= 0; i--) {
        if (env.get(i).getAsString().startsWith(k + "=")) {
          env.remove(i);
        }
      }
      env.add(k + "=" + v);
    });
    process.add("env", env);
    spec.workingDir().ifPresent(d -> process.addProperty("cwd", d));
    spec.user().ifPresent(u -> {
      JsonObject user = new JsonObject();
      String[] p = u.split(":");
      user.addProperty("uid", Integer.parseInt(p[0]));
      user.addProperty("gid", p.length > 1 ? Integer.parseInt(p[1]) : 0);
      process.add("user", user);
    });
    String execId = "exec-" + UUID.randomUUID().toString().substring(0, 12);
    FifoDir fifos = FifoDir.make(tunnel, spec.ioDir(), RemoteStdio.fifos(spec.stdin(),
        spec.tty()), "");
    RemoteStdio stdio;
    try {
      stdio = RemoteStdio.open(tunnel, fifos, spec.stdin(), spec.tty());
    } catch (RuntimeException e) {
      fifos.close();
      throw e;
    }
    Exec exec = new Exec(containerId, execId, fifos, stdio);
    try {
      stdio.resizer((w, h) -> client.call("resizing the terminal of " + execId, () ->
          client.tasks().resizePty(ResizePtyRequest.newBuilder().setContainerId(containerId)
              .setExecId(execId).setWidth(w).setHeight(h).build())));
      stdio.stdinCloser(() -> client.call("closing the stdin of " + execId, () ->
          client.tasks().closeIO(CloseIORequest.newBuilder().setContainerId(containerId)
              .setExecId(execId).setStdin(true).build())));
      client.call("creating process " + execId + " in " + containerId, () -> client.tasks()
          .exec(io.github.sshcontainer.containerd.api.tasks.ExecProcessRequest.newBuilder()
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

  /** A process exec'd into a running task. */
  private final class Exec implements RunningTask {
    private final String containerId;
    private final String execId;
    private final FifoDir fifos;
    private final RemoteStdio stdio;
    private final AtomicBoolean closed = new AtomicBoolean();
    volatile boolean created;
    volatile int pid;

    Exec(String containerId, String execId, FifoDir fifos, RemoteStdio stdio) {
      this.containerId = containerId;
      this.execId = execId;
      this.fifos = fifos;
      this.stdio = stdio;
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
    public java.util.Optional<io.github.sshcontainer.containerd.TaskIo> io() {
      return java.util.Optional.of(stdio);
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
        quietly("deleting process " + execId, () -> client.tasks().deleteProcess(
            io.github.sshcontainer.containerd.api.tasks.DeleteProcessRequest.newBuilder()
                .setContainerId(containerId).setExecId(execId).build()));
      }
      stdio.close();
      fifos.close();
    }
  }

  private static void quietly(String what, Runnable r) {
    try {
      r.run();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        log.warn("clean-up step failed, {}: {}", what, e.getStatus());
      }
    }
  }

  private JsonObject imageConfig(String image) {
    var img = client.call("looking up image " + image, () -> client.images().get(
        GetImageRequest.newBuilder().setName(image).build()).getImage());
    JsonObject manifest = JsonParser.parseString(new String(Blobs.read(client,
        img.getTarget().getDigest()), StandardCharsets.UTF_8)).getAsJsonObject();
    if (manifest.has("manifests")) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "image " + image
          + " points at an index; import it with this SDK so it points at one manifest");
    }
    String configDigest = manifest.getAsJsonObject("config").get("digest").getAsString();
    return JsonParser.parseString(new String(Blobs.read(client, configDigest),
        StandardCharsets.UTF_8)).getAsJsonObject();
  }

  private String topChain(JsonObject config) {
    List<String> diffIds = new ArrayList<>();
    config.getAsJsonObject("rootfs").getAsJsonArray("diff_ids")
        .forEach(d -> diffIds.add(d.getAsString()));
    String chain = Rpc.chainId(diffIds);
    try {
      client.snapshots().stat(StatSnapshotRequest.newBuilder()
          .setSnapshotter(ImageImporter.SNAPSHOTTER).setKey(chain).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new ContainerdException(ContainerdException.Reason.NOT_FOUND, "the image's layers"
            + " are not unpacked into the " + ImageImporter.SNAPSHOTTER + " snapshotter (no "
            + "snapshot " + chain + "); import the image with importImage(...) first", e);
      }
      throw client.translate("looking up the image snapshot", e);
    }
    return chain;
  }

  private static JsonObject runConfig(JsonObject config) {
    return config.has("config") && config.get("config").isJsonObject()
        ? config.getAsJsonObject("config") : new JsonObject();
  }

  private static List<String> strings(JsonObject o, String key) {
    List<String> out = new ArrayList<>();
    if (o.has(key) && o.get(key).isJsonArray()) {
      o.getAsJsonArray(key).forEach(e -> out.add(e.getAsString()));
    }
    return out;
  }

  static List<String> args(RunSpec spec, JsonObject config) {
    if (spec.args().isPresent()) {
      return spec.args().get();
    }
    List<String> args = new ArrayList<>(strings(runConfig(config), "Entrypoint"));
    args.addAll(strings(runConfig(config), "Cmd"));
    if (args.isEmpty()) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the image has no "
          + "entrypoint or cmd: give the command with RunSpec.args(...)");
    }
    return args;
  }

  static List<String> env(RunSpec spec, JsonObject config) {
    List<String> env = new ArrayList<>(strings(runConfig(config), "Env"));
    if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
      env.add(0, DEFAULT_PATH);
    }
    spec.env().forEach((k, v) -> {
      env.removeIf(e -> e.startsWith(k + "="));
      env.add(k + "=" + v);
    });
    return env;
  }

  static String cwd(RunSpec spec, JsonObject config) {
    if (spec.workingDir().isPresent()) {
      return spec.workingDir().get();
    }
    JsonObject c = runConfig(config);
    String wd = c.has("WorkingDir") && !c.get("WorkingDir").isJsonNull()
        ? c.get("WorkingDir").getAsString() : "";
    return wd.isEmpty() ? "/" : wd;
  }

  private static String user(RunSpec spec, JsonObject config) {
    if (spec.user().isPresent()) {
      return spec.user().get();
    }
    JsonObject c = runConfig(config);
    String u = c.has("User") && !c.get("User").isJsonNull() ? c.get("User").getAsString() : "";
    if (u.isEmpty()) {
      return "0:0";
    }
    if (!u.matches("\\d+(:\\d+)?")) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the image's user '" + u
          + "' is a name; give a numeric user with RunSpec.user(\"uid:gid\")");
    }
    return u;
  }

  static int uid(RunSpec spec, JsonObject config) {
    return Integer.parseInt(user(spec, config).split(":")[0]);
  }

  static int gid(RunSpec spec, JsonObject config) {
    String[] p = user(spec, config).split(":");
    return p.length > 1 ? Integer.parseInt(p[1]) : 0;
  }
}
