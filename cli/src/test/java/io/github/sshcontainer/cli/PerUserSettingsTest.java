package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * How a login's container settings are chosen, without Docker: the match blocks' criteria and
 * merge rules. The containers these options make are checked against a real daemon in {@link
 * GatewaySettingsCliTest}.
 */
class PerUserSettingsTest {
  @TempDir Path tmp;
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
}
