package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as a service an operator keeps running: SIGHUP re-reads the config file and the
 * authorized keys without closing anyone (a broken file is refused and the running
 * configuration stays), and SIGTERM with {@code --drain-timeout} lets a running session end by
 * itself, exit status and all, before the gateway exits with no container left.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayReloadCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private GatewayProcess gateway(Path config, String... more) throws Exception {
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--config", config.toString()));
    args.addAll(List.of(more));
    return GatewayProcess.start(tmp, List.of(), args, null);
  }

  private String config(Path hostKey, Path authorized, String envAllow) {
    return String.join("\n", "listen: 127.0.0.1:0", "image: " + DockerDaemon.BUSYBOX,
        "pull: never", "host-key: " + hostKey, "authorized-keys: " + authorized,
        "stop-timeout: 2s", "env-allow: [" + envAllow + "]", "");
  }

  private OpenSshClient client(Path key, Path hostKey, int port, String user) throws Exception {
    Path kh = tmp.resolve("kh-" + port);
    if (!Files.exists(kh)) {
      Files.writeString(kh, Keys.knownHostsLine(hostKey, port) + "\n");
    }
    return new OpenSshClient(key, kh, port, user);
  }

  private static void signal(Process p, String signal) throws Exception {
    Path kill = Prerequisites.require("procps", "/usr/bin/kill");
    Process k = new ProcessBuilder(kill.toString(), "-" + signal, String.valueOf(p.pid()))
        .redirectErrorStream(true).start();
    assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + signal);
  }

  private static void await(Supplier<Boolean> done, String what) throws Exception {
    long end = System.nanoTime() + SOON.toNanos();
    while (!done.get()) {
      assertTrue(System.nanoTime() < end, "in time: " + what);
      Thread.sleep(100);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      return "";
    }
  }

  private static int containersOf(DockerClient docker, String user) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        "io.github.sshcontainer.gateway.user", user, OnDemandContainer.MANAGED_LABEL, "true"))
        .exec().size();
  }

  @Test
  void sighupReloadsKeysAndSettingsKeepsSessionsAndABrokenFileKeepsTheOldOne()
      throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    Path second = tmp.resolve("second_key");
    Keys.generate(second, "");
    Path config = Files.writeString(tmp.resolve("gateway.yaml"),
        config(hostKey, authorized, "FIRST"));
    GatewayProcess g = gateway(config);
    try {
      OpenSshClient alice = client(lab().clientKey(), hostKey, g.port(), "alice");
      String show = "echo \"[$FIRST][$SECOND]\"";
      String[] env = {"-o", "SetEnv=FIRST=1 SECOND=2"};
      assertEquals("[1][]\n", alice.ssh(show, null, SOON, env).out(), read(g.err()));
      OpenSshClient bob = client(second, hostKey, g.port(), "bob");
      assertNotEquals(0, bob.ssh("true", null, SOON).code(), "bob's key is not authorized");

      // a session that runs across both reloads
      Path heldLog = tmp.resolve("held.log");
      Process held = alice.start(alice.ssh(List.of(), "echo started; sleep 8; echo still; "
          + "exit 6"), heldLog);
      await(() -> read(heldLog).contains("started"), "the held session starts");

      Files.writeString(authorized, Files.readString(Path.of(second + ".pub")),
          java.nio.file.StandardOpenOption.APPEND);
      Files.writeString(config, config(hostKey, authorized, "SECOND"));
      signal(g.process(), "HUP");
      await(() -> read(g.err()).contains("reload"), "the reload's INFO line");
      assertTrue(read(g.err()).contains("reloaded"), read(g.err()));
      assertTrue(read(g.err()).contains("env-allow"), "it names what changed: "
          + read(g.err()));
      assertEquals("[][2]\n", alice.ssh(show, null, SOON, env).out(), "new logins get the "
          + "new env filter: " + read(g.err()));
      OpenSshClient.Result b = bob.ssh("echo bob-in", null, SOON);
      assertEquals("bob-in\n", b.out(), "the added key logs in: " + b.err());

      // a file that no longer validates: one ERROR line, the running configuration stays
      Files.writeString(config, "max-conections: 3\n" + config(hostKey, authorized, "FIRST"));
      signal(g.process(), "HUP");
      await(() -> read(g.err()).contains("reload refused"), "the refusal's ERROR line");
      assertTrue(read(g.err()).lines().anyMatch(l -> l.contains("ERROR")
          && l.contains("max-conections")), read(g.err()));
      assertEquals("[][2]\n", alice.ssh(show, null, SOON, env).out(), "still the last good "
          + "configuration");

      assertTrue(held.waitFor(60, TimeUnit.SECONDS), "the held session ends by itself");
      assertEquals(6, held.exitValue(), read(heldLog));
      assertTrue(read(heldLog).contains("still"), read(heldLog));
      assertTrue(g.process().isAlive(), "SIGHUP does not end the gateway");
    } finally {
      g.process().destroy();
      g.process().waitFor(60, TimeUnit.SECONDS);
    }
    assertEquals(0, g.process().exitValue(), read(g.err()));
  }

  /**
   * A reload whose file turns the web terminal on, with another change: the web terminal
   * stays off until a restart (a WARN names it, nothing listens on its port), and the other
   * change applies.
   */
  @Test
  void aReloadThatTurnsTheWebTerminalOnKeepsItOffAndAppliesTheRest() throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    Path config = Files.writeString(tmp.resolve("gateway.yaml"),
        config(hostKey, authorized, "FIRST"));
    GatewayProcess g = gateway(config);
    try {
      int web;
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        web = free.getLocalPort();
      }
      Files.writeString(config, config(hostKey, authorized, "SECOND") + "web: 127.0.0.1:"
          + web + "\n");
      signal(g.process(), "HUP");
      await(() -> read(g.err()).contains("reloaded") || read(g.err()).contains("refused"),
          "the reload's line");
      assertTrue(read(g.err()).contains("reloaded"), read(g.err()));
      assertTrue(read(g.err()).lines().anyMatch(l -> l.contains("WARN")
          && l.contains("reload kept") && l.contains("web")), read(g.err()));
      OpenSshClient alice = client(lab().clientKey(), hostKey, g.port(), "alice");
      assertEquals("[][2]\n", alice.ssh("echo \"[$FIRST][$SECOND]\"", null, SOON, "-o",
          "SetEnv=FIRST=1 SECOND=2").out(), "the other change applies: " + read(g.err()));
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", web), 2000);
        throw new AssertionError("something listens on " + web + ": " + read(g.err()));
      } catch (java.net.ConnectException refused) {
        // nothing there: the web terminal is off until a restart
      }
    } finally {
      g.process().destroy();
      g.process().waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermWithADrainTimeoutLetsARunningSessionEndThenRemovesEverything() throws Exception {
    // (the gateway is also --read-only here, which this checks on the way)
    Path hostKey = tmp.resolve("drain_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("drain_authorized_keys"));
    Path config = Files.writeString(tmp.resolve("drain.yaml"),
        config(hostKey, authorized, "\"*\""));
    try (DockerClient docker = SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build())) {
      GatewayProcess g = gateway(config, "--drain-timeout", "30s", "--read-only");
      OpenSshClient c = client(lab().clientKey(), hostKey, g.port(), "drained");
      // --read-only: the root cannot be written, /tmp can
      OpenSshClient.Result ro = c.ssh("touch /x 2>&1; touch /tmp/y && echo tmp-ok", null, SOON);
      assertTrue(ro.out().contains("Read-only file system") && ro.out().contains("tmp-ok"),
          ro.out() + ro.err());
      Path log = tmp.resolve("draining.log");
      Process session = c.start(c.ssh(List.of(), "echo started; sleep 4; echo finished; "
          + "exit 5"), log);
      await(() -> read(log).contains("started"), "the session starts");
      g.process().destroy(); // SIGTERM
      // the port closes at once: new logins go elsewhere
      await(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", g.port()), 1000);
          return false;
        } catch (Exception refused) {
          return true;
        }
      }, "the listener closes at SIGTERM");
      assertTrue(session.waitFor(60, TimeUnit.SECONDS), "the session ends by itself");
      assertEquals(5, session.exitValue(), "its exit status reaches the client: " + read(log));
      assertTrue(read(log).contains("finished"), read(log));
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "the gateway exits after");
      assertEquals(0, g.process().exitValue(), read(g.err()));
      assertEquals(0, containersOf(docker, "drained"), "no container left: " + read(g.err()));
      assertTrue(read(g.err()).contains("draining"), read(g.err()));
    }
  }
}
