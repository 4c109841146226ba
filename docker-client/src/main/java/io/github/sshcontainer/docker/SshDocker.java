package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DockerClientImpl;
import io.github.sshcontainer.docker.internal.DockerEndpoints;
import io.github.sshcontainer.docker.internal.DockerHints;
import io.github.sshcontainer.docker.internal.ExplicitDockerConfig;
import io.github.sshcontainer.docker.internal.TunnelDockerHttpClient;
import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point: a ready docker-java {@link DockerClient} for a Docker daemon on a remote host,
 * reached through a {@link SocketTunnel}.
 *
 * <pre>{@code
 * try (DockerClient docker = SshDocker.connect(TunnelOptions.builder("ssh://me@host").build())) {
 *   docker.listContainersCmd().exec();
 * }
 * }</pre>
 *
 * <p>The client is configured only from what is passed here: the local {@code DOCKER_HOST},
 * {@code DOCKER_TLS_VERIFY}, {@code docker-java.properties} and Docker context are never read
 * by {@code connect}. It talks the daemon's own API version (Docker 20.10 and later). Stdin sent
 * to {@code execStartCmd(..).withStdIn(..)} or {@code attachContainerCmd} ends with a real
 * end-of-input.
 */
public final class SshDocker {
  private static final Logger log = LoggerFactory.getLogger(SshDocker.class);
  /** How long {@code connect} keeps pinging a daemon that does not answer yet. */
  public static final Duration DEFAULT_PING_DEADLINE = Duration.ofSeconds(30);
  /**
   * No cap, as docker-java's own default: long-lived streams (logs, events, stats, wait,
   * attach) each hold a connection, and a cap made every other call queue behind them. Each
   * connection is one SSH channel, which the tunnel multiplexes without limit.
   */
  private static final int MAX_CONNECTIONS = Integer.MAX_VALUE;

  private SshDocker() {}

  /** Docker's system socket. */
  public static final String DOCKER_SOCKET = "/var/run/docker.sock";

  /**
   * Where Docker's socket is looked for when the options name none, in order: the remote login
   * environment's {@code DOCKER_HOST}, rootless Docker, the system socket, rootless and system
   * Podman (whose Docker-compatible API serves docker-java too).
   */
  public static final List<String> SOCKET_CANDIDATES = List.of("$DOCKER_HOST",
      "/run/user/${uid}/docker.sock", DOCKER_SOCKET, "/run/user/${uid}/podman/podman.sock",
      "/run/podman/podman.sock");

  /**
   * The Docker CLI's own way in, {@code docker system dial-stdio}, for servers that refuse
   * stream-local forwarding: one exec channel per connection; needs the docker CLI on the host.
   */
  public static final SocketCommand DIAL_STDIO = socket -> "docker --host unix://"
      + SocketCommand.quote(socket) + " system dial-stdio";

  /**
   * {@code options} with Docker's defaults where they are unset: the remote socket discovered
   * from {@link #SOCKET_CANDIDATES}, and {@link #DIAL_STDIO} as the fallback when sshd refuses
   * stream-local forwarding. What the options set is kept.
   */
  public static TunnelOptions dockerDefaults(TunnelOptions options) {
    TunnelOptions.Builder b = options.toBuilder();
    if (options.remoteSocket().isEmpty()) {
      b.remoteSocket(RemoteSocket.firstOf(SOCKET_CANDIDATES));
    }
    if (options.socketCommand().isEmpty()) {
      b.socketCommand(DIAL_STDIO);
    }
    return b.build();
  }

  /**
   * Opens a tunnel with {@code options} under {@link #dockerDefaults}, and returns a client that
   * owns it: closing the client closes the tunnel.
   *
   * @throws io.github.sshcontainer.tunnel.TunnelException if the tunnel cannot be opened
   * @throws RemoteDockerException DAEMON_UNAVAILABLE if the daemon does not answer a ping
   *     within {@link #DEFAULT_PING_DEADLINE}
   */
  public static DockerClient connect(TunnelOptions options) {
    return connect(options, DEFAULT_PING_DEADLINE);
  }

  /**
   * As {@link #connect(TunnelOptions)}, pinging for at most {@code pingDeadline}. When the
   * options name no remote socket, it is discovered from {@link #SOCKET_CANDIDATES}.
   */
  public static DockerClient connect(TunnelOptions options, Duration pingDeadline) {
    SocketTunnel tunnel = openTunnel(options);
    try {
      return build(tunnel, true, pingDeadline);
    } catch (RuntimeException e) {
      tunnel.close();
      throw e;
    }
  }

  /**
   * Opens a tunnel to the Docker daemon under {@link #dockerDefaults}, for callers that keep the
   * tunnel themselves (and hand it to {@link #connect(SocketTunnel)}). A remote socket that
   * cannot be opened is explained in Docker's terms: a missing socket names rootless Docker's
   * path, a denied one the {@code docker} group.
   *
   * @throws io.github.sshcontainer.tunnel.TunnelException if the tunnel cannot be opened
   */
  public static SocketTunnel openTunnel(TunnelOptions options) {
    try {
      return SocketTunnel.open(dockerDefaults(options));
    } catch (TunnelException e) {
      throw DockerHints.explain(e);
    }
  }

  /**
   * A client over the caller's tunnel, which the client does not close.
   *
   * @throws RemoteDockerException DAEMON_UNAVAILABLE if the daemon does not answer a ping
   */
  public static DockerClient connect(SocketTunnel tunnel) {
    return build(Objects.requireNonNull(tunnel, "tunnel"), false, DEFAULT_PING_DEADLINE);
  }

  /**
   * The tunnel a client made by {@link #connect} (or {@link DockerEndpoint} for ssh://) runs
   * over, asked of its transport; empty for any other client.
   */
  public static Optional<SocketTunnel> tunnelOf(DockerClient docker) {
    if (docker instanceof DockerClientImpl impl
        && impl.getHttpClient() instanceof TunnelDockerHttpClient http) {
      return Optional.of(http.tunnel());
    }
    return Optional.empty();
  }

  private static DockerClient build(SocketTunnel tunnel, boolean owns, Duration pingDeadline) {
    TunnelDockerHttpClient http = new TunnelDockerHttpClient(tunnel, owns, MAX_CONNECTIONS,
        tunnel.connectTimeout());
    DockerClient client = DockerClientImpl.getInstance(
        new ExplicitDockerConfig(tunnel.uri(), null), http);
    return ping(client, pingDeadline, tunnel.remote() + ":" + tunnel.remoteSocket());
  }

  /**
   * Pings until the daemon answers or {@code deadline} passes; returns {@code client}, or
   * closes it and throws.
   */
  static DockerClient ping(DockerClient client, Duration deadline, String where) {
    try {
      awaitPing(client, deadline, where);
      return client;
    } catch (RuntimeException e) {
      try {
        client.close();
      } catch (IOException ignored) {
        // already failing
      }
      throw e;
    }
  }

  private static void awaitPing(DockerClient client, Duration deadline, String where) {
    long end = System.nanoTime() + deadline.toNanos();
    long wait = 100;
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        client.pingCmd().exec();
        log.debug("Docker daemon at {} answered ping (attempt {})", where, attempts);
        return;
      } catch (RuntimeException e) {
        if (e instanceof RemoteDockerException r
            && r.reason() == RemoteDockerException.Reason.TLS_FAILED) {
          throw r; // asking again will not change the certificates
        }
        if (System.nanoTime() + wait * 1_000_000 > end) {
          if (e instanceof RemoteDockerException r) {
            throw new RemoteDockerException(r.reason(), r.getMessage() + " (" + attempts
                + " pings in " + deadline.toMillis() + " ms)", e);
          }
          throw new RemoteDockerException(RemoteDockerException.Reason.DAEMON_UNAVAILABLE,
              "the Docker daemon at " + where
                  + " did not answer a ping within " + deadline.toMillis() + " ms ("
                  + attempts + " attempts): " + e.getMessage(), e);
        }
        try {
          Thread.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new RemoteDockerException(RemoteDockerException.Reason.DAEMON_UNAVAILABLE,
              "interrupted while pinging the Docker daemon", ie);
        }
        wait = Math.min(wait * 2, 2000);
      }
    }
  }

  /**
   * Tunnel options for a Docker CLI style host, {@code ssh://user@host[:port][/path/to.sock]};
   * the path, if any, is the remote socket.
   *
   * @throws IllegalArgumentException for any other scheme, naming what is accepted
   */
  public static TunnelOptions.Builder tunnelOptions(String dockerHost) {
    Objects.requireNonNull(dockerHost, "dockerHost");
    if (!dockerHost.regionMatches(true, 0, "ssh://", 0, 6)) {
      throw new IllegalArgumentException("Docker host '" + dockerHost + "' is not an ssh:// "
          + "host; ssh-container reaches remote daemons over SSH only: use "
          + "ssh://user@host[:port][/path/to/docker.sock]");
    }
    return TunnelOptions.builder(dockerHost);
  }

  /**
   * Tunnel options from the environment, as the Docker CLI finds its host: {@code
   * DOCKER_HOST=ssh://…}, else the current Docker context ({@code DOCKER_CONTEXT} or {@code
   * currentContext} in {@code ~/.docker/config.json}) whose endpoint is {@code ssh://…}.
   *
   * @throws IllegalArgumentException when neither names an ssh:// host, saying what was found
   */
  public static TunnelOptions.Builder tunnelOptionsFromEnvironment() {
    return tunnelOptionsFrom(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** As {@link #tunnelOptionsFromEnvironment()}, with the environment and home given. */
  public static TunnelOptions.Builder tunnelOptionsFrom(Map<String, String> env, Path home) {
    DockerEndpoints.Endpoint e = DockerEndpoints.find(env, home).orElseThrow(() ->
        new IllegalArgumentException("no remote Docker host: set DOCKER_HOST=ssh://user@host "
            + "or select a Docker context with an ssh:// endpoint (docker context use NAME)"));
    if (!e.host().regionMatches(true, 0, "ssh://", 0, 6)) {
      throw new IllegalArgumentException(e.source() + " names '" + e.host()
          + "', which is not an ssh:// host; use ssh://user@host[:port][/path/to/docker.sock]");
    }
    return TunnelOptions.builder(e.host());
  }
}
