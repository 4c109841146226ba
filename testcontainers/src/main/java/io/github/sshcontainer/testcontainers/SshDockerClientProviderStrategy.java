package io.github.sshcontainer.testcontainers;

import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Path;
import java.util.Optional;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.InvalidConfigurationException;
import org.testcontainers.dockerclient.TransportConfig;

/**
 * Lets Testcontainers use a Docker daemon on a remote host over SSH. Select it with {@code
 * docker.client.strategy=io.github.sshcontainer.testcontainers.SshDockerClientProviderStrategy}
 * in {@code ~/.testcontainers.properties} (or the {@code TESTCONTAINERS_DOCKER_CLIENT_STRATEGY}
 * environment variable); it is also registered through ServiceLoader and applies whenever a
 * destination is configured.
 *
 * <p>Configuration, from system properties or else environment variables: {@code
 * sshcontainer.host} / {@code SSHCONTAINER_HOST} (else {@code DOCKER_HOST=ssh://…}), {@code
 * sshcontainer.identity} / {@code SSHCONTAINER_IDENTITY}, {@code sshcontainer.known-hosts} /
 * {@code SSHCONTAINER_KNOWN_HOSTS}, {@code sshcontainer.remote-socket} / {@code
 * SSHCONTAINER_REMOTE_SOCKET} (else discovered on the remote host). The tunnel opens on first use
 * and closes when the JVM exits. Ryuk gets the remote socket path to mount, and mapped ports are
 * reached at the SSH host's address.
 */
public final class SshDockerClientProviderStrategy extends DockerClientProviderStrategy {
  private static SocketTunnel tunnel;

  @Override
  public String getDescription() {
    return "remote Docker over SSH (ssh-container) at " + setting("host", "HOST").orElse("?");
  }

  @Override
  protected boolean isApplicable() {
    return setting("host", "HOST").isPresent();
  }

  @Override
  protected int getPriority() {
    return 200; // above the local strategies: a configured remote host is what the user wants
  }

  @Override
  public TransportConfig getTransportConfig() throws InvalidConfigurationException {
    return TransportConfig.builder().dockerHost(tunnel().uri()).build();
  }

  /** Ryuk mounts this path: the socket as the remote daemon sees it. */
  @Override
  public String getRemoteDockerUnixSocketPath() {
    return tunnel().remoteSocket();
  }

  /** Mapped ports are published on the remote host, not on this machine. */
  @Override
  public synchronized String getDockerHostIpAddress() {
    String override = System.getenv("TESTCONTAINERS_HOST_OVERRIDE");
    if (override != null && !override.isBlank()) {
      return override;
    }
    String remote = tunnel().remote(); // user@host:port
    String hostPort = remote.substring(remote.indexOf('@') + 1);
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  private static synchronized SocketTunnel tunnel() {
    if (tunnel != null && tunnel.isOpen()) {
      return tunnel;
    }
    String host = setting("host", "HOST").orElseThrow(() -> new InvalidConfigurationException(
        "no remote Docker host: set sshcontainer.host (or SSHCONTAINER_HOST, or "
            + "DOCKER_HOST=ssh://user@host)"));
    TunnelOptions.Builder b = TunnelOptions.builder(host);
    setting("identity", "IDENTITY").map(Path::of).ifPresent(b::identityFile);
    setting("known-hosts", "KNOWN_HOSTS").map(Path::of).ifPresent(b::knownHosts);
    Optional<String> socket = setting("remote-socket", "REMOTE_SOCKET");
    socket.ifPresent(b::remoteSocket);
    try {
      // Docker's socket is discovered unless named here or as ssh://host/path
      tunnel = SocketTunnel.open(SshDocker.dockerDefaults(b.build()));
    } catch (RuntimeException e) {
      throw new InvalidConfigurationException("cannot reach Docker on " + host + " over SSH: "
          + e.getMessage(), e);
    }
    return tunnel;
  }

  private static Optional<String> setting(String property, String env) {
    String v = System.getProperty("sshcontainer." + property);
    if (v == null || v.isBlank()) {
      v = System.getenv("SSHCONTAINER_" + env);
    }
    if ((v == null || v.isBlank()) && property.equals("host")) {
      String dockerHost = System.getenv("DOCKER_HOST");
      if (dockerHost != null && dockerHost.startsWith("ssh://")) {
        v = dockerHost;
      }
    }
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }
}
