package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.WebhookServer;
import io.github.sshcontainer.lab.WebhookServer.Answer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container gateway} with the authentication options of docs/gateway.md, as a real
 * process: passwords through the auth webhook only with {@code --password-auth} (Paramiko), and
 * neither the right nor a wrong password anywhere in the gateway's log or audit files; a
 * certificate of {@code --trusted-user-ca-keys} logs in with OpenSSH until {@code
 * --revoked-keys} lists it (the file is read again when it changes); {@code --password-auth} without a
 * webhook is a usage error.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayAuthCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RIGHT = "correct-horse-7731-battery";
  private static final String WRONG = "wrong-staple-9924-donkey";
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private GatewayProcess gateway(String... extra) throws Exception {
    Path hostKey = tmp.resolve("host_key");
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--listen", "127.0.0.1:0", "--image", DockerDaemon.BUSYBOX,
        "--pull", "never", "--host-key", hostKey.toString(), "--stop-timeout", "2s",
        "--no-penalties"));
    args.addAll(List.of(extra));
    return GatewayProcess.start(tmp, List.of(), args, hostKey);
  }

  private Path knownHosts(GatewayProcess g) throws IOException {
    return Files.writeString(tmp.resolve("known_hosts-" + g.port()), Keys.knownHostsLine(
        g.hostKey(), g.port()) + "\n");
  }

  private static OpenSshClient.Result paramiko(GatewayProcess g, String user, String password,
      Path knownHosts) throws Exception {
    Path python = Prerequisites.requirePythonModule("paramiko", "python3-paramiko");
    Path script = Path.of(GatewayAuthCliTest.class.getResource("/paramiko-password.py")
        .toURI());
    return OpenSshClient.run(List.of(python.toString(), script.toString(),
        String.valueOf(g.port()), user, password, knownHosts.toString()), null, SOON);
  }

  private static void stop(GatewayProcess g) throws Exception {
    g.process().destroy();
    assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    assertEquals(0, g.process().exitValue(), "a clean stop: " + g.stderr());
  }

  @Test
  void passwordsGoToTheWebhookOnlyAndAreWrittenNowhere() throws Exception {
    try (WebhookServer hook = WebhookServer.start(body -> {
      try {
        JsonNode r = JSON.readTree(body);
        boolean ok = r.path("username").asText().equals("pat")
            && r.path("password").asText().equals(RIGHT);
        return Answer.json("{\"success\": " + ok + "}");
      } catch (IOException e) {
        return new Answer(400, "", 0);
      }
    })) {
      Path audit = tmp.resolve("audit");
      Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
          tmp.resolve("authorized_keys"));
      GatewayProcess g = gateway("--authorized-keys", authorized.toString(), "--auth-webhook",
          hook.url("/ssh/auth"), "--password-auth", "--audit-dir", audit.toString(),
          "--audit-input");
      Path kh = knownHosts(g);
      try {
        OpenSshClient.Result in = paramiko(g, "pat", RIGHT, kh);
        assertEquals(0, in.code(), in.out() + in.err());
        // USER is the container's user (the image's: root), as --user-mapping image says
        assertEquals("in: pw-in root", in.out().strip(), "the password admitted pat: "
            + in.err());
        OpenSshClient.Result out = paramiko(g, "pat", WRONG, kh);
        assertEquals(3, out.code(), out.out() + out.err());
        JsonNode asked = JSON.readTree(hook.requests().get(hook.requests().size() - 1));
        assertEquals(WRONG, asked.path("password").asText(), "the webhook got the password");
        assertTrue(asked.path("remoteAddress").asText().startsWith("127.0.0.1:"));
        assertTrue(!asked.path("connectionId").asText().isEmpty(), asked.toString());
        // an OpenSSH key login still works beside it
        OpenSshClient.Result key = new OpenSshClient(lab().clientKey(), kh, g.port(), "keyed")
            .ssh("echo key-in", null, SOON);
        assertEquals("key-in", key.out().strip(), key.err());
      } finally {
        stop(g);
      }
      String log = g.stderr();
      assertTrue(log.contains("refused password for pat from 127.0.0.1"), log);
      assertTrue(!log.contains(RIGHT) && !log.contains(WRONG), "no password in the log:\n"
          + log);
      List<Path> files;
      try (Stream<Path> all = Files.walk(audit)) {
        files = all.filter(Files::isRegularFile).toList();
      }
      assertTrue(!files.isEmpty(), "the audit log was written");
      String audited = "";
      for (Path f : files) {
        audited += Files.readString(f);
      }
      assertTrue(audited.contains("\"method\":\"password\""), audited);
      assertTrue(!audited.contains(RIGHT) && !audited.contains(WRONG),
          "no password in the audit files:\n" + audited);
    }
  }

  @Test
  void withoutPasswordAuthNoPasswordIsAskedFor() throws Exception {
    try (WebhookServer hook = WebhookServer.start(body -> Answer.json("{\"success\": true}"))) {
      GatewayProcess g = gateway("--auth-webhook", hook.url("/auth"));
      try {
        OpenSshClient.Result r = paramiko(g, "pat", RIGHT, knownHosts(g));
        assertEquals(4, r.code(), r.out() + r.err());
        assertEquals("no-password: publickey", r.out().strip());
        assertTrue(hook.requests().isEmpty(), "the webhook never heard of it: "
            + hook.requests());
      } finally {
        stop(g);
      }
    }
  }

  @Test
  void passwordAuthWithoutAWebhookIsAUsageError() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", GatewayProcess.JAR.toString(), "gateway"));
    cmd.addAll(GatewayProcess.labDockerHost());
    cmd.addAll(List.of("--image", DockerDaemon.BUSYBOX, "--host-key",
        tmp.resolve("hk").toString(), "--authorized-keys", lab().clientKey() + ".pub",
        "--password-auth"));
    OpenSshClient.Result r = OpenSshClient.run(cmd, null, SOON);
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("--password-auth needs --auth-webhook URL"), r.err());
  }

  /**
   * The certificate block of docs/gateway.md (Authentication), run as written in a directory
   * holding the user's id_ed25519: its CA admits alice until --revoked-keys lists the
   * certificate.
   */
  @Test
  void theDocumentedCertificateLogsInUntilRevoked() throws Exception {
    String page = Files.readString(Path.of("../docs/gateway.md"));
    String block = page.substring(page.indexOf("ssh-keygen -q -t ed25519"));
    block = block.substring(0, block.indexOf("```")).strip();
    assertTrue(Files.readString(Path.of("../docs/zh-CN/gateway.md")).contains(block),
        "the Chinese page shows the same commands");
    Path work = Files.createDirectories(tmp.resolve("doc"));
    Keys.generate(work.resolve("id_ed25519"), "", "ed25519");
    Prerequisites.require("openssh-client", "/usr/bin/ssh-keygen");
    List<String> lines = block.lines().toList();
    for (String line : lines.subList(0, 2)) {
      assertTrue(line.startsWith("ssh-keygen "), line);
      OpenSshClient.Result r = OpenSshClient.run(List.of("sh", "-c", "cd '" + work + "' && "
          + line), null, SOON);
      assertEquals(0, r.code(), line + ": " + r.err());
    }
    assertTrue(lines.get(2).startsWith("ssh-container gateway ") && lines.get(2).endsWith(
        "--trusted-user-ca-keys user_ca.pub"), lines.get(2));
    Path revoked = Files.writeString(tmp.resolve("revoked"), "");
    GatewayProcess g = gateway("--trusted-user-ca-keys", work.resolve("user_ca.pub")
        .toString(), "--revoked-keys", revoked.toString());
    try {
      OpenSshClient c = new OpenSshClient(work.resolve("id_ed25519"), knownHosts(g), g.port(),
          "alice");
      OpenSshClient.Result r = c.ssh("echo cert-in", null, SOON);
      assertEquals("cert-in", r.out().strip(), r.err());
      awaitLog(g, "alice from 127.0.0.1", "certificate key id 'alice@example.org' serial 1001");
      OpenSshClient.Result bob = new OpenSshClient(work.resolve("id_ed25519"), knownHosts(g),
          g.port(), "bob").ssh("echo cert-in", null, SOON);
      assertTrue(bob.code() != 0 && bob.err().contains("Permission denied"), bob.err());
      Files.writeString(revoked, Files.readString(work.resolve("id_ed25519-cert.pub")));
      OpenSshClient.Result after = c.ssh("echo cert-in", null, SOON);
      assertTrue(after.code() != 0 && after.err().contains("Permission denied"), after.err());
      assertTrue(g.stderr().contains("refused certificate (key id 'alice@example.org', serial "
          + "1001)"), g.stderr());
      assertTrue(g.stderr().contains("certificate is for alice, not bob"), g.stderr());
    } finally {
      stop(g);
    }
  }

  /** Waits (30 s at most) for a log line holding both texts: the connection's end line. */
  private static void awaitLog(GatewayProcess g, String a, String b) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (g.stderr().lines().anyMatch(l -> l.contains(a) && l.contains(b))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no log line with '" + a + "' and '" + b + "':\n" + g.stderr());
  }
}
