package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.Browser;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;

/**
 * The web terminal in a real browser (Debian's chromium through Selenium) against a real
 * gateway and the lab's dockerd, as a student uses it: a link from OpenSSH's {@code ssh -s
 * web-link}, the shell's prompt in {@code window.terminal}, arithmetic, the terminal's size as
 * the shell sees it before and after the window shrinks, a 10 KiB paste, the tab closed and the
 * container gone, the same link refused a second time.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayWebBrowserTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  /** A line of the two numbers {@code stty size} prints. */
  private static final Pattern SIZE = Pattern.compile("(?m)^(\\d+) (\\d+)$");
  @TempDir Path tmp;

  private static String runs(Browser b, String command, String marker) {
    b.typeInTerminal(command + "; echo " + marker + "-$((1+1))", Keys.ENTER);
    return b.awaitTerminalText("\n" + marker + "-2", SOON);
  }

  /** The last {@code rows cols} line in the terminal before {@code marker}'s answer. */
  private static String lastSize(String screen, String marker) {
    String before = screen.substring(0, screen.lastIndexOf(marker + "-2"));
    Matcher m = SIZE.matcher(before);
    String last = null;
    while (m.find()) {
      last = m.group(1) + " " + m.group(2);
    }
    assertTrue(last != null, "a size line before " + marker + " in:\n" + screen);
    return last;
  }

  private static String terminalSize(Browser b) {
    return String.valueOf(b.script("return window.terminal.rows + ' ' + window.terminal.cols;"));
  }

  @Test
  void aStudentsLinkOpensAShellThatFollowsTheWindowTakesAPasteAndGoesWithTheTab()
      throws Exception {
    DockerBackendOptions o = DockerBackendOptions.builder(busybox().build()).build();
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(), o,
        x -> x.web(WebOptions.listen("127.0.0.1", 0).reconnect(Duration.ofSeconds(3))
            .build()))) {
      OpenSshClient.Result minted = g.alice().ssh("web-link", null, SOON, "-s");
      assertEquals(0, minted.code(), minted.err());
      String link = minted.out().strip();
      assertTrue(link.startsWith("http://127.0.0.1:") && link.contains("/#t="), link);
      try (Browser b = Browser.start(1000, 700)) {
        b.open(link);
        b.awaitScript("a title naming alice and her container",
            "return document.title.startsWith('alice@');", SOON);
        assertTrue(!b.url().contains("#t="), "the token left the address bar: " + b.url());
        // arithmetic the shell did, not text the page echoed
        String screen = runs(b, "echo $((6*7))", "a");
        assertTrue(screen.lines().anyMatch("42"::equals), screen);
        // the first size was the page's, and a smaller window reaches the shell
        String first = terminalSize(b);
        assertEquals(first, lastSize(runs(b, "stty size", "b"), "b"));
        b.windowSize(700, 450);
        b.awaitScript("a smaller terminal", "return window.terminal.rows + ' ' "
            + "+ window.terminal.cols !== '" + first + "';", SOON);
        String second = terminalSize(b);
        assertNotEquals(first, second);
        assertEquals(second, lastSize(runs(b, "stty size", "c"), "c"));
        // the docs' picture (docs/images/web-terminal.png is a copy): the page as a student
        // sees it after the steps above
        Path png = Path.of("target", "web-terminal.png");
        b.screenshot(png);
        assertTrue(Files.size(png) > 5000, "a screenshot of " + Files.size(png) + " bytes");
        // 10 KiB pasted into cat arrive whole (lines shorter than the tty's line buffer)
        StringBuilder text = new StringBuilder();
        Random random = new Random(32);
        while (text.length() < 10 * 1024) {
          for (int i = 0; i < 63; i++) {
            text.append((char) ('a' + random.nextInt(26)));
          }
          text.append('\n');
        }
        b.typeInTerminal("cat > /tmp/pasted", Keys.ENTER);
        Thread.sleep(300);
        b.script("const data = new DataTransfer(); data.setData('text/plain', arguments[0]);"
            + "document.querySelector('textarea.xterm-helper-textarea').dispatchEvent("
            + "new ClipboardEvent('paste', {clipboardData: data, bubbles: true,"
            + " cancelable: true}));", text.toString());
        b.typeInTerminal(Keys.chord(Keys.CONTROL, "d"));
        String sums = runs(b, "sha256sum /tmp/pasted", "d");
        String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(text.toString().getBytes(StandardCharsets.US_ASCII)));
        assertTrue(sums.contains(want + "  /tmp/pasted"), "sha256 " + want + " in:\n" + sums);
        assertEquals(1, g.containersOf("alice").size(), "one container while the tab is open");
      }
      // the tab is gone: after the reconnect window (3 s) the container goes
      g.awaitNoContainers("alice", SOON);
      try (Browser again = Browser.start(900, 600)) {
        again.open(link);
        again.awaitTerminalText("This login link was refused", SOON);
        assertEquals(List.of(), g.containersOf("alice"), "a refused link makes no container");
      }
    }
  }
}
