package io.github.sshcontainer.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.FakeWebGateway.Attach;
import io.github.sshcontainer.lab.Browser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.Keys;

/**
 * The web terminal's page (gateway/src/main/resources/…/gateway/web, xterm.js from the build)
 * in Debian's chromium, against {@link FakeWebGateway}: the wire the page and the gateway's
 * server share, from the page's side. The page runs under the Content-Security-Policy the
 * server is to send, and any violation is reported to the fake.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebPageTest {
  /**
   * The policy the page needs. xterm.js adds style elements (its DOM renderer's theme and cell
   * sizes), which default-src 'self' alone refuses (seven style-src-elem reports, and a terminal
   * without its colours); the page itself has no inline script or style. The rest: no framing
   * (a terminal under someone else's page), no base or form targets. The real server's own
   * constant (GatewayWebTest checks the server sends it).
   */
  static final String CSP = io.github.sshcontainer.gateway.internal.WebServer
      .CONTENT_SECURITY_POLICY;
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 700;
  private static final String STATUS = "const s = document.getElementById('status');"
      + "return s.hidden ? null : s.textContent.trim().replace(/\\s+/g, ' ');";

  private static Browser browser;
  private FakeWebGateway gateway;

  @BeforeAll
  static void startBrowser() {
    browser = Browser.start(WIDTH, HEIGHT);
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  void startGateway() {
    gateway = new FakeWebGateway(CSP + "; report-uri /csp-report");
    browser.windowSize(WIDTH, HEIGHT);
  }

  @AfterEach
  void closeGateway() {
    browser.open("about:blank");
    gateway.close();
  }

  /** Opens the login link and waits for the shell's prompt. */
  private void logIn() {
    browser.open(gateway.base() + "#t=" + FakeWebGateway.TOKEN);
    // the buffer's lines come without their trailing blanks
    browser.awaitTerminalText(FakeWebGateway.PROMPT.stripTrailing(), WAIT);
  }

  private int terminal(String property) {
    return ((Number) browser.script("return window.terminal." + property + ";")).intValue();
  }

  private Object status() {
    return browser.script(STATUS);
  }

  private void awaitAttaches(int accepted) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (gateway.acceptedAttaches().size() < accepted) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the page attached " + gateway.acceptedAttaches().size()
            + " times, not " + accepted + ": " + gateway.attaches);
      }
      sleep(50);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void theLinksTokenIsExchangedForASessionAndLeavesTheAddressBar() {
    logIn();
    assertEquals(List.of("{\"token\":\"" + FakeWebGateway.TOKEN + "\"}"), gateway.logins);
    assertEquals(gateway.base(), browser.url(), "the token stays out of the address bar");
    assertEquals(FakeWebGateway.SESSION,
        browser.script("return sessionStorage.getItem('ssh-container.session');"));
    Attach attach = gateway.acceptedAttaches().get(0);
    assertEquals(FakeWebGateway.SESSION, attach.query().get("session"));
    assertTrue(attach.cookie().contains("sshc_web="), "the login's cookie goes with the "
        + "websocket: " + attach.cookie());
    assertEquals(FakeWebGateway.USER + "@" + FakeWebGateway.CONTAINER + " \u2014 ssh-container",
        browser.title());
    assertNull(status(), "no status bar once attached");
  }

  @Test
  void theFirstAttachCarriesTheFittedSizeSoTheFirstPromptHasIt() {
    logIn();
    int cols = terminal("cols");
    int rows = terminal("rows");
    // xterm.js starts at 80x24: a page that attached before fitting would send that
    assertNotEquals(80, cols);
    assertNotEquals(24, rows);
    Map<String, String> query = gateway.acceptedAttaches().get(0).query();
    assertEquals(String.valueOf(cols), query.get("cols"));
    assertEquals(String.valueOf(rows), query.get("rows"));
    assertTrue(gateway.textFrames().isEmpty(), "no resize needed after the attach: "
        + gateway.textFrames());
    browser.typeInTerminal("stty size", Keys.ENTER);
    browser.awaitTerminalText(rows + " " + cols, WAIT);
  }

  @Test
  void typedKeysReachTheShellAsBinaryFramesAndItsOutputIsShown() {
    logIn();
    browser.typeInTerminal("echo héllo wörld", Keys.ENTER);
    String screen = browser.awaitTerminalText("\nhéllo wörld", WAIT);
    assertTrue(screen.contains(FakeWebGateway.PROMPT + "echo héllo wörld"), screen);
    assertEquals("echo héllo wörld\r", gateway.input());
    assertTrue(gateway.frames.stream().noneMatch(FakeWebGateway.Frame::text),
        "keystrokes are binary frames, never text: " + gateway.textFrames());
  }

  @Test
  void aSmallerWindowSendsTheNewFittedSize() {
    logIn();
    int cols = terminal("cols");
    int rows = terminal("rows");
    browser.windowSize(640, 420);
    browser.awaitScript("a smaller terminal",
        "return window.terminal.cols < " + cols + " && window.terminal.rows < " + rows + ";",
        WAIT);
    sleep(300); // one animation frame and the send
    int newCols = terminal("cols");
    int newRows = terminal("rows");
    List<String> texts = gateway.textFrames();
    assertFalse(texts.isEmpty(), "no resize message");
    assertEquals("{\"type\":\"resize\",\"cols\":" + newCols + ",\"rows\":" + newRows + "}",
        texts.get(texts.size() - 1));
    browser.typeInTerminal("stty size", Keys.ENTER);
    browser.awaitTerminalText(newRows + " " + newCols, WAIT);
  }

  @Test
  void anExitMessageEndsTheSessionAndThePageSaysSo() {
    logIn();
    browser.typeInTerminal("exit", Keys.ENTER);
    browser.awaitTerminalText("[Session ended: exit status 0]", WAIT);
    browser.awaitScript("its status bar", "return !document.getElementById('status').hidden;",
        WAIT);
    String status = String.valueOf(status());
    assertTrue(status.startsWith("Session ended (exit status 0). For a new session, open a new "
        + "login link"), status);
    assertNull(browser.script("return sessionStorage.getItem('ssh-container.session');"));
    sleep(2500); // past the first two reconnect delays
    assertEquals(1, gateway.attaches.size(), "an ended session is not reattached: "
        + gateway.attaches);
  }

  @Test
  void aSessionTheGatewayEndsSaysWhyAndIsNotRetried() {
    logIn();
    browser.typeInTerminal("end", Keys.ENTER);
    browser.awaitTerminalText("The session ended: " + FakeWebGateway.ENDED, WAIT);
    String status = String.valueOf(status());
    assertTrue(status.startsWith("The session ended: " + FakeWebGateway.ENDED + ". For a new "
        + "session, open a new login link"), status);
    assertEquals(Boolean.TRUE, browser.script(
        "return document.getElementById('reconnect').hidden;"), "no Reconnect button");
    assertNull(browser.script("return sessionStorage.getItem('ssh-container.session');"));
    sleep(2500); // past the first two reconnect delays
    assertEquals(1, gateway.attaches.size(), "an ended session is not reattached: "
        + gateway.attaches);
  }

  @Test
  void thePageStopsRetryingAtTheWindowTheHelloGave() {
    logIn();
    gateway.refuseNextAttaches(1000);
    browser.typeInTerminal("drop", Keys.ENTER);
    browser.awaitScript("the lost connection given up after the hello's window",
        "const s = document.getElementById('status');"
            + "return !s.hidden && s.textContent.includes('no answer for "
            + FakeWebGateway.RECONNECT_SECONDS + " s');", WAIT);
    assertEquals(Boolean.TRUE, browser.script(
        "return document.getElementById('reconnect').hidden;"), "no Reconnect button");
    int tried = gateway.attaches.size();
    sleep(2500);
    assertEquals(tried, gateway.attaches.size(), "no more tries: " + gateway.attaches);
  }

  @Test
  void aConnectionLostWithoutExitReconnectsToTheSameSessionWithBackoff() {
    logIn();
    gateway.refuseNextAttaches(1);
    long dropped = System.nanoTime();
    browser.typeInTerminal("drop", Keys.ENTER);
    browser.awaitScript("a reconnecting status",
        "const s = document.getElementById('status');"
            + "return !s.hidden && s.textContent.includes('reconnecting in');", WAIT);
    awaitAttaches(2);
    browser.awaitTerminalText(FakeWebGateway.LOST + " bytes of output were lost while "
        + "disconnected", WAIT);
    browser.awaitScript("no status bar", "return document.getElementById('status').hidden;",
        WAIT);
    List<Attach> attaches = gateway.attaches;
    assertEquals(3, attaches.size(), "the first, a refused one, the one back: " + attaches);
    assertFalse(attaches.get(1).accepted());
    for (Attach a : attaches) {
      assertEquals(FakeWebGateway.SESSION, a.query().get("session"));
    }
    long first = TimeUnit.NANOSECONDS.toMillis(attaches.get(1).atNanos() - dropped);
    long second = TimeUnit.NANOSECONDS.toMillis(attaches.get(2).atNanos()
        - attaches.get(1).atNanos());
    assertTrue(first >= 900, "first retry after " + first + " ms, not 1 s");
    assertTrue(second >= 1900, "second retry " + second + " ms after the first, not 2 s");
    assertEquals(1, gateway.logins.size(), "the session is reattached, not logged in again");
    browser.typeInTerminal("echo back again", Keys.ENTER);
    browser.awaitTerminalText("\nback again", WAIT);
  }

  @Test
  void aRefusedLinkShowsTheGatewaysReason() {
    browser.open(gateway.base() + "#t=used-or-forged");
    browser.awaitScript("an error", "return !document.getElementById('status').hidden && "
        + "document.getElementById('status').className === 'error';", WAIT);
    String status = String.valueOf(status());
    assertTrue(status.startsWith("This login link was refused: " + FakeWebGateway.REFUSED),
        status);
    browser.awaitTerminalText("This login link was refused: " + FakeWebGateway.REFUSED, WAIT);
    assertEquals(gateway.base(), browser.url());
    assertEquals(1, gateway.logins.size());
    assertTrue(gateway.attaches.isEmpty(), "no websocket without a session: "
        + gateway.attaches);
  }

  @Test
  void aReloadReattachesTheTabsSessionWithoutTheToken() {
    logIn();
    browser.driver().navigate().refresh();
    awaitAttaches(2);
    // the buffer's lines come without their trailing blanks
    browser.awaitTerminalText(FakeWebGateway.PROMPT.stripTrailing(), WAIT);
    assertEquals(1, gateway.logins.size(), "one login, the token's: " + gateway.logins);
    assertEquals(FakeWebGateway.SESSION, gateway.acceptedAttaches().get(1).query().get("session"));
  }

  @Test
  void aPasteArrivesWholeAndUnchanged() throws Exception {
    logIn();
    StringBuilder text = new StringBuilder();
    Random random = new Random(32);
    String letters = "abcdefghijklmnopqrstuvwxyz0123456789 äöü€";
    while (text.length() < 10 * 1024) {
      text.append(letters.charAt(random.nextInt(letters.length())));
    }
    // the browser's paste event, as Ctrl+Shift+V or the context menu fire it
    browser.script("const data = new DataTransfer(); data.setData('text/plain', arguments[0]);"
        + "document.querySelector('textarea.xterm-helper-textarea').dispatchEvent("
        + "new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));",
        text.toString());
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (gateway.input().length() < text.length() && System.nanoTime() < deadline) {
      sleep(50);
    }
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    assertEquals(HexFormat.of().formatHex(sha.digest(text.toString()
        .getBytes(StandardCharsets.UTF_8))), HexFormat.of().formatHex(sha.digest(gateway.input()
        .getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void ctrlShiftCCopiesTheSelectionAndSendsNothing() {
    logIn();
    browser.typeInTerminal("echo copy me", Keys.ENTER);
    browser.awaitTerminalText("\ncopy me", WAIT);
    String origin = gateway.base().substring(0, gateway.base().length() - 1);
    browser.driver().executeCdpCommand("Browser.grantPermissions", Map.of("origin", origin,
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    browser.script("window.terminal.select(0, 1, 7);"); // the output line
    assertEquals("copy me", browser.script("return window.terminal.getSelection();"));
    browser.typeInTerminal(Keys.chord(Keys.CONTROL, Keys.SHIFT, "c"));
    Object copied = browser.driver().executeAsyncScript("const done = arguments[0];"
        + "navigator.clipboard.readText().then(done, (e) => done('cannot read: ' + e));");
    assertEquals("copy me", copied);
    sleep(300);
    assertEquals("echo copy me\r", gateway.input(), "Ctrl+Shift+C is the page's, not the shell's");
  }

  @Test
  void thePageRunsUnderItsContentSecurityPolicy() {
    logIn();
    browser.windowSize(800, 500);
    browser.typeInTerminal("stty size", Keys.ENTER);
    browser.awaitTerminalText("\n" + terminal("rows") + " " + terminal("cols"), WAIT);
    sleep(1000); // reports are sent after the violation, in the background
    assertEquals(List.of(), gateway.cspReports);
    // a violation is reported: the check above can see one
    browser.script("const s = document.createElement('script'); s.textContent = '1';"
        + "document.body.appendChild(s);");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (gateway.cspReports.isEmpty() && System.nanoTime() < deadline) {
      sleep(50);
    }
    assertEquals(1, gateway.cspReports.size(), "the inline script's report");
    assertTrue(gateway.cspReports.get(0).contains("script-src"), gateway.cspReports.get(0));
  }

  @Test
  void aScreenshotShowsThePromptAndWhatWasTyped() {
    browser.windowSize(900, 520);
    logIn();
    browser.typeInTerminal("stty size", Keys.ENTER);
    browser.awaitTerminalText("\n" + terminal("rows") + " " + terminal("cols"), WAIT);
    browser.typeInTerminal("echo hello from the browser", Keys.ENTER);
    browser.awaitTerminalText("\nhello from the browser", WAIT);
    Path png = Path.of("target", "web-page-fake.png");
    browser.screenshot(png);
    assertTrue(png.toFile().length() > 5000, "a screenshot of " + png.toFile().length()
        + " bytes");
  }
}
