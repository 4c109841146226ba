package io.github.sshcontainer.testcontainers;

import io.github.sshcontainer.docker.PublishedPorts;
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
 * SSHCONTAINER_REMOTE_SOCKET} (else discovered on the remote host), {@code
 * sshcontainer.publish-ports} / {@code SSHCONTAINER_PUBLISH_PORTS} (default true). The tunnel
 * opens on first use and closes when the JVM exits. Ryuk gets the remote socket path to mount.
 * Mapped ports are reached at 127.0.0.1: every published port of the remote host's running
 * containers is forwarded over the SSH connection with the same number ({@link PublishedPorts}),
 * so only SSH needs to be open to the remote host. A port number already taken on this machine
 * is forwarded elsewhere and logged, and a test using {@code getMappedPort} for it fails to
 * connect: free the port, or set publish-ports to false where every port of the host is open.
 */
public final class SshDockerClientProviderStrategy extends DockerClientProviderStrategy {
  private static SocketTunnel tunnel;
  private static PublishedPorts published;

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

  /**
   * Where mapped ports are reached: 127.0.0.1, where published ports are forwarded over SSH
   * (the default); with {@code sshcontainer.publish-ports=false}, the SSH host itself, which
   * works only where its ports are open to this machine.
   */
  @Override
  public synchronized String getDockerHostIpAddress() {
    String override = System.getenv("TESTCONTAINERS_HOST_OVERRIDE");
    if (override != null && !override.isBlank()) {
      return override;
    }
    if (publishPorts()) {
      tunnel(); // starts following the daemon's containers
      return "127.0.0.1";
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
      tunnel = SshDocker.openTunnel(b.build());
      if (publishPorts()) {
        // a client of its own over the tunnel follows the daemon's events; it lives as long as
        // the tunnel (the JVM's), like the client Testcontainers makes
        published = PublishedPorts.follow(SshDocker.connect(tunnel), tunnel);
      }
    } catch (RuntimeException e) {
      throw new InvalidConfigurationException("cannot reach Docker on " + host + " over SSH: "
          + e.getMessage(), e);
    }
    return tunnel;
  }

  /**
   * The published ports being forwarded for the tunnel Testcontainers uses, once it is open
   * and publishing is on: where each remote port is reachable here.
   */
  public static synchronized Optional<PublishedPorts> publishedPorts() {
    return Optional.ofNullable(published);
  }

  private static boolean publishPorts() {
    return !setting("publish-ports", "PUBLISH_PORTS").map(v -> v.equalsIgnoreCase("false"))
        .orElse(false);
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
