package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ssh-container gateway} writes on stderr, as a real process with stdin at
 * /dev/null: {@code --log-format json} is one JSON object per line, and the ordinary ways a
 * client goes away (killed mid-command, an sftp client killed, a Paramiko client that closes
 * its transport without EOF) leave no WARN, no ERROR and no stack trace: WARN and ERROR are for
 * what an operator can act on.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayLogsCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final String SFTP_SERVER = "/usr/lib/openssh/sftp-server";
  /** The gateway's one INFO line per connection, at its end (docs/gateway.md). */
  private static final Pattern CONNECTION_END =
      Pattern.compile("gateway connection \\S+: .* ms, last exit ");
  private static final Pattern ISO_TIME =
      Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }


  /** {@code ssh-container gateway LAB-DOCKER-HOST --image SFTP-IMAGE … EXTRA…}, started. */
  private GatewayProcess gateway(String... extra) throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--listen", "127.0.0.1:0", "--image", lab().docker().sftpImage(),
        "--pull", "never", "--host-key", hostKey.toString(), "--authorized-keys",
        authorized.toString(), "--stop-timeout", "2s", "--subsystem", "sftp=" + SFTP_SERVER));
    args.addAll(List.of(extra));
    return GatewayProcess.start(tmp, List.of(), args, hostKey);
  }

  private OpenSshClient client(GatewayProcess g, String user) throws Exception {
    Path kh = Files.writeString(tmp.resolve("kh-" + user), Keys.knownHostsLine(g.hostKey(),
        g.port()) + "\n");
    return new OpenSshClient(lab().clientKey(), kh, g.port(), user);
  }

  /** SIGTERM, and the clean stop it should be. */
  private static void stop(GatewayProcess g) throws Exception {
    g.process().destroy();
    assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    assertEquals(0, g.process().exitValue(), "a clean stop: " + Files.readString(g.err()));
  }

  private static List<String> lines(Path file) throws Exception {
    return Files.readAllLines(file, StandardCharsets.UTF_8);
  }

  private static long connectionsEnded(Path err) throws Exception {
    return lines(err).stream().filter(l -> CONNECTION_END.matcher(l).find()).count();
  }

  /** Waits (at most 30 s) until the gateway has logged {@code n} connection ends. */
  private static void awaitConnectionsEnded(GatewayProcess g, long n, String what) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (connectionsEnded(g.err()) < n && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertTrue(connectionsEnded(g.err()) >= n, what + ": the gateway logged no end of the "
        + "connection (" + CONNECTION_END.pattern() + ") within 30 s:\n"
        + Files.readString(g.err()));
  }

  private static void awaitText(Path log, String text, String what) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains(text)) {
      assertTrue(System.nanoTime() < end, what + " did not start: " + Files.readString(log));
      Thread.sleep(50);
    }
  }

  /**
   * The lines of stderr that an operator would take for trouble (a WARN, an ERROR, a stack
   * trace), each under the case it was logged during.
   */
  private static List<String> offending(Path err, Map<String, Integer> caseStarts)
      throws Exception {
    List<String> all = lines(err);
    List<String> found = new ArrayList<>();
    List<Map.Entry<String, Integer>> starts = new ArrayList<>(caseStarts.entrySet());
    for (int i = 0; i < all.size(); i++) {
      String l = all.get(i);
      if (l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("\tat ")) {
        String during = "at start";
        for (Map.Entry<String, Integer> s : starts) {
          if (i >= s.getValue()) {
            during = s.getKey();
          }
        }
        found.add("[" + during + "] " + l);
      }
    }
    return found;
  }

  private static void assertNothingToActOn(GatewayProcess g, Map<String, Integer> caseStarts)
      throws Exception {
    List<String> bad = offending(g.err(), caseStarts);
    assertTrue(bad.isEmpty(), "ordinary disconnects must leave no WARN, ERROR or stack trace"
        + " on the gateway's stderr; offending lines (under the case that logged them):\n  "
        + String.join("\n  ", bad) + "\nthe whole stderr:\n" + Files.readString(g.err()));
  }

  /** (a) {@code ssh … 'echo started; sleep 30'}, SIGKILLed once the command runs. */
  private void sshKilledMidCommand(OpenSshClient c) throws Exception {
    Path log = tmp.resolve("killed-" + System.nanoTime() + ".log");
    Process ssh = c.start(c.ssh(List.of(), "echo started; sleep 30"), log);
    try {
      awaitText(log, "started", "ssh … sleep 30");
    } finally {
      ssh.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
    }
  }

  @Test
  void jsonIsOneObjectPerLineWithTimeLevelAndMessage() throws Exception {
    GatewayProcess g = gateway("--log-format", "json");
    try {
      OpenSshClient c = client(g, "json-user");
      for (int i = 0; i < 2; i++) {
        OpenSshClient.Result r = c.ssh("echo login-" + i, null, SOON);
        assertEquals(0, r.code(), r.err() + Files.readString(g.err()));
      }
      awaitConnectionsEnded(g, 2, "two logins");
    } finally {
      stop(g);
    }
    ObjectMapper json = new ObjectMapper();
    List<String> lines = lines(g.err());
    assertTrue(lines.size() >= 3, "listening and two connection lines at least:\n" + lines);
    boolean listening = false;
    int ends = 0;
    for (String l : lines) {
      JsonNode o;
      try {
        o = json.readTree(l);
      } catch (Exception e) {
        throw new AssertionError("not a JSON object: '" + l + "' (" + e.getMessage() + ")\n"
            + String.join("\n", lines), e);
      }
      assertTrue(o != null && o.isObject(), "not a JSON object: " + l);
      for (String field : List.of("time", "level", "logger", "thread", "message")) {
        assertTrue(o.path(field).isTextual(), "no " + field + " in " + l);
      }
      assertTrue(ISO_TIME.matcher(o.get("time").asText()).matches(),
          "time is ISO-8601 UTC with millis: " + l);
      String message = o.get("message").asText();
      if (o.get("level").asText().equals("INFO")
          && o.get("logger").asText().equals("io.github.sshcontainer.gateway")) {
        listening |= message.contains(" listening on 127.0.0.1:" + g.port())
            && o.path("event").asText().equals("listening");
        if (CONNECTION_END.matcher(message).find()) {
          ends++;
          // the connection's end carries who and where as fields, for a log shipper
          assertEquals("connection-closed", o.path("event").asText(), l);
          assertEquals("json-user", o.path("user").asText(), l);
          assertTrue(o.path("client").asText().startsWith("127.0.0.1:"), l);
          assertTrue(message.contains(o.path("connection").asText() + ":")
              && !o.path("connection").asText().isEmpty(), l);
        }
      }
      assertTrue(!o.has("stack"), "no stack trace without --verbose: " + l);
    }
    assertTrue(listening, "the gateway's INFO 'listening on' line, as JSON:\n"
        + String.join("\n", lines));
    assertEquals(2, ends, "one INFO line per connection, as JSON:\n" + String.join("\n", lines));
  }

  @Test
  void connectionModeDisconnectsLeaveNoWarnErrorOrStackTrace() throws Exception {
    Path python = Prerequisites.requirePythonModule("paramiko", "python3-paramiko");
    Path sftp = Prerequisites.require("openssh-client", "/usr/bin/sftp");
    Path script = Path.of(getClass().getResource("/paramiko-abrupt.py").toURI());
    GatewayProcess g = gateway();
    Map<String, Integer> cases = new LinkedHashMap<>();
    try {
      OpenSshClient c = client(g, "logs-user");
      long ended = connectionsEnded(g.err());

      cases.put("(a) ssh SIGKILLed in sleep 30", lines(g.err()).size());
      sshKilledMidCommand(c);
      awaitConnectionsEnded(g, ++ended, "(a)");

      cases.put("(b) sftp SIGKILLed mid-session", lines(g.err()).size());
      List<String> cmd = new ArrayList<>(List.of(sftp.toString()));
      cmd.addAll(c.options());
      cmd.addAll(List.of("-P", String.valueOf(g.port()), "logs-user@127.0.0.1"));
      Path sftpLog = tmp.resolve("sftp.log");
      Process s = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(sftpLog.toFile()).start();
      try (OutputStream in = s.getOutputStream()) {
        in.write("pwd\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        awaitText(sftpLog, "Remote working directory", "sftp (pwd)");
        s.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL, its stdin still open
      } catch (java.io.IOException e) {
        // its stdin closed under us by the kill: what we wanted
      }
      awaitConnectionsEnded(g, ++ended, "(b)");

      for (String what : List.of("exec", "sftp")) {
        cases.put("(c) Paramiko " + what + ", transport closed without EOF",
            lines(g.err()).size());
        OpenSshClient.Result r = OpenSshClient.run(List.of(python.toString(), script.toString(),
            String.valueOf(g.port()), "logs-user", lab().clientKey().toString(), what), null,
            SOON);
        assertEquals(0, r.code(), "Paramiko (" + what + "): " + r.out() + r.err());
        assertTrue(r.out().contains("closed"), "Paramiko (" + what + "): " + r.out() + r.err());
        awaitConnectionsEnded(g, ++ended, "(c) " + what);
      }
    } finally {
      cases.put("SIGTERM", lines(g.err()).size());
      stop(g);
    }
    assertNothingToActOn(g, cases);
  }

  @Test
  void sessionModeKilledClientLeavesNoWarnErrorOrStackTrace() throws Exception {
    GatewayProcess g = gateway("--mode", "session");
    Map<String, Integer> cases = new LinkedHashMap<>();
    try {
      cases.put("(a) --mode session: ssh SIGKILLed in sleep 30", lines(g.err()).size());
      sshKilledMidCommand(client(g, "session-user"));
      awaitConnectionsEnded(g, 1, "(a) --mode session");
    } finally {
      cases.put("SIGTERM", lines(g.err()).size());
      stop(g);
    }
    assertNothingToActOn(g, cases);
  }
}
