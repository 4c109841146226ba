package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the gateway refuses: requests its operator disabled (each with a stderr line and a
 * non-zero exit), an unknown subsystem, and by default every kind of forwarding.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayRefusalsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway locked;
  private static LabGateway open;

  @BeforeAll
  static void start() {
    locked = LabGateway.start(tmp.resolve("locked"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(), g -> g.disableShell(true)
        .disableCommand(true).disableSubsystems(true));
    open = LabGateway.start(tmp.resolve("open"), DockerBackendOptions.builder(
        busybox().build()).build());
  }

  @AfterAll
  static void stop() throws Exception {
    locked.close();
    open.close();
  }

  @Test
  void aDisabledCommandSaysSoAndFails() {
    OpenSshClient.Result r = locked.client("cmd").ssh("echo should-not-run", null, SOON);
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("gateway: running commands is disabled"), r.err());
    assertTrue(!r.out().contains("should-not-run"), r.out());
  }

  @Test
  void aDisabledShellSaysSoAndFails() {
    OpenSshClient.Result r = locked.client("shell").ssh(null, "echo hi\n".getBytes(), SOON,
        "-T");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("gateway: shell sessions are disabled"), r.err());
  }

  @Test
  void disabledSubsystemsAndAnUnknownOneAreRefused() {
    OpenSshClient.Result r = locked.client("sub").ssh("sftp", null, SOON, "-s");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("gateway: subsystems (such as sftp) are disabled"), r.err());
    OpenSshClient.Result unknown = open.client("sub2").ssh("nosuch", null, SOON, "-s");
    assertNotEquals(0, unknown.code());
    assertTrue(unknown.err().contains("gateway: no subsystem 'nosuch'"), unknown.err());
  }

  @Test
  void localForwardingIsRefused() throws Exception {
    int local = FreePort.pick();
    OpenSshClient c = open.client("fwd");
    Path log = tmp.resolve("fwd.log");
    Process p = c.start(c.ssh(List.of("-v", "-N", "-L", local + ":127.0.0.1:"
        + open.server.port()), null), log);
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Socket s = null;
      while (s == null) {
        try {
          s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", local), 1000);
        } catch (IOException notYet) {
          s.close();
          s = null;
          assertTrue(System.nanoTime() < end, "ssh -L never listened: " + Files.readString(log));
          Thread.sleep(50);
        }
      }
      try (Socket forwarded = s) {
        forwarded.setSoTimeout(10_000);
        InputStream in = forwarded.getInputStream();
        assertEquals(-1, in.read(), "the gateway refused the channel, so ssh closed it");
      }
      end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.readString(log).contains("open failed") && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      assertTrue(Files.readString(log).contains("open failed"), Files.readString(log));
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void remoteForwardingIsRefused() {
    OpenSshClient.Result r = open.client("rfwd").ssh("true", null, SOON, "-o",
        "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9");
    assertNotEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("forwarding failed"), r.err());
  }

  @Test
  void agentForwardingIsRefused() throws Exception {
    Path agentSocket = tmp.resolve("agent-" + System.nanoTime() + ".sock");
    Process agent = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", agentSocket.toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile()).start();
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.exists(agentSocket) && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      List<String> cmd = new ArrayList<>(List.of("env", "SSH_AUTH_SOCK="
          + agentSocket));
      cmd.addAll(open.client("agent").ssh(List.of("-A", "-v"), "echo \"[$SSH_AUTH_SOCK]\""));
      OpenSshClient.Result r = OpenSshClient.run(cmd, null, SOON);
      assertEquals(0, r.code(), r.err());
      assertEquals("[]\n", r.out(), "no agent socket in the session");
      assertTrue(r.err().contains("agent forwarding"), "ssh asked for it: " + r.err());
    } finally {
      agent.destroy();
      agent.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
