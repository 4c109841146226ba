package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.DockerEndpoint;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.TlsFiles;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container gateway} as a real process with stdin at /dev/null: its first line, a
 * login through it, SIGTERM, and SIGKILL followed by a restart that removes the orphans; and
 * on a local Docker socket instead of a Docker host over SSH.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private GatewayProcess gateway(Path hostKey, Path authorized) throws Exception {
    return gateway(GatewayProcess.labDockerHost(), hostKey, authorized);
  }

  /** {@code ssh-container gateway DOCKER-HOST-ARGS… --listen 127.0.0.1:0 …}, started. */
  private GatewayProcess gateway(List<String> dockerHost, Path hostKey, Path authorized)
      throws Exception {
    List<String> args = new ArrayList<>(dockerHost);
    args.addAll(List.of("--listen", "127.0.0.1:0", "--image", DockerDaemon.BUSYBOX, "--pull",
        "never", "--host-key", hostKey.toString(), "--authorized-keys", authorized.toString(),
        "--stop-timeout", "2s"));
    return GatewayProcess.start(tmp, List.of(), args, hostKey);
  }

  private OpenSshClient client(Path hostKey, int port, String user) throws Exception {
    Path kh = Files.writeString(tmp.resolve("kh-" + port), Keys.knownHostsLine(hostKey, port)
        + "\n");
    return new OpenSshClient(lab().clientKey(), kh, port, user);
  }

  private static int containersOf(DockerClient docker, String user) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        "io.github.sshcontainer.gateway.user", user, OnDemandContainer.MANAGED_LABEL, "true"))
        .exec().size();
  }

  @Test
  void servesWithStdinAtDevNullEndsOnSigtermAndAfterSigkillItsNextStartRemovesTheOrphans()
      throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    try (DockerClient docker = SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build())) {
      GatewayProcess first = gateway(hostKey, authorized);
      OpenSshClient c = client(hostKey, first.port(), "cli-user");
      OpenSshClient.Result r = c.ssh("echo through-the-cli; exit 4", null, SOON);
      assertEquals(4, r.code(), r.err());
      assertEquals("through-the-cli\n", r.out());
      // a session open while the gateway is killed leaves its container behind
      Process held = c.start(c.ssh(List.of(), "echo held; sleep 600"), tmp.resolve("held"));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(tmp.resolve("held")).contains("held")) {
        assertTrue(System.nanoTime() < end, "the session started");
        Thread.sleep(50);
      }
      first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
      held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      assertEquals(1, containersOf(docker, "cli-user"), "orphaned by the kill");
      GatewayProcess second = gateway(hostKey, authorized);
      assertEquals(0, containersOf(docker, "cli-user"), "removed when the gateway started");
      OpenSshClient again = client(hostKey, second.port(), "cli-user");
      assertEquals("same host key\n", again.ssh("echo same host key", null, SOON).out());
      second.process().destroy(); // SIGTERM
      assertTrue(second.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
      assertEquals(0, second.process().exitValue(), "a clean stop");
      assertEquals(0, containersOf(docker, "cli-user"), "every container removed before it "
          + "ended: " + Files.readString(second.err()));
    }
  }

  /** --audit-dir and its options reach the gateway: a log line per event, a recording. */
  @Test
  void auditOptionsWriteTheLogAndTheRecording() throws Exception {
    Path hostKey = tmp.resolve("audit_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("audit_authorized_keys"));
    Path audit = tmp.resolve("audit");
    GatewayProcess g = gateway(List.of("unix://" + lab().docker().socket(), "--audit-dir",
        audit.toString(), "--audit-max-bytes", "4k", "--audit-input", "--audit-required"),
        hostKey, authorized);
    try {
      OpenSshClient.Result r = client(hostKey, g.port(), "audit-user").ssh(
          "cat; head -c 20000 /dev/zero | tr '\\0' a", "typed\n".getBytes(
              StandardCharsets.UTF_8), SOON);
      assertEquals(0, r.code(), r.err() + Files.readString(g.err()));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String log = "";
      while (!log.contains("\"disconnect\"") && System.nanoTime() < end) {
        Thread.sleep(50);
        try (var files = Files.list(audit)) {
          Path f = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElse(null);
          log = f == null ? "" : Files.readString(f);
        }
      }
      assertTrue(log.contains("\"event\":\"exec\"") && log.contains("\"disconnect\""), log);
      assertTrue(log.contains("\"event\":\"recording-truncated\"") && log.contains(
          "\"max_bytes\":4096"), "--audit-max-bytes 4k: " + log);
      try (var files = Files.list(audit)) {
        Path cast = files.filter(p -> p.toString().endsWith(".cast")).findFirst()
            .orElseThrow();
        String text = Files.readString(cast);
        assertTrue(text.contains("\"i\", \"typed\\n\"]"), "--audit-input: " + text);
        assertTrue(Files.size(cast) <= 4096, "bounded: " + Files.size(cast));
      }
    } finally {
      g.process().destroy(); // SIGTERM
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    }
    assertEquals(0, g.process().exitValue(), Files.readString(g.err()));
  }

  /** The gateway on the Docker host itself: DEST is the daemon's local socket, no SSH leg. */
  @Test
  void aLocalDockerSocketAsDestServesLoginsToo() throws Exception {
    Path hostKey = tmp.resolve("local_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("local_authorized_keys"));
    GatewayProcess g = gateway(List.of("unix://" + lab().docker().socket(), "--max-sessions", "1"),
        hostKey, authorized);
    try {
      OpenSshClient c = client(hostKey, g.port(), "local-user");
      OpenSshClient.Result r = c.ssh("echo on-the-host; exit 3", null, SOON);
      assertEquals(3, r.code(), r.err() + Files.readString(g.err()));
      assertEquals("on-the-host\n", r.out());

      // --max-sessions 1: a second session beside a running one is refused on its connection
      // (OpenSSH's mux client then falls back to a connection of its own, which is served)
      Path control = tmp.resolve("cm");
      Path masterLog = tmp.resolve("master.log");
      Process master = c.startMaster(control, masterLog);
      Process first = null;
      try {
        List<String> mux = OpenSshClient.viaMaster(control);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        first = c.start(c.ssh(mux, "echo started; sleep 60"), tmp.resolve("first.log"));
        Path firstLog = tmp.resolve("first.log");
        while (!Files.readString(firstLog).contains("started") && System.nanoTime() < end) {
          Thread.sleep(50);
        }
        assertTrue(Files.readString(firstLog).contains("started"), "the first session runs");
        c.ssh("echo second", null, SOON, mux.toArray(String[]::new));
        assertTrue(Files.readString(masterLog).contains("administratively prohibited: gateway: "
            + "this connection has 1 session open, the limit per connection; end one first"),
            "the second session on the connection was refused: " + Files.readString(masterLog));
      } finally {
        if (first != null) {
          first.destroyForcibly();
        }
        master.destroy();
        master.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      stopCleanly(g);
    }
    assertNoContainerOf("local-user", "its container removed");
  }

  /**
   * {@code --user-mapping login}: alice runs as the image's alice, in her home; bob, whom the
   * image lacks, is refused with one line to him and one INFO line in the log, and no container
   * is left; {@code --user} beside {@code --user-mapping root} is a usage error naming both.
   */
  @Test
  void userMappingLoginRunsTheLoginsUserAndRefusesANameTheImageLacks() throws Exception {
    Path hostKey = tmp.resolve("um_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("um_authorized_keys"));
    List<String> args = new ArrayList<>(List.of("unix://" + lab().docker().socket(),
        "--listen", "127.0.0.1:0", "--image", lab().docker().usersImage(), "--pull", "never",
        "--host-key", hostKey.toString(), "--authorized-keys", authorized.toString(),
        "--stop-timeout", "2s", "--user-mapping", "login"));
    GatewayProcess g = GatewayProcess.start(tmp, List.of(), args, hostKey);
    try {
      OpenSshClient.Result alice = client(hostKey, g.port(), "alice").ssh(
          "echo \"$(id -un) $HOME $(pwd)\"", null, SOON);
      assertEquals(0, alice.code(), alice.err() + Files.readString(g.err()));
      assertEquals("alice /home/alice /home/alice\n", alice.out());
      OpenSshClient.Result bob = client(hostKey, g.port(), "bob").ssh("echo ran", null, SOON);
      assertTrue(bob.code() != 0 && !bob.out().contains("ran"), bob.out());
      assertTrue(bob.err().contains("gateway: no user 'bob' in this gateway's image; ask its "
          + "operator"), bob.err());
      List<String> refusals = Files.readAllLines(g.err()).stream()
          .filter(l -> l.contains("'bob'")).toList();
      assertEquals(1, refusals.size(), "one log line: " + Files.readString(g.err()));
      assertTrue(refusals.get(0).contains("INFO") && refusals.get(0).contains("refused"),
          refusals.get(0));
    } finally {
      stopCleanly(g);
    }
    assertNoContainerOf("bob", "no container left for bob");

    List<String> both = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", GatewayProcess.JAR.toString(), "gateway"));
    both.addAll(args.subList(0, args.size() - 1));
    both.addAll(List.of("root", "--user", "1000"));
    Path err = tmp.resolve("um-both.err");
    Process p = new ProcessBuilder(both).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectOutput(tmp.resolve("um-both.out").toFile())
        .redirectError(err.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a usage error ends the gateway at start");
    assertEquals(2, p.exitValue(), Files.readString(err));
    assertTrue(Files.readString(err).contains("--user 1000 and --user-mapping root"),
        Files.readString(err));
  }

  /** DEST tcp:// with TLS: a daemon that only listens on a TLS port, client certificates. */
  @Test
  void aTcpDestWithTlsServesLoginsAndAWrongCaIsOneClearErrorAtStart() throws Exception {
    TlsFiles tls = lab().tlsFiles();
    String tcp = "tcp://127.0.0.1:" + lab().tlsDockerPort();
    Path hostKey = tmp.resolve("tls_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("tls_authorized_keys"));
    GatewayProcess g = gateway(List.of(tcp, "--tlscacert", tls.ca().toString(), "--tlscert",
        tls.cert().toString(), "--tlskey", tls.key().toString()), hostKey, authorized);
    try {
      OpenSshClient.Result r = client(hostKey, g.port(), "tls-user").ssh(
          "echo over-tls; exit 4", null, SOON);
      assertEquals(4, r.code(), r.err() + Files.readString(g.err()));
      assertEquals("over-tls\n", r.out());
    } finally {
      g.process().destroy(); // SIGTERM
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    }
    assertEquals(0, g.process().exitValue(), Files.readString(g.err()));
    try (DockerClient docker = DockerEndpoint.forHost(tcp).tlsFiles(tls.ca(), tls.cert(),
        tls.key()).connect()) {
      assertEquals(0, containersOf(docker, "tls-user"), "its container removed");
    }

    // a CA that did not sign the daemon's certificate: no listener, one line, non-zero
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", GatewayProcess.JAR.toString(), "gateway", tcp, "--tlscacert",
        tls.otherCa().toString(), "--tlscert", tls.cert().toString(), "--tlskey",
        tls.key().toString(), "--listen", "127.0.0.1:0", "--image", DockerDaemon.BUSYBOX,
        "--host-key", hostKey.toString(), "--authorized-keys", authorized.toString()));
    Path err = tmp.resolve("wrong-ca.err");
    Path out = tmp.resolve("wrong-ca.out");
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "a wrong CA ends the gateway at start");
    String said = Files.readString(err);
    assertTrue(p.exitValue() != 0, "non-zero exit: " + said);
    assertEquals("", Files.readString(out), "it never listened");
    assertTrue(said.contains(tls.otherCa().toString()) && said.contains("127.0.0.1:"
        + lab().tlsDockerPort()), "names the CA and the daemon: " + said);
  }

  /** SIGTERM, as a service manager stops it, and a clean exit (0). */
  private static void stopCleanly(GatewayProcess g) throws Exception {
    try {
      g.process().destroy();
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    } finally {
      g.process().destroyForcibly();
    }
    assertEquals(0, g.process().exitValue(), Files.readString(g.err()));
  }

  /** No container of the lab's dockerd is labelled with {@code user}. */
  private static void assertNoContainerOf(String user, String what) throws Exception {
    try (DockerClient docker = SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build())) {
      assertEquals(0, containersOf(docker, user), what);
    }
  }
}
