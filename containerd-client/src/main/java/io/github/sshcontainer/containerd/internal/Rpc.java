package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.content.ContentGrpc;
import io.github.sshcontainer.containerd.api.events.EventsGrpc;
import io.github.sshcontainer.containerd.api.images.ImagesGrpc;
import io.github.sshcontainer.containerd.api.leases.CreateRequest;
import io.github.sshcontainer.containerd.api.leases.DeleteRequest;
import io.github.sshcontainer.containerd.api.leases.LeasesGrpc;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.tasks.TasksGrpc;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every internal operation needs from a client: the channel and tunnel, the namespace, the
 * call deadline, stubs carrying them, gRPC failures turned into {@link ContainerdException}s,
 * and the leases the importer, the puller and the task runner take.
 * Immutable; a view for another namespace shares the channel.
 */
public final class Rpc {
  private static final Logger log = LoggerFactory.getLogger(Rpc.class);

  private final ManagedChannel channel;
  private final SocketTunnel tunnel;
  private final String namespace;
  private final Duration deadline;

  public Rpc(ManagedChannel channel, SocketTunnel tunnel, String namespace, Duration deadline) {
    this.channel = channel;
    this.tunnel = tunnel;
    this.namespace = namespace;
    this.deadline = deadline;
  }

  public Rpc withNamespace(String ns) {
    return new Rpc(channel, tunnel, ns, deadline);
  }

  ManagedChannel channel() {
    return channel;
  }

  public SocketTunnel tunnel() {
    return tunnel;
  }

  public String namespace() {
    return namespace;
  }

  /** A stub from {@code newStub} sending the namespace, with the call deadline. */
  public <S extends AbstractStub<S>> S stub(Function<Channel, S> newStub) {
    return streaming(newStub).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** As {@link #stub}, without a deadline: for streams that last until cancelled. */
  public <S extends AbstractStub<S>> S streaming(Function<Channel, S> newStub) {
    return newStub.apply(channel).withInterceptors(Headers.namespace(namespace));
  }

  /** As {@link #stub}, its calls also under {@code lease}. */
  <S extends AbstractStub<S>> S leased(Function<Channel, S> newStub, String lease) {
    return newStub.apply(channel).withInterceptors(Headers.namespaceAndLease(namespace, lease))
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  ContainersGrpc.ContainersBlockingStub containers() {
    return stub(ContainersGrpc::newBlockingStub);
  }

  ImagesGrpc.ImagesBlockingStub images() {
    return stub(ImagesGrpc::newBlockingStub);
  }

  ContentGrpc.ContentBlockingStub content() {
    return stub(ContentGrpc::newBlockingStub);
  }

  SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
    return stub(SnapshotsGrpc::newBlockingStub);
  }

  TasksGrpc.TasksBlockingStub tasks() {
    return stub(TasksGrpc::newBlockingStub);
  }

  LeasesGrpc.LeasesBlockingStub leases() {
    return stub(LeasesGrpc::newBlockingStub);
  }

  EventsGrpc.EventsStub eventsAsync() {
    return streaming(EventsGrpc::newStub);
  }

  /** Runs a call, turning gRPC failures into {@link ContainerdException}s. */
  public <T> T call(String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      throw translate(what, e);
    }
  }

  /**
   * Runs a clean-up call: one that finds nothing to clean (NOT_FOUND) is fine, any other
   * failure is a WARN and no exception.
   */
  void cleanUp(String what, Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        log.warn("clean-up step failed, {}: {}", what, e.getStatus());
      }
    }
  }

  /** The reason and message for a failed gRPC call. */
  public ContainerdException translate(String what, StatusRuntimeException e) {
    String where = " (containerd at " + tunnel.remote() + ":" + tunnel.remoteSocket()
        + ", namespace " + namespace + ")";
    String desc = e.getStatus().getDescription() == null ? e.getStatus().getCode().name()
        : e.getStatus().getDescription();
    return switch (e.getStatus().getCode()) {
      case UNIMPLEMENTED -> new ContainerdException(ContainerdException.Reason.UNIMPLEMENTED,
          what + " is not implemented by this containerd" + where + ": it is older than the "
              + "service needs (Transfer needs containerd 1.7 or later)", e);
      case NOT_FOUND -> new ContainerdException(ContainerdException.Reason.NOT_FOUND, what
          + ": " + desc + where, e);
      case UNAVAILABLE -> new ContainerdException(ContainerdException.Reason.UNAVAILABLE, what
          + ": containerd did not answer" + where + ": " + desc, e);
      case DEADLINE_EXCEEDED -> new ContainerdException(ContainerdException.Reason.TIMED_OUT,
          what + " ran past its deadline" + where, e);
      case INVALID_ARGUMENT, FAILED_PRECONDITION -> new ContainerdException(
          ContainerdException.Reason.INVALID, what + ": " + desc + where, e);
      default -> new ContainerdException(ContainerdException.Reason.FAILED, what + " failed: "
          + desc + where, e);
    };
  }

  /** Creates a lease {@code prefix-<uuid>} that containerd drops by itself after {@code ttl}. */
  String createLease(String prefix, Duration ttl) {
    String id = prefix + "-" + UUID.randomUUID();
    call("creating lease", () -> leases().create(CreateRequest.newBuilder().setId(id)
        .putLabels("containerd.io/gc.expire", Instant.now().plus(ttl)
            .truncatedTo(ChronoUnit.SECONDS).toString()).build()));
    return id;
  }

  /** Deletes a lease; one left behind expires by itself. */
  void deleteLease(String id) {
    try {
      leases().delete(DeleteRequest.newBuilder().setId(id).build());
    } catch (StatusRuntimeException e) {
      log.warn("cannot delete lease {} (it expires by itself): {}", id, e.getStatus());
    }
  }
}
