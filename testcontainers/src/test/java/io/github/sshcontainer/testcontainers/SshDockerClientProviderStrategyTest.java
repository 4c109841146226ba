package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.HttpGet;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.NetnsHost;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * An unchanged Testcontainers suite against a remote host that only SSH reaches: another
 * machine (a network namespace) with a dockerd that publishes ports on its bridge network, and a
 * firewall that drops everything but SSH.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SshDockerClientProviderStrategyTest {
  static NetnsHost.DockerHost host;

  @BeforeAll
  static void configure() {
    Lab lab = Lab.shared();
    host = lab.remoteDockerHost();
    System.setProperty("sshcontainer.host", host.destination());
    System.setProperty("sshcontainer.identity", lab.clientKey().toString());
    System.setProperty("sshcontainer.known-hosts", host.knownHosts().toString());
    System.setProperty("sshcontainer.remote-socket", host.docker().socket().toString());
  }

  @Test
  void aGenericContainerRunsOnTheRemoteDaemon() throws Exception {
    assertTrue(DockerClientFactory.instance().client().infoCmd().exec().getName() != null);
    assertEquals(host.docker().socket().toString(),
        DockerClientFactory.instance().getRemoteDockerUnixSocketPath(),
        "Ryuk would mount the remote path");
    try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(
        DockerDaemon.BUSYBOX)).withNetworkMode("none")
        .withCommand("sh", "-c", "echo started; sleep 120")
        .waitingFor(Wait.forLogMessage("started\\n", 1))) {
      c.start();
      assertTrue(c.getLogs(OutputFrame.OutputType.STDOUT).contains("started"));
      Container.ExecResult r = c.execInContainer("sh", "-c", "echo hi; exit 3");
      assertEquals("hi\n", r.getStdout());
      assertEquals(3, r.getExitCode());
    }
  }

  @Test
  void anExposedPortIsReachedThroughGetHostAndGetMappedPort() throws Exception {
    try (GenericContainer<?> web = new GenericContainer<>(DockerImageName.parse(
        DockerDaemon.BUSYBOX)).withExposedPorts(80)
        .withCommand("sh", "-c", "mkdir -p /w && echo served-by-a-remote-container"
            + " > /w/index.html && exec busybox httpd -f -p 80 -h /w")
        .waitingFor(Wait.forListeningPort())) {
      web.start();
      assertEquals("127.0.0.1", web.getHost(), "published ports are forwarded to loopback");
      int port = web.getMappedPort(80);
      assertThrows(IOException.class, () -> {
        try (Socket direct = new Socket()) {
          direct.connect(new InetSocketAddress(host.host().address(), port), 1500);
        }
      }, "only SSH reaches the remote host");
      String answer = HttpGet.root(new InetSocketAddress(web.getHost(), port),
          Duration.ofSeconds(20));
      assertTrue(answer.contains("served-by-a-remote-container"), answer);
      assertTrue(SshDockerClientProviderStrategy.publishedPorts().orElseThrow().mappings()
          .stream().anyMatch(m -> m.remotePort() == port && m.samePort()));
    }
  }

}
