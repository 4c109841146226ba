package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.sun.net.httpserver.HttpServer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-user container settings through {@code ssh-container gateway} as a process, on the lab's
 * dockerd and with OpenSSH's client: match blocks give two users two images and two memory
 * limits (and a SIGHUP gives them new ones); the config webhook, a JDK HTTP server the test
 * starts, gives a third image and env; a key it may not set, one it should not know, an error
 * and an answer later than {@code --webhook-timeout} each refuse that login with one line while
 * the next login is served. Containers carry labels naming what shaped them, and the
 * certificate (key id, serial) of a login that used one, which match blocks select by principal
 * and key id.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GatewaySettingsCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final String REFUSAL = "gateway: your environment could not be prepared";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Shows which image the container is of, and two env variables. */
  private static final String SHOW = "cat /etc/image-name 2>/dev/null || echo no-marker; "
      + "echo \"[$COURSE][$FROM_HOOK]\"";
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  /**
   * {@code sshc-lab/settings-NAME:1}: the lab's busybox with {@code /etc/image-name} holding
   * NAME; made once on the lab's dockerd (a container run, committed, removed).
   */
  private static synchronized String image(String name) {
    String tag = "sshc-lab/settings-" + name + ":1";
    DockerDaemon d = lab().docker();
    try {
      d.cli(Duration.ofSeconds(30), "image", "inspect", tag);
      return tag;
    } catch (RuntimeException absent) {
      // made below
    }
    String made = "settings-image-" + name + "-" + System.nanoTime();
    d.cli(Duration.ofMinutes(1), "run", "--name", made, "--network", "none",
        DockerDaemon.BUSYBOX, "sh", "-c", "echo " + name + " > /etc/image-name");
    d.cli(Duration.ofMinutes(1), "commit", made, tag);
    d.cli(Duration.ofMinutes(1), "rm", made);
    return tag;
  }

  private static DockerClient docker() {
    return SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build());
  }

  private GatewayProcess gateway(Path config) throws Exception {
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--config", config.toString()));
    return GatewayProcess.start(tmp, List.of(), args, null);
  }

  /** The lab's image, never pulled, the test's keys, then {@code more} lines. */
  private static String config(Path hostKey, Path authorized, String... more) {
    return String.join("\n", "listen: 127.0.0.1:0", "image: " + DockerDaemon.BUSYBOX,
        "pull: never", "host-key: " + hostKey, "authorized-keys: " + authorized,
        "stop-timeout: 2s", String.join("\n", more), "");
  }

  private OpenSshClient client(Path hostKey, int port, String user) throws IOException {
    Path kh = tmp.resolve("kh-" + port);
    if (!Files.exists(kh)) {
      Files.writeString(kh, Keys.knownHostsLine(hostKey, port) + "\n");
    }
    return new OpenSshClient(lab().clientKey(), kh, port, user);
  }

  private static void await(Supplier<Boolean> done, Supplier<String> what) throws Exception {
    long end = System.nanoTime() + SOON.toNanos();
    while (!done.get()) {
      assertTrue(System.nanoTime() < end, () -> "in time: " + what.get());
      Thread.sleep(100);
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * The container of a login of {@code c}, inspected while its session runs: the session
   * prints the container's hostname (Docker's: the short id) and holds it.
   */
  private InspectContainerResponse inspectWhileLoggedIn(OpenSshClient c, DockerClient docker)
      throws Exception {
    Path log = tmp.resolve("held-" + c.user() + "-" + System.nanoTime());
    Process held = c.start(c.ssh(List.of(), "cat /etc/hostname; echo held; sleep 600"), log);
    try {
      await(() -> read(log).contains("held"), () -> c.user() + "'s session: " + read(log));
      String id = read(log).lines().findFirst().orElseThrow().trim();
      InspectContainerResponse r = docker.inspectContainerCmd(id).exec();
      assertEquals(c.user(), r.getConfig().getLabels().get(DockerBackend.USER_LABEL));
      return r;
    } finally {
      held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static long memory(InspectContainerResponse r) {
    Long m = r.getHostConfig().getMemory();
    return m == null ? 0 : m;
  }

  private static String settingsLabel(InspectContainerResponse r) {
    return r.getConfig().getLabels().get(DockerBackend.SETTINGS_LABEL);
  }

  private static Stream<String> auditLines(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> lines = new ArrayList<>();
      for (Path f : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
      return lines.stream();
    } catch (IOException e) {
      return Stream.empty();
    }
  }

  @Test
  void matchBlocksGiveTwoUsersTwoImagesAndMemoryLimitsNamedInLabelsAndAuditAndReloaded()
      throws Exception {
    String alpha = image("alpha");
    String beta = image("beta");
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    Path audit = tmp.resolve("audit");
    Path config = Files.writeString(tmp.resolve("gateway.yaml"), config(hostKey, authorized,
        "audit-dir: " + audit,
        "match:",
        "  - user: alice",
        "    image: " + alpha,
        "    memory: 96m",
        "    env: {COURSE: a}",
        "  - user: \"b*,!bobby\"",
        "    image: " + beta,
        "    memory: 128m"));
    GatewayProcess g = gateway(config);
    try (DockerClient docker = docker()) {
      OpenSshClient alice = client(hostKey, g.port(), "alice");
      OpenSshClient bob = client(hostKey, g.port(), "bob");
      OpenSshClient bobby = client(hostKey, g.port(), "bobby");
      OpenSshClient.Result a = alice.ssh(SHOW, null, SOON);
      assertEquals("alpha\n[a][]\n", a.out(), a.err() + g.stderr());
      assertEquals("beta\n[][]\n", bob.ssh(SHOW, null, SOON).out(), g.stderr());
      assertEquals("no-marker\n[][]\n", bobby.ssh(SHOW, null, SOON).out(),
          "!bobby keeps bobby at the top level: " + g.stderr());

      InspectContainerResponse ac = inspectWhileLoggedIn(alice, docker);
      assertEquals(alpha, ac.getConfig().getImage());
      assertEquals(96L << 20, memory(ac));
      assertEquals("match 1 (user alice)", settingsLabel(ac));
      InspectContainerResponse bc = inspectWhileLoggedIn(bob, docker);
      assertEquals(beta, bc.getConfig().getImage());
      assertEquals(128L << 20, memory(bc));
      assertEquals("match 2 (user b*,!bobby)", settingsLabel(bc));
      InspectContainerResponse tc = inspectWhileLoggedIn(bobby, docker);
      assertEquals(DockerDaemon.BUSYBOX, tc.getConfig().getImage());
      assertEquals(0, memory(tc), "no limit at the top level");
      assertEquals(null, settingsLabel(tc), "shaped by nothing: no label");

      await(() -> auditLines(audit).anyMatch(l -> l.contains("\"event\":\"container\"")
          && l.contains("\"settings\":\"match 1 (user alice)\"")), () -> "the audit log's "
          + "container line names the block: " + auditLines(audit).toList());
      await(() -> g.stderr().contains("settings: match 2 (user b*,!bobby)"),
          () -> "bob's connection line names the block: " + g.stderr());

      // SIGHUP: new blocks for new logins
      Files.writeString(config, config(hostKey, authorized, "audit-dir: " + audit,
          "match:", "  - user: alice", "    image: " + beta, "    env: {COURSE: again}"));
      g.signal("HUP");
      await(() -> g.stderr().contains("reloaded"), () -> "the reload's line: " + g.stderr());
      assertTrue(g.stderr().contains("new logins get the new match"), g.stderr());
      assertEquals("beta\n[again][]\n", alice.ssh(SHOW, null, SOON).out(), g.stderr());
      assertEquals("no-marker\n[][]\n", bob.ssh(SHOW, null, SOON).out(),
          "bob's block is gone: " + g.stderr());
    } finally {
      g.process().destroy();
      g.process().waitFor(60, TimeUnit.SECONDS);
    }
    assertEquals(0, g.process().exitValue(), g.stderr());
  }

  /** A config webhook answering {@code answers} by user name (HTTP 500 for ERROR). */
  private record Hook(HttpServer server, ExecutorService threads, String url,
      Map<String, JsonNode> requests) implements AutoCloseable {
    static Hook start(Map<String, String> answers, Duration slowFor) throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      Map<String, JsonNode> requests = new ConcurrentHashMap<>();
      server.createContext("/settings", exchange -> {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String user = body.path("username").asText();
        requests.put(user, body);
        String answer = answers.getOrDefault(user, "{}");
        if (answer.equals("SLOW")) {
          try {
            Thread.sleep(slowFor.toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          answer = "{}";
        }
        int status = answer.equals("ERROR") ? 500 : 200;
        byte[] bytes = (status == 200 ? answer : "{\"error\": \"boom\"}").getBytes(
            StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = exchange.getResponseBody()) {
          o.write(bytes);
        } catch (IOException gone) {
          // the gateway stopped waiting (the slow answer)
        }
      });
      // a hanging answer must not hold the next login's
      ExecutorService threads = Executors.newCachedThreadPool();
      server.setExecutor(threads);
      server.start();
      return new Hook(server, threads, "http://127.0.0.1:" + server.getAddress().getPort()
          + "/settings", requests);
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }

  @Test
  void theConfigWebhookGivesAThirdImageAndEnvAndABadOrLateAnswerRefusesThatLoginAlone()
      throws Exception {
    String alpha = image("alpha");
    String gamma = image("gamma");
    Map<String, String> answers = Map.of(
        "carol", "{\"image\": \"" + gamma + "\", \"env\": {\"FROM_HOOK\": \"yes\"}, "
            + "\"memory\": \"80m\"}",
        "alice", "{\"env\": {\"FROM_HOOK\": \"over-alpha\"}}",
        "dave", "{\"cap-add\": [\"NET_RAW\"]}",
        "mallory", "{\"privileged\": true}",
        "binder", "{\"docker\": {\"host\": {\"Binds\": [\"/:/host\"]}}}",
        "typo", "{\"imagee\": \"x:1\"}",
        "err", "ERROR",
        "slow", "SLOW");
    Path hostKey = tmp.resolve("hook_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("hook_authorized_keys"));
    try (Hook hook = Hook.start(answers, Duration.ofSeconds(20));
        DockerClient docker = docker()) {
      Path config = Files.writeString(tmp.resolve("hook.yaml"), config(hostKey, authorized,
          "config-webhook: " + hook.url(),
          "config-webhook-allow: [cap-add]",
          "webhook-timeout: 1s",
          "match:",
          "  - user: alice",
          "    image: " + alpha,
          "    env: {COURSE: a}"));
      GatewayProcess g = gateway(config);
      try {
        OpenSshClient carol = client(hostKey, g.port(), "carol");
        OpenSshClient.Result r = carol.ssh(SHOW, null, SOON);
        assertEquals("gamma\n[][yes]\n", r.out(), r.err() + g.stderr());
        JsonNode asked = hook.requests().get("carol");
        String publicKey = Files.readString(Path.of(lab().clientKey() + ".pub")).trim();
        assertEquals("carol", asked.path("username").asText());
        assertTrue(asked.path("remoteAddress").asText().matches("127\\.0\\.0\\.1:\\d+"),
            asked.toString());
        assertFalse(asked.path("connectionId").asText().isEmpty(), asked.toString());
        assertTrue(publicKey.startsWith(asked.path("publicKey").asText() + " ")
            || publicKey.equals(asked.path("publicKey").asText()), asked + " vs " + publicKey);
        assertEquals(Keys.fingerprint(Path.of(lab().clientKey() + ".pub")),
            asked.path("fingerprint").asText());
        assertTrue(asked.has("certificate") && asked.get("certificate").isNull(),
            asked.toString());

        InspectContainerResponse cc = inspectWhileLoggedIn(carol, docker);
        assertEquals(gamma, cc.getConfig().getImage());
        assertEquals(80L << 20, memory(cc));
        assertEquals("config webhook", settingsLabel(cc));
        OpenSshClient alice = client(hostKey, g.port(), "alice");
        assertEquals("alpha\n[a][over-alpha]\n", alice.ssh(SHOW, null, SOON).out(),
            "the answer goes over the match block: " + g.stderr());
        assertEquals("match 1 (user alice), config webhook",
            settingsLabel(inspectWhileLoggedIn(alice, docker)));
        InspectContainerResponse dc = inspectWhileLoggedIn(client(hostKey, g.port(), "dave"),
            docker);
        assertTrue(Arrays.asList(dc.getHostConfig().getCapAdd()).contains(Capability.NET_RAW),
            "cap-add is listed in config-webhook-allow: "
                + Arrays.toString(dc.getHostConfig().getCapAdd()));

        Map<String, String> why = Map.of(
            "mallory", "answered key 'privileged', which config-webhook-allow does not list",
            "binder", "answered key 'docker.host', which config-webhook-allow does not list",
            "typo", "answered key 'imagee', which is not a container key",
            "err", "answered HTTP 500",
            "slow", "no answer within 1000 ms");
        for (String user : List.of("mallory", "binder", "typo", "err", "slow")) {
          long t0 = System.nanoTime();
          OpenSshClient.Result refused = client(hostKey, g.port(), user).ssh(
              "echo should-not-run", null, SOON);
          long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
          assertNotEquals(0, refused.code(), user + ": " + refused.out());
          assertEquals("", refused.out(), user);
          assertEquals(List.of(REFUSAL), refused.err().lines().map(String::strip)
              .filter(l -> !l.isEmpty()).toList(), user + ": one line, nothing more");
          assertTrue(took < 15, user + " refused in " + took + " s: the webhook's 1 s timeout "
              + "bounds the wait, not its 20 s answer");
          await(() -> g.stderr().lines().anyMatch(l -> l.contains("(" + user + "@")
              && l.contains("refused (your environment could not be prepared)")
              && l.contains(why.get(user))), () -> user + "'s reason in the log: "
              + g.stderr());
          assertEquals(1, g.stderr().lines().filter(l -> l.contains("(" + user + "@")
              && l.contains("refused")).count(), "one line: " + g.stderr());
          // the gateway serves the next login
          assertEquals("gamma\n[][yes]\n", carol.ssh(SHOW, null, SOON).out(),
              "after " + user + ": " + g.stderr());
        }
        assertFalse(g.stderr().contains("should-not-run"), g.stderr());
        assertTrue(g.process().isAlive());
      } finally {
        g.process().destroy();
        g.process().waitFor(60, TimeUnit.SECONDS);
      }
      assertEquals(0, g.process().exitValue(), g.stderr());
    }
  }

  @Test
  void aCertificateLoginIsMatchedByPrincipalAndKeyIdAndItsContainerNamesTheCertificate()
      throws Exception {
    String beta = image("beta");
    Path work = Files.createDirectories(tmp.resolve("cert"));
    Keys.generate(work.resolve("id_ed25519"), "", "ed25519");
    for (String line : List.of("ssh-keygen -q -t ed25519 -N '' -C 'user CA' -f user_ca",
        "ssh-keygen -q -s user_ca -I ci-build-7 -n erin,ops-eu -z 1001 -V -5m:+1h "
            + "id_ed25519.pub")) {
      OpenSshClient.Result r = OpenSshClient.run(List.of("sh", "-c", "cd '" + work + "' && "
          + line), null, SOON);
      assertEquals(0, r.code(), line + ": " + r.err());
    }
    Path hostKey = tmp.resolve("cert_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("cert_authorized_keys"));
    try (Hook hook = Hook.start(Map.of(), Duration.ofSeconds(1));
        DockerClient docker = docker()) {
      Path config = Files.writeString(tmp.resolve("cert.yaml"), config(hostKey, authorized,
          "trusted-user-ca-keys: " + work.resolve("user_ca.pub"),
          "config-webhook: " + hook.url(),
          "match:",
          "  - principal: \"ops-*\"",
          "    key-id: \"ci-*\"",
          "    image: " + beta,
          "    memory: 112m"));
      GatewayProcess g = gateway(config);
      try {
        OpenSshClient erin = new OpenSshClient(work.resolve("id_ed25519"),
            Files.writeString(tmp.resolve("kh-cert"), Keys.knownHostsLine(hostKey, g.port())
                + "\n"), g.port(), "erin");
        OpenSshClient.Result r = erin.ssh(SHOW, null, SOON);
        assertEquals("beta\n[][]\n", r.out(), r.err() + g.stderr());
        InspectContainerResponse ec = inspectWhileLoggedIn(erin, docker);
        Map<String, String> labels = ec.getConfig().getLabels();
        assertEquals("ci-build-7", labels.get(DockerBackend.CERT_KEY_ID_LABEL), labels.toString());
        assertEquals("1001", labels.get(DockerBackend.CERT_SERIAL_LABEL), labels.toString());
        assertEquals("match 1 (principal ops-*; key-id ci-*)", settingsLabel(ec),
            "the webhook answered nothing: the block alone shaped it");
        assertEquals(112L << 20, memory(ec));
        JsonNode cert = hook.requests().get("erin").path("certificate");
        assertEquals("ci-build-7", cert.path("keyId").asText(), cert.toString());
        assertEquals(1001, cert.path("serial").asLong(), cert.toString());
        assertEquals("[\"erin\",\"ops-eu\"]", cert.path("principals").toString());
        assertTrue(cert.path("validBefore").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"),
            cert.toString());

        // the same user with a plain key: no certificate, no match, no certificate labels
        OpenSshClient plain = client(hostKey, g.port(), "erin");
        assertEquals("no-marker\n[][]\n", plain.ssh(SHOW, null, SOON).out(), g.stderr());
        assertTrue(hook.requests().get("erin").path("certificate").isNull(),
            hook.requests().get("erin").toString());
      } finally {
        g.process().destroy();
        g.process().waitFor(60, TimeUnit.SECONDS);
      }
      assertEquals(0, g.process().exitValue(), g.stderr());
    }
  }
}
