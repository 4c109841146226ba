package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.MarkdownPage.CodeBlock;
import io.github.sshcontainer.lab.MarkdownPage;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's systemd unit, shown in docs/gateway.md and docs/zh-CN/gateway.md ("Running
 * under systemd"): both blocks are docs/systemd/ssh-container-gateway.service, {@code
 * systemd-analyze verify} finds nothing wrong in it (ExecStart's /usr/bin/java must exist, as
 * verify insists), and the exposure level the page states is what {@code systemd-analyze security
 * --offline=yes} measures. (No systemd runs on the test machine, so nothing starts it.)
 */
class GatewaySystemdUnitTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path UNIT = ROOT.resolve("docs/systemd/ssh-container-gateway.service");
  private static final String ME =
      "examples/src/test/java/io/github/sshcontainer/examples/GatewaySystemdUnitTest.java";
  private static final List<String> PAGES = List.of("docs/gateway.md", "docs/zh-CN/gateway.md");
  private static final Pattern EXPOSURE = Pattern.compile(
      "Overall exposure level for ssh-container-gateway\\.service: (\\d+\\.\\d) (\\S+)");

  @TempDir Path tmp;

  private record Run(int code, String output) {}

  private static Run run(Path dir, String... command) throws Exception {
    Path out = dir.resolve("out-" + System.nanoTime());
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(
            new File("/dev/null"))).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("timed out after 60 s: " + String.join(" ", command));
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  /** The unit under its own name in a directory of its own, as verify wants it. */
  private Path copy() throws Exception {
    return Files.copy(UNIT, tmp.resolve("ssh-container-gateway.service"));
  }

  @Test
  void bothPagesShowTheRepositorysUnitFile() throws Exception {
    String file = Files.readString(UNIT, StandardCharsets.UTF_8);
    for (String page : PAGES) {
      List<CodeBlock> blocks = MarkdownPage.read(ROOT, Path.of(page)).codeBlocks().stream()
          .filter(b -> ("read by " + ME).equals(b.declaration() == null ? null
              : b.declaration().strip())).toList();
      assertEquals(1, blocks.size(), page + ": one block read by this test");
      assertEquals(file.stripTrailing(), blocks.get(0).text().stripTrailing(),
          page + " shows " + ROOT.relativize(UNIT) + " as it is");
    }
  }

  @Test
  void systemdAnalyzeVerifyReportsNothing() throws Exception {
    Path analyze = Prerequisites.require("systemd", "/usr/bin/systemd-analyze");
    Prerequisites.require("openjdk-17-jdk-headless", "/usr/bin/java"); // its ExecStart
    Path unit = copy();
    Run r = run(tmp, analyze.toString(), "verify", unit.toString());
    assertEquals(0, r.code(), r.output());
    assertEquals("", r.output().strip(), "verify has something to say");

    // and it does speak up: the same unit with an ExecStart binary that does not exist
    Path missing = tmp.resolve("no-such-java");
    Path broken = Files.createDirectories(tmp.resolve("broken"))
        .resolve("ssh-container-gateway.service");
    Files.writeString(broken, Files.readString(unit).replace("ExecStart=/usr/bin/java ",
        "ExecStart=" + missing + " "));
    Run b = run(tmp, analyze.toString(), "verify", broken.toString());
    assertTrue(b.code() != 0 && b.output().contains(missing + " is not executable"),
        b.code() + ": " + b.output());
  }

  @Test
  void thePagesStateTheExposureLevelSystemdAnalyzeSecurityMeasures() throws Exception {
    Path analyze = Prerequisites.require("systemd", "/usr/bin/systemd-analyze");
    Run r = run(tmp, analyze.toString(), "security", "--offline=yes", copy().toString());
    assertEquals(0, r.code(), r.output());
    Matcher m = EXPOSURE.matcher(r.output());
    assertTrue(m.find(), "no overall exposure level in:\n" + r.output());
    for (String page : PAGES) {
      String text = Files.readString(ROOT.resolve(page), StandardCharsets.UTF_8);
      // "3.2 ("OK";" in English, "3.2（"OK"；" in Chinese
      assertTrue(Pattern.compile(Pattern.quote(m.group(1)) + " ?[(（]\"" + Pattern.quote(
          m.group(2)) + "\"").matcher(text).find(),
          page + " states the exposure level measured now: " + m.group(1) + " " + m.group(2));
    }
  }
}
