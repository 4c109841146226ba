package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits an operator sets: connections at once (all of them), unauthenticated connections
 * and their grace time, the idle timeout, and what each container gets (limits, labels, no
 * privilege).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayLimitsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private LabGateway gateway(DockerBackendOptions backend,
      UnaryOperator<GatewayOptions.Builder> more) {
    return LabGateway.start(tmp.resolve("gw"), SshDocker.connect(LabGateway.dockerHost()
        .build()), backend, more);
  }

  /** Starts {@code ssh user 'echo held; sleep 600'} and waits until it runs. */
  private Process hold(LabGateway g, String user) throws Exception {
    OpenSshClient c = g.client(user);
    Path log = tmp.resolve(user + ".log");
    Process p = c.start(c.ssh(List.of(), "echo held; sleep 600"), log);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains("held")) {
      assertTrue(System.nanoTime() < end && p.isAlive(), "the session started: "
          + Files.readString(log));
      Thread.sleep(50);
    }
    return p;
  }

  @Test
  void theGlobalLimitRefusesTheNextConnectionWithAClearMessage() throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.maxConnections(1))) {
      Process held = hold(g, "first");
      try {
        OpenSshClient.Result second = g.client("second").ssh("echo second", null, SOON);
        assertNotEquals(0, second.code());
        assertTrue(second.err().contains("gateway: the gateway has 1 connections, its limit; "
            + "try again later"), second.err());
        assertEquals(List.of(), g.containersOf("second"), "no container for a refused login");
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      // the limit counts open connections: once the first is gone, the next one works
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      OpenSshClient.Result later = g.client("second").ssh("echo later", null, SOON);
      while (later.code() != 0 && System.nanoTime() < end) {
        Thread.sleep(100);
        later = g.client("second").ssh("echo later", null, SOON);
      }
      assertEquals("later\n", later.out(), later.err());
    }
  }

  @Test
  void connectionsThatDoNotAuthenticateAreCappedAndDroppedAfterTheGraceTime()
      throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.maxUnauthenticated(2).loginGraceTime(Duration.ofSeconds(2)))) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          Socket s = open(g.server.port());
          silent.add(s);
          assertTrue(readLine(s).startsWith("SSH-2.0-"), "the gateway greets a new client");
        }
        // a third at once is over the cap: closed before the key exchange
        Socket third = open(g.server.port());
        silent.add(third);
        long t0 = System.nanoTime();
        assertEquals(-1, drain(third, Duration.ofSeconds(10)), "the third is dropped");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2),
            "dropped at once, not at the grace time");
        // the two that only said nothing are dropped after the grace time (2 s)
        for (int i = 0; i < 2; i++) {
          assertEquals(-1, drain(silent.get(i), Duration.ofSeconds(20)),
              "dropped after the grace time");
        }
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1500),
            "the first two were kept until their grace time");
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
      assertEquals("after\n", g.client("after").ssh("echo after", null, SOON).out(),
          "a real client gets in once they are gone");
    }
  }

  @Test
  void aConnectionWithoutTrafficIsClosedAfterTheIdleTimeoutAndItsContainerRemoved()
      throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.idleTimeout(Duration.ofSeconds(2)))) {
      long t0 = System.nanoTime();
      Process idle = hold(g, "idle");
      assertTrue(idle.waitFor(30, TimeUnit.SECONDS), "closed by the idle timeout");
      assertNotEquals(0, idle.exitValue());
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(took >= 2000, "not before the idle timeout: " + took + " ms");
      g.awaitNoContainers("idle", Duration.ofSeconds(2 + 5));
    }
  }

  @Test
  void eachContainerHasTheOperatorsLimitsTheConnectionsLabelsAndNoPrivilege()
      throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().memoryBytes(64L << 20)
        .cpus(0.5).pidsLimit(100).build()).build(), o -> o)) {
      Process held = hold(g, "labelled");
      try {
        List<Container> mine = g.containersOf("labelled");
        assertEquals(1, mine.size());
        InspectContainerResponse c = g.docker.inspectContainerCmd(mine.get(0).getId()).exec();
        assertEquals(64L << 20, c.getHostConfig().getMemory());
        assertEquals(500_000_000L, c.getHostConfig().getNanoCPUs());
        assertEquals(100L, c.getHostConfig().getPidsLimit());
        assertEquals("none", c.getHostConfig().getNetworkMode());
        assertEquals(Boolean.FALSE, c.getHostConfig().getPrivileged());
        var labels = c.getConfig().getLabels();
        assertEquals("labelled", labels.get(DockerBackend.USER_LABEL));
        assertTrue(labels.get(DockerBackend.CLIENT_LABEL).startsWith("127.0.0.1:"),
            "" + labels);
        assertFalse(labels.get(DockerBackend.CONNECTION_LABEL).isBlank(), "" + labels);
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Socket open(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return s;
  }

  private static String readLine(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
      b.append((char) c);
    }
    return b.toString();
  }

  /** Reads until the end (-1), within {@code d}; anything else fails. */
  private static int drain(Socket s, Duration d) throws IOException {
    long end = System.nanoTime() + d.toNanos();
    s.setSoTimeout(200);
    byte[] buf = new byte[4096];
    while (System.nanoTime() < end) {
      try {
        int n = s.getInputStream().read(buf);
        if (n < 0) {
          return -1;
        }
      } catch (SocketTimeoutException stillOpen) {
        // read again until the deadline
      } catch (IOException reset) {
        return -1; // a reset is a drop too
      }
    }
    return 0;
  }

  @Test
  void aNameTemplateNamesEachContainerAfterItsUserAndConnection() throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().build())
        .containerName("ssh-{user}-{connection}").build(), o -> o)) {
      Process held = hold(g, "named.user");
      try {
        List<Container> mine = g.containersOf("named.user");
        assertEquals(1, mine.size());
        String connection = g.docker.inspectContainerCmd(mine.get(0).getId()).exec()
            .getConfig().getLabels().get(DockerBackend.CONNECTION_LABEL);
        assertEquals(List.of("/ssh-named.user-" + connection),
            List.of(mine.get(0).getNames()), "docker ps shows whose it is");
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> DockerBackendOptions.builder(
        busybox().build()).containerName("fixed-{user}"), "one name for two connections");
  }

  @Test
  void inSessionModeTheNameTemplateGetsTheSessionsNumber() throws Exception {
    try (LabGateway g = gateway(DockerBackendOptions.builder(busybox().build())
        .mode(DockerBackendOptions.Mode.SESSION).containerName("s-{user}-{connection}").build(),
        o -> o)) {
      Process held = hold(g, "named");
      try {
        List<Container> mine = g.containersOf("named");
        assertEquals(1, mine.size());
        String name = mine.get(0).getNames()[0];
        assertTrue(name.startsWith("/s-named-") && name.endsWith("-1"),
            "session mode adds the session's number: " + name);
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
