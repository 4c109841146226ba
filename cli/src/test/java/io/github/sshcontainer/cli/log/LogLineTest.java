package io.github.sshcontainer.cli.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.lab.MarkdownPage.CodeBlock;
import io.github.sshcontainer.lab.MarkdownPage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * The CLI's log lines: JSON escaped right, one line per event, the root cause and never a stack
 * trace unless verbose; the levels per logger prefix; the provider as SLF4J finds it; and the
 * sample lines of docs/logging.md and docs/zh-CN/logging.md are what the formatter writes.
 */
class LogLineTest {
  private static final Path ROOT = Path.of("..");
  private static final String DECLARATION =
      "read by cli/src/test/java/io/github/sshcontainer/cli/log/LogLineTest.java";
  private static final Instant TIME = Instant.parse("2026-12-06T01:46:02.081Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LogEvent event(Level level, String message, Map<String, String> fields,
      Throwable t) {
    return new LogEvent(TIME, level, "io.github.sshcontainer.gateway", "main", message, fields,
        t);
  }

  /** A cause chain whose root's message has a line break, as a Docker error's JSON has. */
  private static Throwable chain() {
    return new IllegalStateException("cannot stop the exec", new RuntimeException("wrapped",
        new java.io.IOException("Status 500: {\"message\":\"is not running\"}\n")));
  }

  @Test
  void jsonEscapesQuotesBackslashesAndControlCharactersAndKeepsNonAscii() throws Exception {
    String message = "quote \" backslash \\ tab \t newline \n cr \r bell \u0007 del \u007f "
        + "ü 中文 😀";
    String line = LogLine.json(event(Level.INFO, message, Map.of(), null), false);
    assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
    assertTrue(line.contains("quote \\\" backslash \\\\ tab \\t newline \\n cr \\r bell \\u0007"
        + " del \\u007f ü 中文 😀"), line);
    JsonNode o = JSON.readTree(line);
    assertEquals(message, o.get("message").asText());
    assertEquals("2026-12-06T01:46:02.081Z", o.get("time").asText());
    assertEquals("INFO", o.get("level").asText());
    assertEquals("io.github.sshcontainer.gateway", o.get("logger").asText());
    assertEquals("main", o.get("thread").asText());
  }

  @Test
  void jsonHasTheKnownFieldsFirstThenTheOthersAndTheRootCauseWithoutAStackUnlessVerbose()
      throws Exception {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("request", "exec");
    fields.put("event", "connection.closed");
    fields.put("message", "a field named as a base field");
    fields.put("connection", "c5ns-1");
    String line = LogLine.json(event(Level.WARN, "exec failed", fields, chain()), false);
    assertTrue(line.indexOf("\"connection\"") < line.indexOf("\"event\"")
        && line.indexOf("\"event\"") < line.indexOf("\"request\""), line);
    JsonNode o = JSON.readTree(line);
    assertEquals("c5ns-1", o.get("connection").asText());
    assertEquals("connection.closed", o.get("event").asText());
    assertEquals("exec", o.get("request").asText());
    assertEquals("exec failed", o.get("message").asText());
    assertEquals("a field named as a base field", o.get("field.message").asText());
    assertEquals("java.io.IOException: Status 500: {\"message\":\"is not running\"}",
        o.get("error").asText());
    assertFalse(o.has("stack"), line);
    JsonNode verbose = JSON.readTree(LogLine.json(event(Level.WARN, "exec failed", fields,
        chain()), true));
    assertTrue(verbose.get("stack").asText().startsWith("java.lang.IllegalStateException: "
        + "cannot stop the exec\n\tat "), verbose.toString());
  }

  @Test
  void textIsOneLinePerEventWithTheRootCauseAndNoStackTraceUnlessVerbose() {
    String line = LogLine.text(event(Level.WARN, "first\nsecond\r\nthird", Map.of(), chain()),
        false);
    assertEquals("[main] WARN io.github.sshcontainer.gateway - first | second | third (cause: "
        + "java.io.IOException: Status 500: {\"message\":\"is not running\"})\n", line);
    assertEquals("[main] INFO io.github.sshcontainer.gateway - event=login gateway ready\n",
        LogLine.text(event(Level.INFO, "gateway ready", Map.of("event", "login"), null),
            false));

    String verbose = LogLine.text(event(Level.WARN, "first\nsecond", Map.of(), chain()), true);
    assertTrue(verbose.startsWith("[main] WARN io.github.sshcontainer.gateway - first\nsecond\n"
        + "java.lang.IllegalStateException: cannot stop the exec\n\tat "), verbose);
    assertTrue(verbose.contains("Caused by: java.io.IOException"), verbose);
  }

  @Test
  void aCauseChainWithACycleEndsAtTheCycle() {
    Exception a = new Exception("a");
    Exception b = new Exception("b", a);
    a.initCause(b);
    assertTrue(LogLine.rootCause(a) == b || LogLine.rootCause(a) == a);
  }

  @Test
  void levelsPerLoggerPrefixWithGatewayAndVerboseAndOverrides() {
    Logs.Config before = Logs.config();
    try {
      Logs.configure(false, false, new Properties());
      Logs.Config c = Logs.config();
      assertEquals(Level.WARN.toInt(), c.threshold("org.apache.sshd.server.session.X"));
      assertEquals(Level.WARN.toInt(), c.threshold("io.github.sshcontainer.gateway"));
      assertEquals(Level.INFO.toInt(), c.threshold("io.github.sshcontainer.docker.PublishedPorts"));
      assertEquals(Level.WARN.toInt(), c.threshold("io.github.sshcontainer.docker.PublishedPortsX"));

      Logs.configure(false, true, new Properties());
      assertEquals(Level.INFO.toInt(), Logs.config().threshold("io.github.sshcontainer.gateway"));
      assertEquals(Level.WARN.toInt(), Logs.config().threshold("com.github.dockerjava.api.X"));

      Logs.configure(true, true, new Properties());
      c = Logs.config();
      assertEquals(Level.DEBUG.toInt(), c.threshold("io.github.sshcontainer.gateway.internal"));
      assertEquals(Level.DEBUG.toInt(), c.threshold("io.github.sshcontainer.tunnel"));
      assertEquals(Level.INFO.toInt(), c.threshold("io.github.sshcontainer.tunnel.jsch"));
      assertEquals(Level.INFO.toInt(), c.threshold("org.apache.hc.client5.X"));
      assertEquals(Level.ERROR.toInt(),
          c.threshold("io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap"));

      Properties p = new Properties();
      p.setProperty("ssh-container.log.level.org.apache.sshd", "debug");
      p.setProperty("ssh-container.log.level", "error");
      Logs.configure(false, false, p);
      assertEquals(Level.DEBUG.toInt(), Logs.config().threshold("org.apache.sshd.common.X"));
      assertEquals(Level.ERROR.toInt(), Logs.config().threshold("com.github.dockerjava.X"));
      p.setProperty("ssh-container.log.level", "loud");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Logs.configure(false, false, p));
      assertEquals("-Dssh-container.log.level takes trace, debug, info, warn, error or off, got"
          + " 'loud'", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> Logs.Format.of("yaml"));
      assertEquals(Logs.Format.JSON, Logs.Format.of("JSON"));
    } finally {
      Logs.configure(before.verbose(), false, new Properties());
    }
  }

  /** Through SLF4J itself: the provider is the one found, MDC and key-value pairs are fields. */
  @Test
  void theProviderWritesMdcAndFluentKeyValuePairsAsJsonFields() throws Exception {
    Logs.Config before = Logs.config();
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      Logs.configure(false, true, new Properties());
      Logs.format(Logs.Format.JSON);
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
      assertTrue(log instanceof CliLogger, "SLF4J found the CLI's provider: " + log.getClass());
      MDC.put("user", "alice");
      try {
        log.atInfo().addKeyValue("event", "login").addKeyValue("port", 2022)
            .log("gateway connection {}: {}", "c5ns-1", "opened");
        log.debug("not shown: the gateway is at INFO");
        LoggerFactory.getLogger("org.apache.sshd.X").info("not shown: libraries are at WARN");
        log.warn("failed {}", "exec", new java.io.IOException("gone\n"));
      } finally {
        MDC.remove("user");
      }
    } finally {
      System.setErr(err);
      Logs.format(before.format());
      Logs.configure(before.verbose(), false, new Properties());
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), String.join("\n", lines));
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals("gateway connection c5ns-1: opened", first.get("message").asText());
    assertEquals("alice", first.get("user").asText());
    assertEquals("login", first.get("event").asText());
    assertEquals("2022", first.get("port").asText());
    assertEquals(Thread.currentThread().getName(), first.get("thread").asText());
    JsonNode second = JSON.readTree(lines.get(1));
    assertEquals("WARN", second.get("level").asText());
    assertEquals("failed exec", second.get("message").asText());
    assertEquals("java.io.IOException: gone", second.get("error").asText());
    assertFalse(second.has("stack"));
  }

  /** The sample lines of docs/logging.md (and docs/zh-CN/logging.md): text, then JSON. */
  private static List<LogEvent> samples() {
    Instant t = Instant.parse("2026-12-06T01:46:02.081Z");
    String gw = "io.github.sshcontainer.gateway";
    return List.of(
        new LogEvent(t, Level.INFO, gw, "main", "gateway 5ecab listening on 127.0.0.1:2022",
            Map.of(), null),
        new LogEvent(t.plusMillis(5112), Level.INFO, gw, "ssh-container-gateway-5ecab-worker-2",
            "gateway connection c5ns-1: alice from 127.0.0.1:51950: container [2d98ec04d7de], "
                + "1 sessions, 221 ms, last exit exit 0", Map.of(), null),
        new LogEvent(t.plusMillis(9340), Level.WARN, gw, "ssh-container-gateway-5ecab-worker-1",
            "gateway connection c5ns-2: exec failed", Map.of(),
            new IllegalStateException("cannot start the exec", new java.io.IOException(
                "Status 500: {\"message\":\"no space left on device\"}\n"))));
  }

  @Test
  void theDocsSampleLinesAreWhatTheFormatterWrites() throws IOException {
    StringBuilder text = new StringBuilder();
    StringBuilder json = new StringBuilder();
    for (LogEvent e : samples()) {
      text.append(LogLine.text(e, false));
      json.append(LogLine.json(e, false));
    }
    for (String page : List.of("docs/logging.md", "docs/zh-CN/logging.md")) {
      List<String> blocks = MarkdownPage.read(ROOT, Path.of(page)).codeBlocks().stream()
          .filter(b -> b.declaration() != null && b.declaration().strip().equals(DECLARATION))
          .map(CodeBlock::text).toList();
      // a block's text is its lines without the last line break
      assertEquals(List.of(text.toString().stripTrailing(), json.toString().stripTrailing()),
          blocks, page + ": the two "
          + "blocks declared '" + DECLARATION + "' show what LogLine writes for samples()");
    }
  }
}
