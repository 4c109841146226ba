package io.github.sshcontainer.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.NetnsHost;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Testcontainers with Ryuk on: Ryuk's published port is reached through the same forwarding as
 * any container's. No registry is reachable here, so Ryuk's image is a stand-in built on the
 * remote host under Ryuk's name: busybox answering Ryuk's protocol (a line of filters in, "ACK"
 * out) on port 8080 and recording what it got. What real Ryuk does after that (removing the
 * session's containers when the connection drops) is not exercised. Runs in a surefire
 * execution of its own, with TESTCONTAINERS_RYUK_DISABLED=false.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RyukOverSshTest {
  static final String RYUK_IMAGE = "testcontainers/ryuk:0.14.0";
  static NetnsHost.DockerHost host;

  @BeforeAll
  static void configure() {
    Lab lab = Lab.shared();
    host = lab.remoteDockerHost();
    DockerDaemon d = host.docker();
    String build = "sshc-ryuk-build-" + System.nanoTime();
    d.cli(Duration.ofSeconds(60), "run", "--name", build, "--network", "none",
        DockerDaemon.BUSYBOX, "sh", "-c", "printf '#!/bin/sh\\nwhile read l; do echo \"$l\""
            + " >> /tmp/filters; echo ACK; done\\n' > /ack.sh && chmod +x /ack.sh");
    d.cli(Duration.ofSeconds(60), "commit", "-c",
        "CMD [\"sh\", \"-c\", \"echo Started; exec busybox nc -ll -p 8080 -e /ack.sh\"]",
        build, RYUK_IMAGE);
    d.cli(Duration.ofSeconds(60), "rm", build);
    System.setProperty("sshcontainer.host", host.destination());
    System.setProperty("sshcontainer.identity", lab.clientKey().toString());
    System.setProperty("sshcontainer.known-hosts", host.knownHosts().toString());
    System.setProperty("sshcontainer.remote-socket", host.docker().socket().toString());
  }

  @Test
  void ryuksPortIsForwardedAndItGetsTheSessionsFilters() throws Exception {
    try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(
        DockerDaemon.BUSYBOX)).withNetworkMode("none")
        .withCommand("sh", "-c", "echo up; sleep 120")
        .waitingFor(Wait.forLogMessage("up\\n", 1))) {
      c.start();
      String ryuk = host.docker().cli(Duration.ofSeconds(30), "ps", "-q", "--filter",
          "ancestor=" + RYUK_IMAGE).trim();
      assertEquals(1, ryuk.lines().count(), "Ryuk runs on the remote host: " + ryuk);
      String filters = host.docker().cli(Duration.ofSeconds(30), "exec", ryuk, "cat",
          "/tmp/filters");
      assertTrue(filters.contains("label=org.testcontainers.sessionId%3D"
          + DockerClientFactory.SESSION_ID), "Ryuk got the session's filters through the "
          + "forwarded port: " + filters);
      int ryukPort = Integer.parseInt(host.docker().cli(Duration.ofSeconds(30), "port", ryuk,
          "8080/tcp").lines().findFirst().orElseThrow().replaceFirst(".*:", "").trim());
      assertTrue(SshDockerClientProviderStrategy.publishedPorts().orElseThrow()
          .localAddress(ryukPort).isPresent(), "Ryuk's port is forwarded");
    }
  }
}
