package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.dockerHost;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SshTarget;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What breaks: a client killed, the Docker host's sshd restarted, bad images, a dead daemon. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayFaultsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  @Test
  void aClientKilledMidSessionLeavesNoContainerBeyondTheStopTimeoutAndFiveSeconds()
      throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build())) {
      OpenSshClient c = g.client("victim");
      Process ssh = c.start(c.ssh(List.of(), "echo started; sleep 600"), tmp.resolve("v.log"));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(tmp.resolve("v.log")).contains("started")) {
        assertTrue(System.nanoTime() < end, "the session started");
        Thread.sleep(50);
      }
      assertEquals(1, g.containersOf("victim").size());
      ssh.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no goodbye
      long t0 = System.nanoTime();
      g.awaitNoContainers("victim", Duration.ofSeconds(2 + 5)); // the stop timeout is 2 s
      System.out.printf("FIGURES gateway: container gone %d ms after the client was killed%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
  }

  @Test
  void afterTheDockerHostsSshdRestartsNewConnectionsWorkOnceTheTunnelIsBack()
      throws Exception {
    try (Sshd own = lab().startSshd("gw-restart-" + System.nanoTime(), lab().hostKey(),
        List.of())) {
      Path kh = Files.writeString(tmp.resolve("kh"), Keys.knownHostsLine(lab().hostKey(),
          own.port()) + "\n");
      DockerClient docker = SshDocker.connect(dockerHost().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", own.port())).build());
      try (LabGateway g = LabGateway.start(tmp.resolve("gw"), docker,
          DockerBackendOptions.builder(busybox().build()).build(), o -> o)) {
        OpenSshClient c = g.client("restart");
        Process held = c.start(c.ssh(List.of(), "echo held; sleep 30"), tmp.resolve("h.log"));
        assertEquals("before\n", c.ssh("echo before", null, SOON).out());
        own.restart();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        OpenSshClient.Result r = c.ssh("echo after", null, SOON);
        while (r.code() != 0 && System.nanoTime() < end) {
          Thread.sleep(200);
          r = c.ssh("echo after", null, SOON);
        }
        assertEquals(0, r.code(), "a new connection works again: " + r.err());
        assertEquals("after\n", r.out());
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aMissingImageUnderNeverIsOneClearLineAndTheGatewayKeepsServing() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), DockerBackendOptions.builder(
        ContainerSpec.of("sshc-lab/missing:1").networkMode("none").pullPolicy(PullPolicy.NEVER)
            .build()).build())) {
      for (int i = 0; i < 2; i++) {
        OpenSshClient.Result r = g.client("missing").ssh("true", null, SOON);
        assertNotEquals(0, r.code());
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line: " + r.err());
        assertTrue(lines.get(0).startsWith("gateway: ") && lines.get(0)
            .contains("sshc-lab/missing:1"), lines.get(0));
      }
      assertTrue(g.counters.snapshot().failures() >= 2, "" + g.counters.snapshot());
    }
  }

  /** A registry that does not answer: each login gets one line, the next login is served. */
  @Test
  void aPullThatFailsIsOneClearLineAndTheNextLoginIsServed() throws Exception {
    // the lab's dockerd runs in the host's network namespace: port 1 on loopback refuses
    String image = "127.0.0.1:1/lab/absent:1";
    try (LabGateway bad = LabGateway.start(tmp.resolve("gw-pull"), DockerBackendOptions.builder(
        ContainerSpec.of(image).networkMode("none").pullPolicy(PullPolicy.ALWAYS).build())
        .build())) {
      OpenSshClient.Result r = bad.client("puller").ssh("true", null, SOON);
      assertNotEquals(0, r.code());
      List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
      assertEquals(List.of("gateway: the image " + image + " could not be pulled"), lines,
          r.err());
      OpenSshClient.Result again = bad.client("puller").ssh("true", null, SOON);
      assertEquals(lines, again.err().lines().filter(l -> !l.isBlank()).toList(),
          "the gateway keeps answering");
    }
  }

  @Test
  void aContainerThatFailsToStartAndADaemonThatIsDownAreClearLines() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), DockerBackendOptions.builder(
        busybox().idleCommand(List.of("/no/such/program")).build()).build())) {
      OpenSshClient.Result r = g.client("badidle").ssh("true", null, SOON);
      assertNotEquals(0, r.code());
      assertTrue(r.err().startsWith("gateway: the container from " + DockerDaemon.BUSYBOX
          + " did not start"), r.err());
    }
    DockerDaemon second = DockerDaemon.start(tmp.resolve("d2"));
    try {
      DockerClient docker = SshDocker.connect(dockerHost().remoteSocket(second.socket()
          .toString()).build());
      try (LabGateway g = LabGateway.start(tmp.resolve("gw2"), docker,
          DockerBackendOptions.builder(busybox().build()).build(), o -> o)) {
        second.stop();
        OpenSshClient.Result r = g.client("daemondown").ssh("true", null, SOON);
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("gateway: the container host does not answer"), r.err());
        assertFalse(r.err().contains(second.socket().toString()), "no gateway detail leaks");
      }
    } finally {
      second.close();
    }
  }

  /**
   * The CLI closes the gateway from its shutdown hook and from its main thread at once, then
   * closes the Docker client: the second close must return only once the first has removed
   * every container, or the removal runs into a closed client and the container stays.
   */
  @Test
  void aCloseBesideAnotherReturnsOnlyOnceEveryContainerIsGone() throws Exception {
    // an idle command that ignores TERM: the first close waits the stop timeout (2 s), then KILL
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), DockerBackendOptions.builder(
        busybox().idleCommand(List.of("sh", "-c", "trap '' TERM; while :; do sleep 1; done"))
            .build()).build())) {
      OpenSshClient c = g.client("closing");
      Process held = c.start(c.ssh(List.of(), "echo held; sleep 600"), tmp.resolve("c.log"));
      try {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(tmp.resolve("c.log")).contains("held")) {
          assertTrue(System.nanoTime() < end, "the session started");
          Thread.sleep(50);
        }
        Thread first = new Thread(g.server::close, "first-close");
        first.start();
        while (accepts(g.server.port())) { // the first close has begun: the port is shut
          assertTrue(System.nanoTime() < end, "the gateway stopped listening");
          Thread.sleep(20);
        }
        g.server.close();
        assertEquals(List.of(), g.containersOf("closing"), "the second close waited");
        first.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(first.isAlive(), "the first close ended");
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}
