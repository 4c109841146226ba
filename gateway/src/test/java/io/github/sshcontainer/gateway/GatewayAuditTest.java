package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.Tmux;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log and the session recordings, read back as an auditor would: each connection's
 * JSON lines (parsed by Jackson line by line), each session's asciicast (played by Debian's
 * asciinema), their modes, the bound on a recording, and a directory that cannot be written.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayAuditTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static LabGateway audited;
  private static LabGateway tight;
  private static LabGateway sftp;

  @BeforeAll
  static void start() {
    audited = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        g -> g.auditDir(tmp.resolve("audit/new"))); // two levels to make
    // a shell refused, input recorded and a small bound, on one gateway
    tight = LabGateway.start(tmp.resolve("tight"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        g -> g.auditDir(tmp.resolve("tight-audit")).disableShell(true).auditInput(true)
            .auditMaxBytes(4096));
    sftp = LabGateway.start(tmp.resolve("gw-sftp"), LabGateway.docker(),
        DockerBackendOptions.builder(ContainerSpec.of(lab().docker().sftpImage())
            .networkMode("none").pullPolicy(PullPolicy.NEVER)
            .stopTimeout(Duration.ofSeconds(2)).build())
            .subsystem("sftp", List.of("/usr/lib/openssh/sftp-server")).build(),
        g -> g.auditDir(tmp.resolve("sftp-audit")));
  }

  @AfterAll
  static void stop() throws Exception {
    for (LabGateway g : new LabGateway[] {audited, tight, sftp}) {
      if (g != null) {
        g.close();
      }
    }
  }

  private static Path auditDir(LabGateway g) {
    return g.server.options().auditDir().orElseThrow();
  }

  @Test
  void anExecIsLoggedFromConnectToDisconnectAndRecorded() throws Exception {
    OpenSshClient.Result r = audited.client("execer").ssh("echo hi; echo oops >&2; exit 7",
        null, SOON);
    assertEquals(7, r.code(), r.err());
    Log log = Log.awaitDisconnect(auditDir(audited), "execer");
    JsonNode connect = log.first("connect");
    assertEquals("127.0.0.1", connect.get("client").asText());
    assertTrue(connect.get("client_port").asInt() > 0, connect.toString());
    assertEquals(audited.server.port(), connect.get("server_port").asInt());
    JsonNode auth = log.first("auth");
    assertEquals("accepted", auth.get("result").asText());
    assertEquals("publickey", auth.get("method").asText());
    assertEquals(Keys.fingerprint(Path.of(lab().clientKey() + ".pub")),
        auth.get("key").asText());
    JsonNode exec = log.first("exec");
    assertEquals("echo hi; echo oops >&2; exit 7", exec.get("command").asText());
    long channel = exec.get("channel").asLong();
    assertEquals(channel, log.first("channel").get("channel").asLong());
    assertEquals(7, log.first("exit").get("status").asInt());
    assertTrue(log.first("container").get("id").asText().matches("[0-9a-f]{64}"),
        log.toString());
    JsonNode bye = log.first("disconnect");
    assertTrue(bye.get("duration_ms").asLong() >= 0, bye.toString());
    assertEquals("hi\noops\n".length(), bye.get("bytes_out").asLong(), bye.toString());
    for (JsonNode line : log.lines) {
      assertEquals(log.id, line.get("connection").asText(), line.toString());
      Instant.parse(line.get("time").asText()); // ISO-8601, or it throws
      assertTrue(line.get("time").asText().matches(".*T.*\\.\\d{3}Z"), line.toString());
    }
    List<JsonNode> cast = cast(log.recording(channel));
    assertEquals(2, cast.get(0).get("version").asInt());
    assertEquals(80, cast.get(0).get("width").asInt());
    String out = output(cast, "o");
    assertTrue(out.contains("hi\n") && out.contains("oops\n"), "stdout and stderr: " + out);
  }

  @Test
  void aShellOnATerminalIsRecordedWithItsResizeAndAsciinemaPlaysIt() throws Exception {
    Path asciinema = Prerequisites.require("asciinema", "/usr/bin/asciinema");
    OpenSshClient c = audited.client("shelluser");
    try (Tmux t = Tmux.start(c.ssh(List.of("-tt"), null), 100, 30)) {
      t.await("/ #", SOON);
      t.type("echo typed-$((6*7))");
      t.await("typed-42", SOON);
      t.resize(120, 40);
      t.typeUntil("stty size", "40 120", SOON);
      t.type("exit");
    }
    Log log = Log.awaitDisconnect(auditDir(audited), "shelluser");
    long channel = log.first("shell").get("channel").asLong();
    JsonNode pty = log.first("pty");
    assertEquals(100, pty.get("columns").asInt());
    assertEquals(30, pty.get("rows").asInt());
    assertFalse(pty.get("term").asText().isEmpty(), pty.toString());
    assertTrue(log.all("window-change").stream().anyMatch(w -> w.get("columns").asInt() == 120
        && w.get("rows").asInt() == 40), log.toString());
    assertEquals(0, log.first("exit").get("status").asInt());
    Path file = log.recording(channel);
    List<JsonNode> cast = cast(file);
    assertEquals(100, cast.get(0).get("width").asInt());
    assertEquals(30, cast.get(0).get("height").asInt());
    assertEquals(pty.get("term").asText(), cast.get(0).get("env").get("TERM").asText());
    assertTrue(cast.stream().skip(1).anyMatch(e -> e.get(1).asText().equals("r")
        && e.get(2).asText().equals("120x40")), "a resize event");
    assertTrue(cast.stream().skip(1).noneMatch(e -> e.get(1).asText().equals("i")),
        "no input without auditInput");
    // asciinema cat reads keys from /dev/tty: script(1) gives it a terminal
    Path script = Prerequisites.require("bsdutils", "/usr/bin/script");
    OpenSshClient.Result played = OpenSshClient.run(List.of(script.toString(), "-q", "-e",
        "-c", asciinema + " cat '" + file + "'", "/dev/null"), null, SOON);
    assertEquals(0, played.code(), played.err());
    assertTrue(played.out().contains("echo typed-$((6*7))"), "what was typed (echoed): "
        + played.out());
    assertTrue(played.out().contains("typed-42"), "what was printed: " + played.out());
  }

  @Test
  void aRefusedKeyIsLoggedWithItsFingerprintOnly() throws Exception {
    Path key = tmp.resolve("wrong_key");
    Keys.generate(key, "");
    OpenSshClient wrong = new OpenSshClient(key, audited.knownHosts(), audited.server.port(),
        "wrongkey");
    OpenSshClient.Result r = wrong.ssh("true", null, SOON);
    assertEquals(255, r.code(), r.err());
    Log log = Log.awaitDisconnect(auditDir(audited), "wrongkey");
    JsonNode auth = log.first("auth");
    assertEquals("refused", auth.get("result").asText());
    assertEquals(Keys.fingerprint(Path.of(key + ".pub")), auth.get("key").asText());
    assertTrue(auth.get("reason").asText().contains("authorized keys"), auth.toString());
    String text = Files.readString(log.file);
    String publicKey = Files.readString(Path.of(key + ".pub")).split(" ")[1];
    assertFalse(text.contains(publicKey), "the key itself is not in the log");
    assertTrue(log.all("auth").stream().noneMatch(a -> a.get("result").asText()
        .equals("accepted")), log.toString());
  }

  @Test
  void aKilledClientsConnectionEndsWithADisconnectLine() throws Exception {
    OpenSshClient c = audited.client("killed");
    Process p = c.start(c.ssh(List.of(), "sleep 30"), tmp.resolve("killed.log"));
    try {
      Log.await(auditDir(audited), "killed", l -> l.has("container"), "its container");
    } finally {
      p.destroyForcibly(); // SIGKILL: no disconnect message from the client
      assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    }
    Log log = Log.awaitDisconnect(auditDir(audited), "killed");
    JsonNode bye = log.first("disconnect");
    assertTrue(bye.get("duration_ms").asLong() > 0, bye.toString());
    assertTrue(bye.has("bytes_in") && bye.has("bytes_out"), bye.toString());
    assertEquals("sleep 30", log.first("exec").get("command").asText());
  }

  @Test
  void theDirectoryIs0700AndEveryFileIn0600() throws Exception {
    OpenSshClient.Result r = audited.client("modes").ssh("echo m", null, SOON);
    assertEquals(0, r.code(), r.err());
    Log.awaitDisconnect(auditDir(audited), "modes");
    Path dir = auditDir(audited);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        dir.getParent())), "the missing parent too");
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.toList();
      assertTrue(all.size() >= 2, all.toString());
      for (Path f : all) {
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(f)), f.toString());
      }
    }
  }

  @Test
  void envNamesAreLoggedButNeverTheirValues() throws Exception {
    OpenSshClient.Result r = OpenSshClient.run(withEnv(audited.client("envuser"),
        "AUDIT_SECRET=hunter2-value", "echo \"$AUDIT_SECRET\""), null, SOON);
    assertEquals(0, r.code(), r.err());
    Log log = Log.awaitDisconnect(auditDir(audited), "envuser");
    assertTrue(log.all("env").stream().anyMatch(e -> e.get("name").asText()
        .equals("AUDIT_SECRET")), log.toString());
    assertFalse(Files.readString(log.file).contains("hunter2-value"), log.toString());
  }

  private static List<String> withEnv(OpenSshClient c, String assignment, String command) {
    List<String> cmd = new ArrayList<>(List.of("env", assignment));
    cmd.addAll(c.ssh(List.of("-o", "SendEnv=AUDIT_SECRET"), command));
    return cmd;
  }

  @Test
  void aRefusedShellIsLoggedWithThePolicy() throws Exception {
    OpenSshClient.Result r = tight.client("noshell").ssh(null, "echo hi\n".getBytes(), SOON,
        "-T");
    assertNotEquals(0, r.code());
    Log log = Log.awaitDisconnect(auditDir(tight), "noshell");
    log.first("shell");
    assertTrue(log.first("refused").get("reason").asText()
        .contains("shell sessions are disabled"), log.toString());
  }

  @Test
  void inputIsRecordedOnlyWhenAsked() throws Exception {
    OpenSshClient.Result r = tight.client("typist").ssh("cat", "typed-secret\n"
        .getBytes(StandardCharsets.UTF_8), SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals("typed-secret\n", r.out());
    Log log = Log.awaitDisconnect(auditDir(tight), "typist");
    List<JsonNode> cast = cast(log.recording(log.first("exec").get("channel").asLong()));
    assertEquals("typed-secret\n", output(cast, "i"));
    assertEquals("typed-secret\n", output(cast, "o"));
    assertEquals("typed-secret\n".length(), log.first("disconnect").get("bytes_in").asLong());
  }

  @Test
  void aRecordingPastItsBoundStopsAndTheSessionGoesOn() throws Exception {
    OpenSshClient.Result r = tight.client("big").ssh(
        "head -c 100000 /dev/zero | tr '\\0' a; exit 3", null, SOON);
    assertEquals(3, r.code(), r.err());
    assertEquals(100000, r.out().length(), "every byte reached the client");
    Log log = Log.awaitDisconnect(auditDir(tight), "big");
    long channel = log.first("exec").get("channel").asLong();
    JsonNode cut = log.first("recording-truncated");
    assertEquals(channel, cut.get("channel").asLong());
    assertEquals(4096, cut.get("max_bytes").asLong());
    assertEquals(3, log.first("exit").get("status").asInt());
    Path file = log.recording(channel);
    assertTrue(Files.size(file) <= 4096, "bounded: " + Files.size(file));
    List<JsonNode> cast = cast(file); // whole lines only, every one parses
    assertTrue(output(cast, "o").length() > 1000, "recorded up to the bound");
  }

  @Test
  void anSftpSessionIsLoggedAsItsSubsystem() throws Exception {
    Path batch = tmp.resolve("batch");
    Files.writeString(batch, "pwd\n");
    OpenSshClient.Result r = sftp.client("sftper").sftp(batch, SOON);
    assertEquals(0, r.code(), r.err());
    Log log = Log.awaitDisconnect(auditDir(sftp), "sftper");
    assertEquals("sftp", log.first("subsystem").get("name").asText());
    assertEquals(0, log.first("exit").get("status").asInt());
  }

  @Test
  void anAuditDirThatCannotBeWrittenRefusesSessionsOnlyWhenRequired() throws Exception {
    Path file = tmp.resolve("afile");
    Files.writeString(file, "a file, so nothing can be made under it");
    Path broken = file.resolve("audit");
    try (LabGateway required = LabGateway.start(tmp.resolve("required"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        g -> g.auditDir(broken).auditRequired(true))) {
      OpenSshClient.Result r = required.client("strict").ssh("echo should-not-run", null,
          SOON);
      assertNotEquals(0, r.code());
      assertTrue(r.err().contains("gateway: the audit log cannot be written; sessions are "
          + "refused until the operator fixes it"), r.err());
      assertFalse(r.out().contains("should-not-run"), r.out());
    }
    try (LabGateway lenient = LabGateway.start(tmp.resolve("lenient"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(), g -> g.auditDir(broken))) {
      OpenSshClient.Result r = lenient.client("easy").ssh("echo served", null, SOON);
      assertEquals(0, r.code(), r.err());
      assertEquals("served\n", r.out());
    }
  }

  /** The text of a recording's events of {@code code}, concatenated. */
  private static String output(List<JsonNode> cast, String code) {
    StringBuilder b = new StringBuilder();
    for (JsonNode e : cast.subList(1, cast.size())) {
      assertEquals(3, e.size(), e.toString());
      assertTrue(e.get(0).isNumber(), e.toString());
      if (e.get(1).asText().equals(code)) {
        b.append(e.get(2).asText());
      }
    }
    return b.toString();
  }

  private static List<JsonNode> cast(Path file) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lines.add(JSON.readTree(line));
    }
    assertTrue(lines.get(0).isObject(), "the header first: " + lines.get(0));
    return lines;
  }

  /** One connection's audit log, parsed line by line. */
  private record Log(Path file, String id, List<JsonNode> lines) {
    JsonNode first(String event) {
      return lines.stream().filter(l -> l.get("event").asText().equals(event)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + event + " line in " + this));
    }

    List<JsonNode> all(String event) {
      return lines.stream().filter(l -> l.get("event").asText().equals(event)).toList();
    }

    boolean has(String event) {
      return lines.stream().anyMatch(l -> l.get("event").asText().equals(event));
    }

    Path recording(long channel) {
      Path p = file.resolveSibling(id + "-" + channel + ".cast");
      assertTrue(Files.isRegularFile(p), "recording " + p);
      return p;
    }

    @Override
    public String toString() {
      return file + ": " + lines;
    }

    static Log awaitDisconnect(Path dir, String user) throws InterruptedException {
      return await(dir, user, l -> l.has("disconnect"), "a disconnect line");
    }

    /** Waits (bounded) for the log of {@code user}'s connection to hold what is asked. */
    static Log await(Path dir, String user, java.util.function.Predicate<Log> done,
        String what) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Optional<Log> log = find(dir, user);
      while ((log.isEmpty() || !done.test(log.get())) && System.nanoTime() < end) {
        Thread.sleep(50);
        log = find(dir, user);
      }
      assertTrue(log.isPresent(), "no audit log of " + user + " in " + dir);
      assertTrue(done.test(log.get()), what + " in " + log.get());
      return log.get();
    }

    private static Optional<Log> find(Path dir, String user) {
      if (!Files.isDirectory(dir)) {
        return Optional.empty();
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
          List<JsonNode> lines = new ArrayList<>();
          for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            lines.add(JSON.readTree(line)); // each line is whole: one write per line
          }
          boolean mine = lines.stream().anyMatch(l -> l.get("event").asText().equals("auth")
              && l.get("user").asText().equals(user));
          if (mine) {
            String name = f.getFileName().toString();
            return Optional.of(new Log(f, name.substring(0, name.length() - ".jsonl".length()),
                lines));
          }
        }
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
