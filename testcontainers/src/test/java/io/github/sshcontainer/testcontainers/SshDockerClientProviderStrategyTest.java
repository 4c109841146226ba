package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
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

/** A Testcontainers suite running against the lab's dockerd over SSH. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SshDockerClientProviderStrategyTest {

  @BeforeAll
  static void configure() {
    Lab lab = Lab.shared();
    System.setProperty("sshcontainer.host", lab.destination());
    System.setProperty("sshcontainer.identity", lab.clientKey().toString());
    System.setProperty("sshcontainer.known-hosts", lab.knownHosts().toString());
    System.setProperty("sshcontainer.remote-socket", lab.docker().socket().toString());
  }

  @Test
  void aGenericContainerRunsOnTheRemoteDaemon() throws Exception {
    assertTrue(DockerClientFactory.instance().client().infoCmd().exec().getName() != null);
    assertTrue(DockerClientFactory.instance().getRemoteDockerUnixSocketPath()
        .equals(Lab.shared().docker().socket().toString()), "Ryuk would mount the remote path");
    try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(
        DockerDaemon.BUSYBOX)).withNetworkMode("none")
        .withCommand("sh", "-c", "echo started; sleep 120")
        .waitingFor(Wait.forLogMessage("started\\n", 1))) {
      c.start();
      assertTrue(c.getLogs(OutputFrame.OutputType.STDOUT).contains("started"));
      Container.ExecResult r = c.execInContainer("sh", "-c", "echo hi; exit 3");
      assertEquals("hi\n", r.getStdout());
      assertEquals(3, r.getExitCode());
      assertEquals("127.0.0.1", c.getHost(), "mapped ports are at the SSH host");
    }
  }
}
