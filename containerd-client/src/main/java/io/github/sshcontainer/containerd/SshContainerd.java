package io.github.sshcontainer.containerd;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.version.VersionGrpc;
import io.github.sshcontainer.containerd.internal.GrpcChannels;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelOptions;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Entry point: a ready {@link ContainerdClient} for a containerd on a remote host, reached through
 * a {@link SocketTunnel} to its socket (default {@value #CONTAINERD_SOCKET}).
 *
 * <pre>{@code
 * TunnelOptions options = TunnelOptions.builder("ssh://me@host")
 *     .remoteSocket(SshContainerd.CONTAINERD_SOCKET).build();
 * try (ContainerdClient ctr = SshContainerd.connect(options, "default")) {
 *   ctr.serverVersion();
 * }
 * }</pre>
 */
public final class SshContainerd {
  /** containerd's socket. */
  public static final String CONTAINERD_SOCKET = "/run/containerd/containerd.sock";

  /** How long {@code connect} keeps asking a daemon that does not answer yet for its version. */
  public static final Duration DEFAULT_READY_DEADLINE = Duration.ofSeconds(30);

  private SshContainerd() {}

  /**
   * Opens a tunnel (to {@value #CONTAINERD_SOCKET} when the options name no remote socket),
   * connects gRPC over it, and checks the daemon's version with retry and a
   * deadline. The client owns the tunnel.
   *
   * @throws TunnelException if the tunnel cannot be opened
   * @throws ContainerdException UNAVAILABLE if containerd does not answer in time
   */
  public static ContainerdClient connect(TunnelOptions options, String namespace) {
    SpecChecks.identifier("namespace", namespace);
    TunnelOptions o = options.remoteSocket().isPresent() ? options
        : options.toBuilder().remoteSocket(CONTAINERD_SOCKET).build();
    SocketTunnel tunnel = SocketTunnel.open(o);
    try {
      return build(tunnel, true, namespace, DEFAULT_READY_DEADLINE);
    } catch (RuntimeException e) {
      tunnel.close();
      throw e;
    }
  }

  /** A client over the caller's tunnel, which it does not close. */
  public static ContainerdClient connect(SocketTunnel tunnel, String namespace) {
    SpecChecks.identifier("namespace", namespace);
    return build(Objects.requireNonNull(tunnel, "tunnel"), false, namespace,
        DEFAULT_READY_DEADLINE);
  }

  private static ContainerdClient build(SocketTunnel tunnel, boolean owns, String namespace,
      Duration ready) {
    GrpcChannels.Owned owned = GrpcChannels.open(tunnel.localAddress(), tunnel.id());
    ContainerdClient client = new ContainerdClient(owned, tunnel, owns, namespace,
        ContainerdClient.DEFAULT_CALL_DEADLINE);
    long end = System.nanoTime() + ready.toNanos();
    long wait = 100;
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        client.stub(VersionGrpc::newBlockingStub)
            .withDeadlineAfter(Math.max(1000, ready.toMillis() / 4), TimeUnit.MILLISECONDS)
            .version(Empty.getDefaultInstance());
        return client;
      } catch (StatusRuntimeException e) {
        if (System.nanoTime() + wait * 1_000_000 > end) {
          owned.shutdown(5000);
          String why;
          try {
            tunnel.checkRemote();
            why = e.getStatus().toString();
          } catch (TunnelException t) {
            why = t.getMessage();
          }
          throw new ContainerdException(ContainerdException.Reason.UNAVAILABLE, "containerd at "
              + tunnel.remote() + ":" + tunnel.remoteSocket() + " did not answer Version within "
              + ready.toMillis() + " ms (" + attempts + " attempts): " + why, e);
        }
        try {
          Thread.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          owned.shutdown(5000);
          throw new ContainerdException(ContainerdException.Reason.UNAVAILABLE,
              "interrupted while connecting to containerd", ie);
        }
        wait = Math.min(wait * 2, 2000);
      }
    }
  }
}
