package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * How a login's container settings are chosen, without Docker: the match blocks' criteria and
 * merge rules, and the config webhook's request and answers (a real HTTP server the test
 * starts). The containers these options make are checked against a real daemon in {@link
 * GatewaySettingsCliTest}.
 */
class PerUserSettingsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** The settings of {@code yaml} and {@code args}, and the top level's options. */
  private record Loaded(PerUserSettings settings, DockerBackendOptions top) {}

  private Loaded load(String yaml, String... args) throws Exception {
    Path file = Files.writeString(tmp.resolve("gateway-" + System.nanoTime() + ".yaml"),
        "authorized-keys: /dev/null\n" + yaml);
    GatewayCommand command = new GatewayCommand();
    List<String> all = new ArrayList<>(List.of("--config", file.toString()));
    all.addAll(List.of(args));
    new CommandLine(command).parseArgs(all.toArray(String[]::new));
    GatewayConfigFile f = GatewayConfigFile.read(file, command.spec);
    f.applyTo(command.spec);
    DockerBackendOptions top = command.backendOptions(f.docker());
    PerUserSettings s = PerUserSettings.load(command, f, top);
    open.add(s);
    return new Loaded(s, top);
  }

  private static ConnectionInfo login(String user, LoginIdentity.Certificate cert) {
    String type = cert == null ? "ssh-ed25519" : "ssh-ed25519-cert-v01@openssh.com";
    return new ConnectionInfo(user, new InetSocketAddress("127.0.0.1", 40022), "c7",
        new InetSocketAddress("127.0.0.1", 2022), new LoginIdentity("publickey", type,
            "SHA256:fingerprint", type + " AAAAkey", Optional.ofNullable(cert)));
  }

  private static LoginIdentity.Certificate cert(String keyId, String... principals) {
    return new LoginIdentity.Certificate(keyId, -2L, List.of(principals), Instant.EPOCH,
        Instant.parse("2031-01-02T03:04:05Z"), Map.of(), Set.of("permit-pty"), "SHA256:ca");
  }

  private static final String BLOCKS = String.join("\n",
      "image: top:1",
      "memory: 64m",
      "privileged: true",
      "env: {TZ: UTC, COURSE: none}",
      "docker:",
      "  host: {ExtraHosts: [\"a:10.0.0.1\"], Dns: [\"10.0.0.53\"]}",
      "match:",
      "  - user: alice,bob",
      "    image: course-a:1",
      "    memory: 128m",
      "    privileged: false",
      "    env: {COURSE: a}",
      "    docker:",
      "      host: {Dns: [\"10.9.9.9\"]}",
      "  - principal: ops-*",
      "    key-id: [ci-*, release-*]",
      "    pids-limit: 1024",
      "  - user: \"*,!root\"",
      "    cpus: 0.5",
      "");

  @Test
  void theFirstMatchingBlockWinsOverTheTopLevelMapsMergeByNameAndFlagsTurnOff()
      throws Exception {
    Loaded l = load(BLOCKS);
    PerConnectionOptions.Choice alice = l.settings().choose(login("alice", null), l.top());
    assertEquals("match 1 (user alice,bob)", alice.shapedBy());
    DockerBackendOptions a = alice.options();
    assertEquals("course-a:1", a.container().image());
    assertEquals(128L << 20, a.container().memoryBytes());
    assertFalse(a.container().privileged(), "the block's false turns off the top level's true");
    assertEquals(Map.of("TZ", "UTC", "COURSE", "a"), a.container().env(), "env merges by name");
    assertEquals(Map.of("ExtraHosts", List.of("a:10.0.0.1"), "Dns", List.of("10.9.9.9")),
        a.container().passthrough().hostConfig(), "docker.host merges field by field");

    // a certificate with a matching principal and key id: block 2, but bob matches block 1
    LoginIdentity.Certificate ci = cert("ci-build-7", "dev", "ops-eu");
    assertEquals("match 1 (user alice,bob)", l.settings().choose(login("bob", ci), l.top())
        .shapedBy(), "the first block that matches wins");
    PerConnectionOptions.Choice carol = l.settings().choose(login("carol", ci), l.top());
    assertEquals("match 2 (principal ops-*; key-id ci-*,release-*)", carol.shapedBy());
    assertEquals(1024, carol.options().container().pidsLimit());
    assertEquals("top:1", carol.options().container().image(), "the rest is the top level's");
    assertTrue(carol.options().container().privileged());
    assertEquals(64L << 20, carol.options().container().memoryBytes());

    // every criterion given must match: a principal without the key id, or no certificate
    assertEquals("match 3 (user *,!root)", l.settings().choose(login("carol",
        cert("laptop", "ops-eu")), l.top()).shapedBy());
    assertEquals("match 3 (user *,!root)", l.settings().choose(login("carol", null), l.top())
        .shapedBy());
    assertEquals(0.5, l.settings().choose(login("carol", null), l.top()).options()
        .container().cpus());

    // nothing matches: the top level's options themselves, shaped by nothing
    PerConnectionOptions.Choice root = l.settings().choose(login("root", null), l.top());
    assertSame(l.top(), root.options());
    assertEquals("", root.shapedBy());
    assertSame(l.settings(), l.settings().choice(), "the backend asks it");
  }

  /**
   * The match blocks of docs/gateway.md (Per-user container settings), loaded as the gateway
   * loads its file: each login the page names gets what the page says it gets. The Chinese
   * page shows the same block.
   */
  @Test
  void theDocumentedMatchBlocksGiveEachLoginWhatThePageSays() throws Exception {
    String marker = "<!-- docs: read by cli/src/test/java/io/github/sshcontainer/cli/"
        + "PerUserSettingsTest.java -->\n```yaml\n";
    String page = Files.readString(Path.of("../docs/gateway.md"));
    int at = page.indexOf(marker);
    assertTrue(at >= 0, "docs/gateway.md shows a block read by this test");
    String yaml = page.substring(at + marker.length());
    yaml = yaml.substring(0, yaml.indexOf("```"));
    assertTrue(Files.readString(Path.of("../docs/zh-CN/gateway.md")).contains(marker + yaml),
        "the Chinese page shows the same block");
    Loaded l = load(yaml);

    for (String user : List.of("alice", "bob")) {
      PerConnectionOptions.Choice c = l.settings().choose(login(user, null), l.top());
      assertEquals("match 1 (user alice,bob)", c.shapedBy(), user);
      assertEquals("registry.internal/course-a:3", c.options().container().image(), user);
      assertEquals(1L << 30, c.options().container().memoryBytes(), user);
      assertEquals(Map.of("TZ", "UTC", "COURSE", "a"), c.options().container().env(), user);
    }
    PerConnectionOptions.Choice student = l.settings().choose(login("student-7", null),
        l.top());
    assertEquals("match 2 (user student-*,!student-admin)", student.shapedBy());
    assertEquals("registry.internal/course-b:1", student.options().container().image());
    assertEquals(512L << 20, student.options().container().memoryBytes(), "the top level's");
    assertEquals(Map.of("TZ", "UTC", "COURSE", "none"), student.options().container().env());

    PerConnectionOptions.Choice admin = l.settings().choose(login("student-admin", null),
        l.top());
    assertEquals("", admin.shapedBy(), "no block: the top level");
    assertSame(l.top(), admin.options());
    assertEquals("registry.internal/base:1", admin.options().container().image());

    LoginIdentity.Certificate ci = cert("ci-build-7", "erin", "ops-eu");
    PerConnectionOptions.Choice erin = l.settings().choose(login("erin", ci), l.top());
    assertEquals("match 3 (principal ops-*; key-id ci-*)", erin.shapedBy());
    assertEquals("registry.internal/base:1", erin.options().container().image());
    assertEquals(1024, erin.options().container().pidsLimit());
    assertEquals("[{Name=nofile, Soft=65536, Hard=65536}]", String.valueOf(erin.options()
        .container().passthrough().hostConfig().get("Ulimits")));
    assertEquals("match 1 (user alice,bob)", l.settings().choose(login("alice", ci), l.top())
        .shapedBy(), "the first block that matches wins");
    assertEquals("", l.settings().choose(login("erin", cert("laptop", "ops-eu")), l.top())
        .shapedBy(), "every criterion given must match: the key id does not");
    assertEquals("", l.settings().choose(login("erin", cert("ci-build-8", "dev")), l.top())
        .shapedBy(), "no principal ops-*");
  }

  @Test
  void aCommandLineOptionIsTheTopLevelTheBlockStillWins() throws Exception {
    Loaded l = load(BLOCKS, "--memory", "32m", "--image", "flag:1");
    assertEquals(32L << 20, l.top().container().memoryBytes());
    assertEquals("flag:1", l.settings().choose(login("root", null), l.top()).options()
        .container().image());
    assertEquals(128L << 20, l.settings().choose(login("alice", null), l.top()).options()
        .container().memoryBytes(), "a block is more specific than the command line");
  }

  @Test
  void withoutBlocksOrWebhookTheBackendIsNotAsked() throws Exception {
    Loaded l = load("image: top:1\n");
    assertSame(PerConnectionOptions.NONE, l.settings().choice());
  }

  /** A webhook answering what {@code answer} gives for each request body; records them. */
  private String webhook(Function<JsonNode, String> answer, List<JsonNode> requests)
      throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/settings", exchange -> {
      JsonNode body = JSON.readTree(exchange.getRequestBody());
      requests.add(body);
      String out = java.util.Objects.requireNonNullElse(answer.apply(body), "{}");
      int status = out.startsWith("HTTP ") ? Integer.parseInt(out.substring(5)) : 200;
      byte[] bytes = (status == 200 ? out : "{}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(bytes);
      }
    });
    server.start();
    open.add(() -> server.stop(0));
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/settings";
  }

  @Test
  void theConfigWebhookIsAskedAboutTheLoginAndItsAnswerGoesOverTheMatchBlock()
      throws Exception {
    List<JsonNode> requests = new ArrayList<>();
    Map<String, String> answers = new ConcurrentHashMap<>(Map.of(
        "alice", "{\"env\": {\"TZ\": \"Asia/Tokyo\", \"HOOK\": \"1\"}, \"memory\": 268435456}",
        "carol", "{\"image\": \"hook:1\", \"shell\": \"/bin/sh -l\", \"mode\": \"session\"}",
        "dave", "{}"));
    String url = webhook(b -> answers.get(b.path("username").asText()), requests);
    Loaded l = load(BLOCKS, "--config-webhook", url);

    PerConnectionOptions.Choice alice = l.settings().choose(login("alice", null), l.top());
    assertEquals("match 1 (user alice,bob), config webhook", alice.shapedBy());
    assertEquals("course-a:1", alice.options().container().image(), "the block's");
    assertEquals(256L << 20, alice.options().container().memoryBytes(), "the webhook's");
    assertEquals(Map.of("TZ", "Asia/Tokyo", "COURSE", "a", "HOOK", "1"),
        alice.options().container().env());
    JsonNode first = requests.get(0);
    assertEquals("alice", first.path("username").asText());
    assertEquals("127.0.0.1:40022", first.path("remoteAddress").asText());
    assertEquals("c7", first.path("connectionId").asText());
    assertEquals("ssh-ed25519 AAAAkey", first.path("publicKey").asText());
    assertEquals("SHA256:fingerprint", first.path("fingerprint").asText());
    assertTrue(first.has("certificate") && first.get("certificate").isNull(), first.toString());

    // erin's certificate matches block 2; the webhook answers her nothing: block 2 alone
    PerConnectionOptions.Choice erin = l.settings().choose(login("erin",
        cert("ci-9", "ops-eu")), l.top());
    assertEquals("match 2 (principal ops-*; key-id ci-*,release-*)", erin.shapedBy());
    JsonNode c = requests.get(1).path("certificate");
    assertEquals("ci-9", c.path("keyId").asText());
    assertEquals("18446744073709551614", c.path("serial").bigIntegerValue().toString(),
        "the serial unsigned, as OpenSSH prints it");
    assertEquals("[\"ops-eu\"]", c.path("principals").toString());
    assertEquals("2031-01-02T03:04:05Z", c.path("validBefore").asText());
    assertEquals(Set.of("keyId", "serial", "principals", "validBefore"),
        Set.copyOf(iterable(c.fieldNames())));
    answers.put("root", answers.get("carol"));
    PerConnectionOptions.Choice hooked = l.settings().choose(login("root", null), l.top());
    assertEquals("config webhook", hooked.shapedBy());
    assertEquals("hook:1", hooked.options().container().image());
    assertEquals(List.of("/bin/sh", "-l"), hooked.options().shell());
    assertEquals(DockerBackendOptions.Mode.SESSION, hooked.options().mode());
    assertEquals(Map.of("TZ", "UTC", "COURSE", "none"), hooked.options().container().env());

    assertEquals("match 3 (user *,!root)", l.settings().choose(login("dave", null), l.top())
        .shapedBy(), "an empty answer changes nothing");
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> l = new ArrayList<>();
    it.forEachRemaining(l::add);
    return l;
  }

  /** The refusal's user message, and its reason (what the backend logs). */
  private static String refusal(Loaded l, String user) {
    BackendException e = assertThrows(BackendException.class,
        () -> l.settings().choose(login(user, null), l.top()), user);
    assertEquals(BackendException.Reason.REFUSED, e.reason());
    assertEquals(PerConnectionOptions.REFUSAL, e.getMessage(), "all the user reads");
    assertFalse(e.getCause().getMessage().contains("s3cr3t"), "no token of the URL: "
        + e.getCause().getMessage());
    return e.getCause().getMessage();
  }

  @Test
  void anAnswerWithAKeyNotAllowedUnknownOrOfTheWrongTypeRefusesTheLogin() throws Exception {
    Map<String, String> answers = Map.of(
        "privileged", "{\"privileged\": true}",
        "network", "{\"network\": \"host\"}",
        "binds", "{\"docker\": {\"host\": {\"Binds\": [\"/:/host\"]}}}",
        "config", "{\"docker\": {\"config\": {\"User\": \"0\"}}}",
        "unknown", "{\"imagee\": \"x:1\"}",
        "listen", "{\"listen\": \"0.0.0.0:22\"}",
        "type", "{\"memory\": \"lots\"}",
        "mode", "{\"mode\": \"sesion\"}",
        "nested", "{\"docker\": {\"hosts\": {}}}",
        "capadd", "{\"cap-add\": [\"NET_RAW\"], \"docker\": {\"host\": {\"Dns\": [\"1.1.1.1\"]}}}");
    String url = webhook(b -> answers.get(b.path("username").asText()), new ArrayList<>());
    Loaded l = load("image: top:1\n", "--config-webhook", url + "?token=s3cr3t",
        "--config-webhook-allow",
        "cap-add", "--config-webhook-allow", "docker.host");
    String at = "config webhook answered ";
    String answered = "config webhook answered: ";
    assertEquals(at + "key 'privileged', which config-webhook-allow does not list",
        refusal(l, "privileged"));
    assertEquals(at + "key 'network', which config-webhook-allow does not list",
        refusal(l, "network"));
    assertEquals(at + "key 'docker.config', which config-webhook-allow does not list",
        refusal(l, "config"));
    assertTrue(refusal(l, "unknown").startsWith(at + "key 'imagee', which is not a container "
        + "key (they are image, env, "));
    assertTrue(refusal(l, "listen").startsWith(at + "key 'listen', which is not a container "
        + "key"));
    assertEquals(answered + "key 'memory': expected a size such as 536870912, 512m or 2g, got "
        + "'lots'", refusal(l, "type"));
    assertEquals(answered + "key 'mode': --mode takes connection, session or user, got sesion",
        refusal(l, "mode"));
    assertEquals(at + "key 'docker.hosts', which is not a section of docker: (config, host, "
        + "network, platform)", refusal(l, "nested"));

    // allowed: cap-add and docker.host (its Binds included: the operator chose to trust it)
    assertEquals("config webhook", l.settings().choose(login("binds", null), l.top())
        .shapedBy());
    DockerBackendOptions o = l.settings().choose(login("capadd", null), l.top()).options();
    assertTrue(o.capabilities().contains("NET_RAW"), o.capabilities().toString());
    assertEquals(Map.of("Dns", List.of("1.1.1.1")), o.container().passthrough().hostConfig());
  }

  @Test
  void aWebhookThatFailsOrIsDownRefusesTheLoginAndNamesWhyInTheReason() throws Exception {
    String url = webhook(b -> b.path("username").asText().equals("err") ? "HTTP 500"
        : "[1, 2]", new ArrayList<>());
    Loaded l = load("image: top:1\n", "--config-webhook", url);
    assertEquals("config webhook " + url + " answered HTTP 500", refusal(l, "err"));
    assertEquals("config webhook " + url + " answered HTTP 200 with a body that is "
        + "not a JSON object", refusal(l, "list"));
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Loaded down = load("image: top:1\n", "--config-webhook", "http://127.0.0.1:" + port + "/x");
    assertTrue(refusal(down, "anyone").contains("connection refused"));
  }

  @Test
  void aBadConfigWebhookAllowEntryIsAUsageErrorNamingTheKey() {
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> load("image: top:1\n", "--config-webhook-allow", "privilegd"));
    assertEquals("--config-webhook-allow takes container keys, got 'privilegd'; did you mean "
        + "privileged?", e.getMessage());
  }
}
