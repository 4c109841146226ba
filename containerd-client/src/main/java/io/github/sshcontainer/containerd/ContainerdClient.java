package io.github.sshcontainer.containerd;

import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.content.ContentGrpc;
import io.github.sshcontainer.containerd.api.diff.DiffGrpc;
import io.github.sshcontainer.containerd.api.events.EventsGrpc;
import io.github.sshcontainer.containerd.api.images.ImagesGrpc;
import io.github.sshcontainer.containerd.api.introspection.IntrospectionGrpc;
import io.github.sshcontainer.containerd.api.leases.LeasesGrpc;
import io.github.sshcontainer.containerd.api.namespaces.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.tasks.TasksGrpc;
import io.github.sshcontainer.containerd.api.transfer.TransferGrpc;
import io.github.sshcontainer.containerd.api.version.VersionGrpc;
import io.github.sshcontainer.containerd.internal.Events;
import io.github.sshcontainer.containerd.internal.GrpcChannels;
import io.github.sshcontainer.containerd.internal.Headers;
import io.github.sshcontainer.containerd.internal.ImageImporter;
import io.github.sshcontainer.containerd.internal.TaskRunner;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A ready gRPC client for a containerd on a remote host: the channel, typed stubs for every
 * service, and the common operations (import an image, run a task, stream events). Every call
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
  private final SocketTunnel tunnel;
  private final boolean ownsTunnel;
  private final boolean root;
  private final String namespace;
  private final Duration deadline;
  private final AtomicBoolean closed;

  ContainerdClient(GrpcChannels.Owned owned, SocketTunnel tunnel, boolean ownsTunnel,
      String namespace, Duration deadline) {
    this(owned, tunnel, ownsTunnel, true, namespace, deadline, new AtomicBoolean());
  }

  private ContainerdClient(GrpcChannels.Owned owned, SocketTunnel tunnel, boolean ownsTunnel,
      boolean root, String namespace, Duration deadline, AtomicBoolean closed) {
    this.owned = owned;
    this.tunnel = tunnel;
    this.ownsTunnel = ownsTunnel;
    this.root = root;
    this.namespace = namespace;
    this.deadline = deadline;
    this.closed = closed;
  }

  /** The same connection, sending {@code namespace} instead. Closing the view does nothing. */
  public ContainerdClient withNamespace(String namespace) {
    return new ContainerdClient(owned, tunnel, ownsTunnel, false, checkNamespace(namespace),
        deadline, closed);
  }

  static String checkNamespace(String ns) {
    if (!Objects.requireNonNull(ns, "namespace").matches("[A-Za-z0-9]([A-Za-z0-9._-]{0,75})")) {
      throw new IllegalArgumentException("namespace '" + ns + "' must be 1-76 letters, digits,"
          + " '.', '_' or '-', starting with a letter or digit");
    }
    return ns;
  }

  public String namespace() {
    return namespace;
  }

  public ManagedChannel channel() {
    return owned.channel();
  }

  /** The tunnel under this client. */
  public SocketTunnel tunnel() {
    return tunnel;
  }

  private ClientInterceptor ns() {
    return Headers.namespace(namespace);
  }

  private long ms() {
    return deadline.toMillis();
  }

  public VersionGrpc.VersionBlockingStub version() {
    return VersionGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public NamespacesGrpc.NamespacesBlockingStub namespaces() {
    return NamespacesGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public ContainersGrpc.ContainersBlockingStub containers() {
    return ContainersGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public ImagesGrpc.ImagesBlockingStub images() {
    return ImagesGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public ContentGrpc.ContentBlockingStub content() {
    return ContentGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  /** For the streaming Write call. */
  public ContentGrpc.ContentStub contentAsync() {
    return ContentGrpc.newStub(channel()).withInterceptors(ns());
  }

  public SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
    return SnapshotsGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public DiffGrpc.DiffBlockingStub diff() {
    return DiffGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public TasksGrpc.TasksBlockingStub tasks() {
    return TasksGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  public LeasesGrpc.LeasesBlockingStub leases() {
    return LeasesGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  /** For the streaming Subscribe call (no deadline: a subscription lasts until cancelled). */
  public EventsGrpc.EventsStub eventsAsync() {
    return EventsGrpc.newStub(channel()).withInterceptors(ns());
  }

  public IntrospectionGrpc.IntrospectionBlockingStub introspection() {
    return IntrospectionGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  /** containerd 1.7+; a 1.6 daemon answers UNIMPLEMENTED. */
  public TransferGrpc.TransferBlockingStub transfer() {
    return TransferGrpc.newBlockingStub(channel()).withInterceptors(ns())
        .withDeadlineAfter(ms(), TimeUnit.MILLISECONDS);
  }

  /** The daemon's version, e.g. {@code 1.6.20~ds1}. */
  public String serverVersion() {
    return call("version", () -> version().version(com.google.protobuf.Empty.getDefaultInstance())
        .getVersion());
  }

  /**
   * Imports a {@code docker save} or OCI image archive streamed from this machine into this
   * namespace: content written under a lease with GC labels, images created, layers unpacked
   * into the overlayfs snapshotter. Works with containerd 1.6 and later.
   *
   * @throws ContainerdException INVALID for an archive it cannot read, FAILED otherwise
   */
  public List<ImportedImage> importImage(InputStream archive) {
    return new ImageImporter(this).importArchive(archive);
  }

  /**
   * Runs a task from an image to its end: container and snapshot made, output written to a
   * file on the remote host, exit status awaited, output brought back over SSH, and then the
   * task, container, snapshot and log file removed, on success or failure.
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
    java.util.Objects.requireNonNull(ref, "ref");
    String platform = options.platform().orElseGet(this::remotePlatform);
    return new io.github.sshcontainer.containerd.internal.RegistryPuller(this, options,
        options.username().orElse(null), options.password().orElse(null)).pull(ref, platform);
  }

  /** {@code linux/<arch>} of the remote host, from {@code uname -m}. */
  private String remotePlatform() {
    String machine = tunnel.run("uname -m", java.time.Duration.ofSeconds(30), 256)
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
    return new TaskRunner(this, tunnel).exec(containerId, spec);
  }

  /** Starts a task and returns a handle to signal, await and clean it up. */
  public RunningTask start(RunSpec spec) {
    return new TaskRunner(this, tunnel).start(spec);
  }

  /**
   * Streams task events ({@code /tasks/…}) of this namespace to {@code listener} until the
   * returned handle is closed.
   */
  public AutoCloseable subscribeTaskEvents(Consumer<TaskEvent> listener) {
    return Events.subscribe(this, listener);
  }

  /** Runs a call, turning gRPC failures into {@link ContainerdException}s. */
  public <T> T call(String what, java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      throw translate(what, e);
    }
  }

  /** The reason and message for a failed gRPC call. */
  public ContainerdException translate(String what, StatusRuntimeException e) {
    String where = " (containerd at " + tunnel.remote() + ":" + tunnel.remoteSocket()
        + ", namespace " + namespace + ")";
    String desc = e.getStatus().getDescription() == null ? e.getStatus().getCode().name()
        : e.getStatus().getDescription();
    switch (e.getStatus().getCode()) {
      case UNIMPLEMENTED:
        return new ContainerdException(ContainerdException.Reason.UNIMPLEMENTED, what
            + " is not implemented by this containerd" + where + ": it is older than the "
            + "service needs (Transfer needs containerd 1.7 or later)", e);
      case NOT_FOUND:
        return new ContainerdException(ContainerdException.Reason.NOT_FOUND, what + ": "
            + desc + where, e);
      case UNAVAILABLE:
        return new ContainerdException(ContainerdException.Reason.UNAVAILABLE, what
            + ": containerd did not answer" + where + ": " + desc, e);
      case DEADLINE_EXCEEDED:
        return new ContainerdException(ContainerdException.Reason.TIMED_OUT, what
            + " ran past its deadline" + where, e);
      case INVALID_ARGUMENT:
      case FAILED_PRECONDITION:
        return new ContainerdException(ContainerdException.Reason.INVALID, what + ": " + desc
            + where, e);
      default:
        return new ContainerdException(ContainerdException.Reason.FAILED, what + " failed: "
            + desc + where, e);
    }
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
        tunnel.close();
      }
    }
  }
}
