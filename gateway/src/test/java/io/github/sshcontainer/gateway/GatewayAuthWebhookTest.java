package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.TlsFiles;
import io.github.sshcontainer.lab.WebhookServer;
import io.github.sshcontainer.lab.WebhookServer.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authentication webhook, served by the JDK's HTTP server: it admits the keys it says yes
 * to, with the request the docs describe; a no, a slow answer past the timeout, a 500, a body
 * that is not JSON and a webhook that is down each refuse the key with its reason; fifty
 * logins at once go through it; over https with mutual TLS it works, and without the client
 * certificate it refuses.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayAuthWebhookTest {
  private static final Duration SOON = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static WebhookServer hook;
  private static LabGateway gateway;
  /** The fingerprint the webhook admits for each user name. */
  private static final Map<String, String> admitted = new ConcurrentHashMap<>();
  private static final Map<String, List<String>> refusals = new ConcurrentHashMap<>();
  private static final List<LabGateway> others = new CopyOnWriteArrayList<>();

  private static final BackendEvents RECORD = new BackendEvents() {
    @Override
    public void loginFailed(String user, String client, String why) {
      refusals.computeIfAbsent(user, u -> new CopyOnWriteArrayList<>()).add(why);
    }
  };

  /** The webhook: its answer depends on the user name, as a test's user database would. */
  private static Answer answer(String body) {
    try {
      JsonNode r = JSON.readTree(body);
      String user = r.path("username").asText();
      String fingerprint = r.path("fingerprint").asText();
      if (user.startsWith("slow")) {
        return new Answer(200, "{\"success\": true}", 3000);
      }
      if (user.startsWith("err500")) {
        return new Answer(500, "{\"error\": \"database down\"}", 0);
      }
      if (user.startsWith("garbage")) {
        return Answer.json("<html>not json</html>");
      }
      boolean ok = fingerprint.equals(admitted.get(user));
      return Answer.json("{\"success\": " + ok + "}");
    } catch (IOException e) {
      return new Answer(400, "", 0);
    }
  }

  private static UnaryOperator<GatewayOptions.Builder> webhook(String url,
      UnaryOperator<Webhook.Options> tls) {
    return g -> g.authWebhook(tls.apply(new Webhook.Options(URI.create(url),
        Duration.ofSeconds(1), Optional.empty(), Optional.empty(), Optional.empty())))
        .perSourcePenalties(false, Duration.ofSeconds(15), Duration.ofMinutes(10))
        .maxUnauthenticated(200).maxUnauthenticatedPerSource(100).earlyDrop(150, 30);
  }

  @BeforeAll
  static void start() {
    hook = WebhookServer.start(GatewayAuthWebhookTest::answer);
    gateway = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        webhook(hook.url("/ssh/auth"), o -> o), RECORD);
  }

  @AfterAll
  static void stop() throws Exception {
    for (LabGateway g : others) {
      g.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (hook != null) {
      hook.close();
    }
  }

  /** A new key for {@code user}, known to the webhook when {@code known}. */
  private static Path key(String user, boolean known) {
    Path key = tmp.resolve("keys").resolve(user);
    try {
      Files.createDirectories(key.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Keys.generate(key, "", "ed25519");
    if (known) {
      admitted.put(user, Keys.fingerprint(Path.of(key + ".pub")));
    }
    return key;
  }

  private static OpenSshClient client(LabGateway g, String user, boolean known) {
    return new OpenSshClient(key(user, known), g.knownHosts(), g.server.port(), user);
  }

  private static String lastRefusal(String user) {
    List<String> r = refusals.getOrDefault(user, List.of());
    return r.isEmpty() ? "(none)" : r.get(r.size() - 1);
  }

  private static void assertRefused(OpenSshClient c, String user, String reason) {
    OpenSshClient.Result r = c.ssh("echo in", null, SOON);
    assertNotEquals(0, r.code(), "refused: " + r.out());
    assertTrue(r.err().contains("Permission denied"), r.err());
    assertTrue(lastRefusal(user).contains(reason), "the reason says '" + reason + "': "
        + refusals.get(user));
  }

  private static JsonNode lastRequestOf(WebhookServer w, String user) throws IOException {
    JsonNode last = null;
    for (String body : w.requests()) {
      JsonNode r = JSON.readTree(body);
      if (r.path("username").asText().equals(user)) {
        last = r;
      }
    }
    assertTrue(last != null, "the webhook was asked about " + user);
    return last;
  }

  @Test
  void aKeyTheWebhookAdmitsLogsInAndTheRequestHoldsWhatTheDocsSay() throws Exception {
    OpenSshClient c = client(gateway, "hooked", true);
    OpenSshClient.Result r = c.ssh("echo hooked-in", null, SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals("hooked-in", r.out().strip());
    JsonNode q = lastRequestOf(hook, "hooked");
    assertTrue(q.path("remoteAddress").asText().startsWith("127.0.0.1:"), q.toString());
    assertTrue(!q.path("connectionId").asText().isEmpty(), q.toString());
    assertEquals(Files.readString(Path.of(tmp.resolve("keys/hooked") + ".pub")).split(" ")[1],
        q.path("publicKey").asText().split(" ")[1], "the key in OpenSSH's one-line form");
    assertEquals(admitted.get("hooked"), q.path("fingerprint").asText());
    assertTrue(q.has("certificate") && q.get("certificate").isNull(), q.toString());
  }

  @Test
  void aKeyTheWebhookRefusesIsRefused() {
    assertRefused(client(gateway, "unknown", false), "unknown", "auth webhook: it said no");
  }

  @Test
  void aWebhookPastItsTimeoutRefusesAndDoesNotHoldOthersUp() throws Exception {
    OpenSshClient slow = client(gateway, "slow", true);
    long t0 = System.nanoTime();
    CompletableFuture<OpenSshClient.Result> pending = CompletableFuture.supplyAsync(() ->
        slow.ssh("echo slow-in", null, SOON));
    OpenSshClient.Result quick = client(gateway, "quick", true).ssh("echo quick-in", null,
        SOON);
    assertEquals("quick-in", quick.out().strip(), "another login goes on: " + quick.err());
    OpenSshClient.Result r = pending.get(90, TimeUnit.SECONDS);
    assertNotEquals(0, r.code(), r.out());
    assertTrue(!r.out().contains("slow-in"), r.out());
    assertTrue(lastRefusal("slow").contains("no answer within 1000 ms"), String.valueOf(
        refusals.get("slow")));
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "refused in time");
  }

  @Test
  void aWebhookAnswering500Refuses() {
    assertRefused(client(gateway, "err500", true), "err500", "answered HTTP 500");
  }

  @Test
  void aWebhookAnsweringGarbageRefuses() {
    assertRefused(client(gateway, "garbage", true), "garbage", "not a JSON object");
  }

  @Test
  void aWebhookThatIsDownRefuses() throws Exception {
    int closed = FreePort.pick();
    LabGateway down = LabGateway.start(tmp.resolve("gw-down"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        webhook("http://127.0.0.1:" + closed + "/auth", o -> o), RECORD);
    others.add(down);
    assertRefused(client(down, "nobody-home", true), "nobody-home", "connection refused");
  }

  @Test
  void fiftyLoginsAtOnceGoThroughTheWebhook() throws Exception {
    List<CompletableFuture<OpenSshClient.Result>> all = new ArrayList<>();
    List<OpenSshClient> clients = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      clients.add(client(gateway, "many" + i, true));
    }
    for (OpenSshClient c : clients) {
      all.add(CompletableFuture.supplyAsync(() -> c.ssh("echo many-in", null, SOON),
          java.util.concurrent.Executors.newSingleThreadExecutor()));
    }
    int ok = 0;
    StringBuilder failures = new StringBuilder();
    for (CompletableFuture<OpenSshClient.Result> f : all) {
      OpenSshClient.Result r = f.get(180, TimeUnit.SECONDS);
      if (r.code() == 0 && r.out().strip().equals("many-in")) {
        ok++;
      } else {
        failures.append(r.code()).append(' ').append(r.err()).append('\n');
      }
    }
    assertEquals(50, ok, "all fifty logged in:\n" + failures);
    long asked = hook.requests().stream().filter(b -> b.contains("\"many")).count();
    assertTrue(asked >= 50, "the webhook was asked for each: " + asked);
  }

  @Test
  void mutualTlsAdmitsWithTheClientCertificateAndRefusesWithout() throws Exception {
    Prerequisites.require("openssl", "/usr/bin/openssl");
    TlsFiles tls = TlsFiles.make(tmp.resolve("tls"));
    try (WebhookServer https = WebhookServer.startTls(tls, true,
        GatewayAuthWebhookTest::answer)) {
      LabGateway mutual = LabGateway.start(tmp.resolve("gw-mtls"), LabGateway.docker(),
          DockerBackendOptions.builder(busybox().build()).build(),
          webhook(https.url("/auth"), o -> new Webhook.Options(o.url(), o.timeout(),
              Optional.of(tls.ca()), Optional.of(tls.cert()), Optional.of(tls.key()))), RECORD);
      others.add(mutual);
      OpenSshClient.Result r = client(mutual, "tls-user", true).ssh("echo tls-in", null, SOON);
      assertEquals(0, r.code(), r.err());
      assertEquals("tls-in", r.out().strip());
      assertTrue(lastRequestOf(https, "tls-user") != null);
      LabGateway noCert = LabGateway.start(tmp.resolve("gw-tls-nocert"), LabGateway.docker(),
          DockerBackendOptions.builder(busybox().build()).build(),
          webhook(https.url("/auth"), o -> new Webhook.Options(o.url(), o.timeout(),
              Optional.of(tls.ca()), Optional.empty(), Optional.empty())), RECORD);
      others.add(noCert);
      assertRefused(client(noCert, "tls-nocert", true), "tls-nocert", "webhook https://");
      LabGateway otherCa = LabGateway.start(tmp.resolve("gw-tls-otherca"), LabGateway.docker(),
          DockerBackendOptions.builder(busybox().build()).build(),
          webhook(https.url("/auth"), o -> new Webhook.Options(o.url(), o.timeout(),
              Optional.of(tls.otherCa()), Optional.of(tls.cert()), Optional.of(tls.key()))),
          RECORD);
      others.add(otherCa);
      assertRefused(client(otherCa, "tls-otherca", true), "tls-otherca", "TLS failed");
    }
  }
}
