package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenSSH user certificates, made by {@code ssh-keygen -s} here, against a gateway that trusts
 * one CA: each case sshd knows (valid, expired, not yet valid, another principal, another CA,
 * revoked, force-command, source-address, no pty, an unknown critical option) with the reason
 * the gateway gives, and the key id and serial in the audit log.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayCertificateTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway gateway;
  private static LabGateway principals;
  private static Path ca;
  private static Path otherCa;
  private static Path revoked;
  /** Each refusal the gateway reported: user to reasons. */
  private static final Map<String, List<String>> refusals = new ConcurrentHashMap<>();
  private static final List<ConnectionInfo> logins = new CopyOnWriteArrayList<>();

  private static final BackendEvents RECORD = new BackendEvents() {
    @Override
    public void loginFailed(String user, String client, String why) {
      refusals.computeIfAbsent(user, u -> new CopyOnWriteArrayList<>()).add(why);
    }

    @Override
    public void connectionOpened(ConnectionInfo connection) {
      logins.add(connection);
    }
  };

  @BeforeAll
  static void start() throws Exception {
    ca = tmp.resolve("ca");
    Keys.generate(ca, "", "ed25519");
    otherCa = tmp.resolve("other-ca");
    Keys.generate(otherCa, "", "ed25519");
    Path trusted = Files.writeString(tmp.resolve("trusted_user_ca_keys"), "# the course CA\n"
        + Files.readString(Path.of(ca + ".pub")));
    revoked = Files.writeString(tmp.resolve("revoked_keys"), "# none yet\n");
    gateway = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(), g -> g
            .trustedUserCaKeys(trusted).revokedKeys(revoked).perSourcePenalties(false,
                Duration.ofSeconds(15), Duration.ofMinutes(10))
            .auditDir(tmp.resolve("audit")), RECORD);
    Path dir = Files.createDirectories(tmp.resolve("principals"));
    Files.writeString(dir.resolve("carol"), "# who may log in as carol\nstaff\n");
    principals = LabGateway.start(tmp.resolve("gw-principals"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(), g -> g
            .trustedUserCaKeys(trusted).authorizedPrincipalsDir(dir).perSourcePenalties(false,
                Duration.ofSeconds(15), Duration.ofMinutes(10)), RECORD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (principals != null) {
      principals.close();
    }
  }

  /** A new key for {@code name} with a certificate {@code ssh-keygen -s CA} signs. */
  private static Path certified(String name, Path signer, String... options) {
    Path key = tmp.resolve("keys").resolve(name);
    try {
      Files.createDirectories(key.getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Keys.generate(key, "", "ed25519");
    List<String> cmd = new ArrayList<>(List.of(Prerequisites.require("openssh-client",
        "/usr/bin/ssh-keygen").toString(), "-q", "-s", signer.toString()));
    cmd.addAll(List.of(options));
    cmd.add(key + ".pub");
    OpenSshClient.Result r = OpenSshClient.run(cmd, null, SOON);
    assertEquals(0, r.code(), "ssh-keygen -s: " + r.err());
    assertTrue(Files.exists(Path.of(key + "-cert.pub")), "the certificate was written");
    return key;
  }

  private static OpenSshClient client(LabGateway g, Path key, String user) {
    return new OpenSshClient(key, g.knownHosts(), g.server.port(), user);
  }

  private static String lastRefusal(String user) {
    List<String> r = refusals.getOrDefault(user, List.of());
    return r.isEmpty() ? "(none)" : r.get(r.size() - 1);
  }

  /** Refused with OpenSSH's usual "Permission denied" and the gateway's reason. */
  private static void assertRefused(OpenSshClient c, String user, String reason,
      String... extra) {
    OpenSshClient.Result r = c.ssh("echo in", null, SOON, extra);
    assertNotEquals(0, r.code(), "refused: " + r.out());
    assertTrue(r.err().contains("Permission denied (publickey)"), r.err());
    assertTrue(!r.out().contains("in"), r.out());
    assertTrue(lastRefusal(user).contains(reason), "the reason says '" + reason + "': "
        + refusals.get(user));
  }

  @Test
  void aValidCertificateLogsInWithItsKeyIdAndSerialAudited() throws Exception {
    Path key = certified("valid", ca, "-I", "alice@course", "-n", "valid", "-z", "4242",
        "-V", "-5m:+1h");
    OpenSshClient.Result r = client(gateway, key, "valid").ssh("echo in-$((40+2))", null, SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals("in-42", r.out().strip());
    ConnectionInfo info = logins.stream().filter(c -> c.user().equals("valid")).findFirst()
        .orElseThrow();
    assertEquals("alice@course", info.identity().certificate().orElseThrow().keyId());
    assertEquals(4242, info.identity().certificate().orElseThrow().serial());
    assertEquals(Keys.fingerprint(Path.of(key + ".pub")), info.identity().fingerprint());
    String audit = awaitAudit("valid", "\"result\":\"accepted\"");
    assertTrue(audit.contains("\"key_id\":\"alice@course\"") && audit.contains(
        "\"serial\":\"4242\""), audit);
  }

  @Test
  void anExpiredCertificateIsRefused() {
    Path key = certified("expired", ca, "-I", "expired", "-n", "expired", "-V",
        "-2d:-1d");
    assertRefused(client(gateway, key, "expired"), "expired", "certificate expired at");
  }

  @Test
  void aCertificateNotYetValidIsRefused() {
    Path key = certified("early", ca, "-I", "early", "-n", "early", "-V", "+1d:+2d");
    assertRefused(client(gateway, key, "early"), "early", "not valid before");
  }

  @Test
  void aCertificateOfAnotherPrincipalIsRefused() {
    Path key = certified("wrongname", ca, "-I", "wrongname", "-n", "somebody-else");
    assertRefused(client(gateway, key, "wrongname"), "wrongname",
        "certificate is for somebody-else, not wrongname");
  }

  @Test
  void aCertificateOfAnotherCaIsRefused() {
    Path key = certified("otherca", otherCa, "-I", "otherca", "-n", "otherca");
    assertRefused(client(gateway, key, "otherca"), "otherca", "signed by a CA not in");
  }

  @Test
  void anUnknownCriticalOptionIsRefused() {
    Path key = certified("critical", ca, "-I", "critical", "-n", "critical", "-O",
        "critical:verify-something@example.com=yes");
    assertRefused(client(gateway, key, "critical"), "critical",
        "critical option 'verify-something@example.com'");
  }

  @Test
  void aRevokedCertificateAndARevokedKeyAreRefusedOnceListed() throws Exception {
    Path key = certified("revoked", ca, "-I", "revoked", "-n", "revoked");
    OpenSshClient c = client(gateway, key, "revoked");
    assertEquals(0, c.ssh("true", null, SOON).code(), "admitted before it is listed");
    Path other = certified("revoked-key", ca, "-I", "revoked-key", "-n", "revoked-key");
    Files.writeString(revoked, Files.readString(Path.of(key + "-cert.pub"))
        + Files.readString(Path.of(other + ".pub")), java.nio.file.StandardOpenOption.APPEND);
    assertRefused(c, "revoked", "revoked (listed in revoked_keys)");
    assertRefused(client(gateway, other, "revoked-key"), "revoked-key",
        "its key is revoked");
  }

  @Test
  void forceCommandRunsInsteadOfWhatIsAskedWithTheOriginalInEnv() {
    Path key = certified("forced", ca, "-I", "forced", "-n", "forced", "-O",
        "force-command=echo forced:$SSH_ORIGINAL_COMMAND");
    OpenSshClient c = client(gateway, key, "forced");
    OpenSshClient.Result r = c.ssh("echo asked", null, SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals("forced:echo asked", r.out().strip());
    OpenSshClient.Result sftp = c.ssh("sftp", null, SOON, "-s");
    assertEquals("forced:", sftp.out().strip(), "a subsystem gets the forced command too");
  }

  @Test
  void sourceAddressAdmitsOnlyItsAddresses() {
    Path key = certified("fromlocal", ca, "-I", "fromlocal", "-n", "fromlocal", "-O",
        "source-address=127.0.0.1/32");
    OpenSshClient c = client(gateway, key, "fromlocal");
    OpenSshClient.Result ok = c.ssh("echo from-one", null, SOON, "-b", "127.0.0.1");
    assertEquals(0, ok.code(), ok.err());
    assertEquals("from-one", ok.out().strip());
    // another loopback address is another client address to the gateway
    assertRefused(c, "fromlocal", "source-address (127.0.0.1/32) does not admit 127.0.0.2",
        "-b", "127.0.0.2");
  }

  /**
   * As sshd does, the pty request fails; OpenSSH's client, told -tt, then gives up (exit
   * 255), and the same certificate runs a command without a pty.
   */
  @Test
  void withoutPermitPtyAPtyIsRefusedAndCommandsStillRun() {
    Path key = certified("nopty", ca, "-I", "nopty", "-n", "nopty", "-O", "no-pty");
    OpenSshClient c = client(gateway, key, "nopty");
    OpenSshClient.Result r = c.ssh("echo with-a-pty", null, SOON, "-tt");
    assertTrue(r.err().contains("PTY allocation request failed"), r.code() + " " + r.err());
    assertTrue(!r.out().contains("with-a-pty"), r.out());
    OpenSshClient.Result t = c.ssh("echo without-a-pty", null, SOON, "-T");
    assertEquals(0, t.code(), t.err());
    assertEquals("without-a-pty", t.out().strip());
    Path withPty = certified("withpty", ca, "-I", "withpty", "-n", "withpty");
    OpenSshClient.Result p = client(gateway, withPty, "withpty").ssh("tty", null, SOON, "-tt");
    assertTrue(p.out().contains("/dev/pts/"), "a certificate with permit-pty gets one: "
        + p.out() + p.err());
  }

  @Test
  void authorizedPrincipalsListWhoMayLogInAsAUser() {
    Path key = certified("staffer", ca, "-I", "staffer", "-n", "staff");
    OpenSshClient.Result r = client(principals, key, "carol").ssh("echo carol-in", null,
        SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals("carol-in", r.out().strip());
    assertRefused(client(principals, key, "dave"), "dave", "no authorized principals for dave");
    Path plain = certified("carol-named", ca, "-I", "carol-named", "-n", "carol");
    assertRefused(client(principals, plain, "carol"), "carol",
        "none of the certificate's principals (carol) is listed for carol");
  }

  /** The audit lines of {@code user}'s connections once one holds {@code text} (bounded). */
  private static String awaitAudit(String user, String text) throws Exception {
    Path dir = gateway.server.options().auditDir().orElseThrow();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String all = "";
    while (System.nanoTime() < end) {
      try (var files = Files.list(dir)) {
        all = files.filter(f -> f.toString().endsWith(".jsonl")).map(f -> {
          try {
            return Files.readString(f);
          } catch (java.io.IOException e) {
            return "";
          }
        }).filter(t -> t.contains("\"user\":\"" + user + "\"")).collect(Collectors.joining());
      }
      if (all.contains(text)) {
        return all;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no audit line for " + user + " with " + text + ": " + all);
  }
}
