package io.github.sshcontainer.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * A gateway the test starts in this JVM, on the lab's dockerd reached over SSH through the
 * lab's sshd (the Docker host exposes nothing but SSH), with the lab's client key authorized,
 * and an OpenSSH client that trusts the gateway's host key. Closing it stops the gateway, the
 * backend and the Docker client.
 */
final class LabGateway implements AutoCloseable {
  final Path dir;
  final DockerClient docker;
  final GatewayCounters counters;
  final DockerBackend backend;
  final GatewayServer server;

  private LabGateway(Path dir, DockerClient docker, GatewayCounters counters,
      DockerBackend backend, GatewayServer server) {
    this.dir = dir;
    this.docker = docker;
    this.counters = counters;
    this.backend = backend;
    this.server = server;
  }

  static Lab lab() {
    return Lab.shared();
  }

  /** Tunnel options for the lab's dockerd through the lab's sshd. */
  static TunnelOptions.Builder dockerHost() {
    Lab lab = lab();
    return TunnelOptions.builder(lab.destination()).identityFile(lab.clientKey())
        .knownHosts(lab.knownHosts()).noSshConfig().useAgent(false)
        .connectTimeout(Duration.ofSeconds(10))
        .remoteSocket(lab.docker().socket().toString());
  }

  /** The lab's busybox image, network none, never pulled, a 2 s stop timeout. */
  static ContainerSpec.Builder busybox() {
    return ContainerSpec.of(DockerDaemon.BUSYBOX).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2));
  }

  static LabGateway start(Path dir, DockerBackendOptions backendOptions) {
    return start(dir, docker(), backendOptions, g -> g);
  }

  /** A Docker client on the lab's dockerd over SSH, for the gateway to own. */
  static DockerClient docker() {
    return SshDocker.connect(dockerHost().build());
  }

  static LabGateway start(Path dir, DockerClient docker, DockerBackendOptions backendOptions,
      UnaryOperator<GatewayOptions.Builder> more) {
    return start(dir, docker, backendOptions, more, BackendEvents.NONE);
  }

  /** As above, with {@code events} told what the gateway's counters are told. */
  static LabGateway start(Path dir, DockerClient docker, DockerBackendOptions backendOptions,
      UnaryOperator<GatewayOptions.Builder> more, BackendEvents events) {
    try {
      Files.createDirectories(dir);
      Path authorized = dir.resolve("authorized_keys");
      Files.copy(Path.of(lab().clientKey() + ".pub"), authorized);
      LabGateway g;
      GatewayCounters counters = new GatewayCounters(events);
      DockerBackend backend = DockerBackend.create(docker, backendOptions, counters);
      GatewayServer server = GatewayServer.start(more.apply(GatewayOptions.builder(
          dir.resolve("host_key")).listen("127.0.0.1", 0).authorizedKeys(authorized))
          .build(), backend, counters);
      g = new LabGateway(dir, docker, counters, backend, server);
      Files.writeString(g.knownHosts(), Keys.knownHostsLine(dir.resolve("host_key"),
          server.port()) + "\n");
      return g;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path knownHosts() {
    return dir.resolve("known_hosts");
  }

  /** OpenSSH's client as {@code user}, with the lab's key. */
  OpenSshClient client(String user) {
    return new OpenSshClient(lab().clientKey(), knownHosts(), server.port(), user);
  }

  OpenSshClient alice() {
    return client("alice");
  }

  /** The containers of this gateway's connections that exist now, for {@code user}. */
  List<Container> containersOf(String user) {
    return docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(DockerBackend.USER_LABEL, user,
            OnDemandContainer.MANAGED_LABEL, "true")).exec();
  }

  /** Waits (bounded) until {@code user} has no container left, then asserts it. */
  void awaitNoContainers(String user, Duration within) throws InterruptedException {
    long end = System.nanoTime() + within.toNanos();
    while (!containersOf(user).isEmpty() && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), containersOf(user), "every container of " + user + " removed");
  }

  /** The live threads of gateways, MINA and docker-java streams in this JVM. */
  static Set<String> threads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.startsWith("ssh-container-gateway")
            || n.startsWith("sshd-") || n.startsWith("docker-java-stream"))
        .collect(Collectors.toSet());
  }

  /** Waits (90 s at most) until {@link #threads()} are no more than {@code baseline}. */
  static void awaitThreadsBackTo(Set<String> baseline) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    Set<String> now = threads();
    while (now.size() > baseline.size() && System.nanoTime() < end) {
      Thread.sleep(500);
      now = threads();
    }
    assertTrue(now.size() <= baseline.size(), "threads back to baseline " + baseline.size()
        + ": " + now);
  }

  /**
   * Closes the gateway. A user-mode backend leaves its users' containers for the next start
   * to adopt; unless {@code keepUserContainers} was called, this removes this JVM's (no two
   * user-mode gateways of a test are open at once), so that no test leaves one for another.
   */
  @Override
  public void close() throws IOException {
    server.close();
    backend.close();
    try {
      if (!keepUserContainers && backend.options().mode() == DockerBackendOptions.Mode.USER) {
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
            DockerBackend.MODE_LABEL, "user", OnDemandContainer.OWNER_LABEL,
            OnDemandContainer.owner())).exec()) {
          docker.removeContainerCmd(c.getId()).withForce(true).exec();
        }
      }
    } finally {
      docker.close();
    }
  }

  private boolean keepUserContainers;

  /** Leaves the users' containers to a gateway started next (a restart). */
  LabGateway keepUserContainers() {
    keepUserContainers = true;
    return this;
  }
}
