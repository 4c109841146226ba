package io.github.sshcontainer.containerd;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.DeleteContainerRequest;
import io.github.sshcontainer.containerd.api.tasks.KillRequest;
import io.github.sshcontainer.containerd.api.tasks.TasksGrpc;
import io.github.sshcontainer.containerd.api.version.VersionGrpc;
import io.github.sshcontainer.containerd.internal.Events;
import io.github.sshcontainer.containerd.internal.GrpcChannels;
import io.github.sshcontainer.containerd.internal.ImageImporter;
import io.github.sshcontainer.containerd.internal.RegistryPuller;
import io.github.sshcontainer.containerd.internal.Rpc;
import io.github.sshcontainer.containerd.internal.TaskRunner;
import io.github.sshcontainer.registry.CredentialsException;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.AbstractStub;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A ready gRPC client for a containerd on a remote host: the channel, a typed stub for any
 * service ({@link #stub}), and the common operations (import or pull an image, run a task with
 * live I/O, exec into it, stream events). Every call
 * carries the client's namespace ({@code containerd-namespace}) and a deadline. Thread-safe.
 *
 * <p>The client from {@link SshContainerd} owns its channel, event loop and (unless the caller
 * passed one in) its tunnel; {@link #close()} ends all of them. A view from {@link
 * #withNamespace} shares them and its {@code close()} does nothing.
 */
public final class ContainerdClient implements AutoCloseable {
  /** Namespace used when none is given, as with {@code ctr}. */
  public static final String DEFAULT_NAMESPACE = "default";
  /** Deadline of each unary call unless a stub is made with another. */
  public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(60);

  private final GrpcChannels.Owned owned;
  private final Rpc rpc;
  private final boolean ownsTunnel;
  private final boolean root;
  private final AtomicBoolean closed;

  ContainerdClient(GrpcChannels.Owned owned, SocketTunnel tunnel, boolean ownsTunnel,
      String namespace, Duration deadline) {
    this(owned, new Rpc(owned.channel(), tunnel, namespace, deadline), ownsTunnel, true,
        new AtomicBoolean());
  }

  private ContainerdClient(GrpcChannels.Owned owned, Rpc rpc, boolean ownsTunnel, boolean root,
      AtomicBoolean closed) {
    this.owned = owned;
    this.rpc = rpc;
    this.ownsTunnel = ownsTunnel;
    this.root = root;
    this.closed = closed;
  }

  /** The same connection, sending {@code namespace} instead. Closing the view does nothing. */
  public ContainerdClient withNamespace(String namespace) {
    return new ContainerdClient(owned, rpc.withNamespace(SpecChecks.identifier("namespace",
        namespace)), ownsTunnel, false, closed);
  }

  public String namespace() {
    return rpc.namespace();
  }

  public ManagedChannel channel() {
    return owned.channel();
  }

  /** The tunnel under this client. */
  public SocketTunnel tunnel() {
    return rpc.tunnel();
  }

  /**
   * A typed stub for any containerd service, sending this client's namespace, with its call
   * deadline: {@code ctr.stub(TasksGrpc::newBlockingStub).list(…)}. A failed call throws
   * grpc's {@code StatusRuntimeException}; the operations of this class throw {@link
   * ContainerdException}s instead.
   */
  public <S extends AbstractStub<S>> S stub(Function<Channel, S> newStub) {
    return rpc.stub(newStub);
  }

  /** As {@link #stub}, without a deadline: for streaming calls that last until cancelled. */
  public <S extends AbstractStub<S>> S streamingStub(Function<Channel, S> newStub) {
    return rpc.streaming(newStub);
  }

  /** The daemon's version, e.g. {@code 1.6.20~ds1}. */
  public String serverVersion() {
    return rpc.call("version", () -> rpc.stub(VersionGrpc::newBlockingStub)
        .version(Empty.getDefaultInstance()).getVersion());
  }

  /**
   * Imports a {@code docker save} or OCI image archive streamed from this machine into this
   * namespace: content written under a lease with GC labels, images created, layers unpacked
   * into the overlayfs snapshotter. Works with containerd 1.6 and later.
   *
   * @throws ContainerdException INVALID for an archive it cannot read, FAILED otherwise
   */
  public List<ImportedImage> importImage(InputStream archive) {
    return new ImageImporter(rpc).importArchive(archive);
  }

  /**
   * Runs a task from an image to its end: container and snapshot made, output kept in a log on
   * the remote host, exit status awaited, and once the task's stdout and stderr have ended, every
   * byte of both brought back over SSH (up to {@link RunSpec#maxLogBytes()}); then the task,
   * container, snapshot and log removed, on success or failure.
   */
  public TaskResult run(RunSpec spec) {
    try (RunningTask task = start(spec)) {
      return task.await(spec.timeout());
    }
  }

  /**
   * Pulls {@code ref} from its registry into this namespace and unpacks it, from this machine
   * (containerd 1.6 has no Transfer service); the platform defaults to the remote host's.
   *
   * @throws ContainerdException UNAUTHORIZED when the registry refuses the credentials (or
   *     needs some), NOT_FOUND for a missing name, tag or platform, UNAVAILABLE when the
   *     registry cannot be reached from here
   */
  public ImportedImage pull(String ref, PullOptions options) {
    Objects.requireNonNull(ref, "ref");
    String platform = options.platform().orElseGet(this::remotePlatform);
    RegistryAuth auth;
    try {
      auth = options.auth().or(() -> options.credentials().forImage(ref)).orElse(null);
    } catch (CredentialsException e) {
      throw new ContainerdException(ContainerdException.Reason.UNAUTHORIZED, e.getMessage(), e);
    }
    if (auth != null && auth.isIdentityToken()) {
      throw new ContainerdException(ContainerdException.Reason.UNAUTHORIZED, "the credentials "
          + "for " + DockerCredentials.registryOf(ref) + " (" + auth.source() + ") are an "
          + "identity token, which this client cannot use yet; give a user and password (or "
          + "access token as the password) with PullOptions.basicAuth");
    }
    return new RegistryPuller(rpc, options,
        auth == null ? null : auth.username().orElse(null), auth == null ? null : auth.secret(),
        auth == null ? null : auth.source()).pull(ref, platform);
  }

  /** {@code linux/<arch>} of the remote host, from {@code uname -m}. */
  private String remotePlatform() {
    String machine = rpc.tunnel().run("uname -m", Duration.ofSeconds(30), 256)
        .stdoutText().trim();
    String arch = switch (machine) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "armv7l", "armv7" -> "arm/v7";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      case "riscv64" -> "riscv64";
      default -> machine;
    };
    return "linux/" + arch;
  }

  /**
   * Runs a process in the running task of container {@code containerId}, with live stdio
   * ({@link RunningTask#io()}); closing the handle kills it if it still runs and removes it.
   *
   * @throws ContainerdException NOT_FOUND if there is no such container or task
   */
  public RunningTask exec(String containerId, ExecSpec spec) {
    return new TaskRunner(rpc).exec(containerId, spec);
  }

  /** Starts a task and returns a handle to signal, await and clean it up. */
  public RunningTask start(RunSpec spec) {
    return new TaskRunner(rpc).start(spec);
  }

  /**
   * Streams task events ({@code /tasks/…}) of this namespace to {@code listener} until the
   * returned handle is closed.
   */
  public AutoCloseable subscribeTaskEvents(Consumer<TaskEvent> listener) {
    return Events.subscribe(rpc, listener);
  }

  /**
   * Sends {@code signal} to the task of container {@code id} (all its processes with {@code
   * all}).
   *
   * @throws ContainerdException NOT_FOUND if there is no such task
   */
  public void killTask(String id, int signal, boolean all) {
    rpc.call("signalling task " + id, () -> rpc.stub(TasksGrpc::newBlockingStub).kill(
        KillRequest.newBuilder().setContainerId(id).setSignal(signal).setAll(all).build()));
  }

  /**
   * Removes container {@code id} (its task must be gone).
   *
   * @throws ContainerdException NOT_FOUND if there is no such container
   */
  public void removeContainer(String id) {
    rpc.call("removing container " + id, () -> rpc.stub(ContainersGrpc::newBlockingStub)
        .delete(DeleteContainerRequest.newBuilder().setId(id).build()));
  }

  /** Closes the channel, its event loop and, if owned, the tunnel. Idempotent. */
  @Override
  public void close() {
    if (!root || !closed.compareAndSet(false, true)) {
      return;
    }
    try {
      owned.shutdown(5000);
    } finally {
      if (ownsTunnel) {
        rpc.tunnel().close();
      }
    }
  }
}
