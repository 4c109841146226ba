package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, driven through Selenium and Debian's chromedriver: the browser
 * of the web terminal's tests. Both programs are given by their paths, so Selenium Manager never
 * looks for (or downloads) a browser or a driver. Each browser has its own profile in a
 * temporary directory.
 *
 * <p>{@link #close()} quits the browser, stops chromedriver, ends any chromium process of this
 * profile that outlived them and deletes the profile; it is idempotent. Not thread-safe: one
 * test drives one browser.
 *
 * <p>The page helpers read an xterm.js {@code Terminal} the page exposes as {@code
 * window.terminal}.
 */
public final class Browser implements AutoCloseable {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final Duration POLL = Duration.ofMillis(100);
  /** The active buffer's lines, a wrapped line joined to the one before. */
  private static final String TERMINAL_TEXT = String.join("\n",
      "const t = window.terminal;",
      "if (!t) { return null; }",
      "const b = t.buffer.active;",
      "const out = [];",
      "for (let i = 0; i < b.length; i++) {",
      "  const line = b.getLine(i);",
      "  if (line && line.isWrapped && out.length > 0) {",
      "    out[out.length - 1] += line.translateToString(true);",
      "  } else {",
      "    out.push(line ? line.translateToString(true) : '');",
      "  }",
      "}",
      "return out.join('\\n');");

  /**
   * Selenium warns at every start that it has no DevTools binding for this chromium's version
   * (it ships bindings for the last few Chrome releases; Debian's chromium runs ahead or behind).
   * The tests use WebDriver and plain CDP commands, which need none. Held here: JUL keeps
   * loggers weakly, and a collected one forgets its level.
   */
  private static final Logger CDP_VERSION_FINDER =
      Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

  private final Path profile;
  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Browser(Path profile, ChromeDriverService service, ChromeDriver driver) {
    this.profile = profile;
    this.service = service;
    this.driver = driver;
  }

  /**
   * Starts a headless chromium whose window is {@code width} x {@code height} CSS pixels.
   *
   * @throws IllegalStateException naming the Debian package when chromium or chromedriver is
   *     missing
   */
  public static Browser start(int width, int height) {
    CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    Path chromium = Prerequisites.require("chromium", "/usr/bin/chromium");
    Path chromedriver = Prerequisites.require("chromium-driver", "/usr/bin/chromedriver");
    Path profile;
    try {
      profile = Files.createTempDirectory("sshc-browser-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless", "--user-data-dir=" + profile,
        "--window-size=" + width + "," + height, "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-breakpad", "--disable-crash-reporter", "--mute-audio");
    if (isRoot()) {
      // chromium refuses to start as root with its sandbox (it needs an unprivileged user)
      options.addArguments("--no-sandbox");
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
        .withLogFile(profile.resolve("chromedriver.log").toFile()).build();
    try {
      return new Browser(profile, service, new ChromeDriver(service, options));
    } catch (RuntimeException e) {
      service.stop();
      endProcessesOf(profile);
      delete(profile);
      throw new IllegalStateException("cannot start " + CHROMIUM + " through " + CHROMEDRIVER
          + " (profile " + profile + "): " + e.getMessage(), e);
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** Selenium's driver, for what the helpers here do not cover. */
  public ChromeDriver driver() {
    return driver;
  }

  /** Loads {@code url} in the window and waits for the page's load event. */
  public void open(String url) {
    driver.get(url);
  }

  /** The address the window shows now. */
  public String url() {
    return driver.getCurrentUrl();
  }

  public String title() {
    return driver.getTitle();
  }

  /** Runs {@code js} as a function body in the page ({@code return x;} for a value). */
  public Object script(String js, Object... arguments) {
    return driver.executeScript(js, arguments);
  }

  /** Sets the window's outer size; the page sees its resize event. */
  public void windowSize(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
  }

  /**
   * Types into the element that has the focus (the terminal's input once the page focused it);
   * {@code org.openqa.selenium.Keys} for Enter and the like.
   */
  public void type(CharSequence... keys) {
    WebElement focused = driver.switchTo().activeElement();
    focused.sendKeys(keys);
  }

  /** Types into the xterm.js terminal's own input element. */
  public void typeInTerminal(CharSequence... keys) {
    driver.findElement(By.cssSelector("textarea.xterm-helper-textarea")).sendKeys(keys);
  }

  /** The text of {@code window.terminal}'s active buffer, one line per row; "" before it exists. */
  public String terminalText() {
    Object text = driver.executeScript(TERMINAL_TEXT);
    return text == null ? "" : text.toString().stripTrailing();
  }

  /**
   * Waits until the terminal's buffer contains {@code text} and returns the buffer.
   *
   * @throws AssertionError after {@code timeout}, with the buffer as it was
   */
  public String awaitTerminalText(String text, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String screen = terminalText();
      if (screen.contains(text)) {
        return screen;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the terminal did not show '" + text + "' within " + timeout
            + "; it shows:\n" + screen);
      }
      pause();
    }
  }

  /**
   * Waits until {@code js} (a function body) returns true.
   *
   * @throws AssertionError after {@code timeout}, naming {@code what}
   */
  public void awaitScript(String what, String js, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Boolean.TRUE.equals(driver.executeScript(js))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the page did not come to " + what + " within " + timeout
            + " (" + js + "); the page's URL is " + url());
      }
      pause();
    }
  }

  /** Writes a PNG of the window to {@code file}, making its directory. */
  public void screenshot(Path file) {
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      Files.write(file, png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the browser", e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      driver.quit();
    } catch (RuntimeException e) {
      // chromedriver already gone: what is left of the browser is ended below
    } finally {
      service.stop();
      endProcessesOf(profile);
      delete(profile);
    }
  }

  /**
   * Ends chromium's processes of {@code profile} that outlived chromedriver (a renderer, the
   * zygote): its processes are the ones whose command line names the profile, and their
   * descendants.
   */
  private static void endProcessesOf(Path profile) {
    String mark = profile.toString();
    Set<ProcessHandle> left = new LinkedHashSet<>();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      all.filter(p -> p.info().commandLine().map(c -> c.contains(mark)).orElse(false))
          .forEach(p -> {
            left.add(p);
            p.descendants().forEach(left::add);
          });
    }
    left.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ProcessHandle p : left) {
      while (p.isAlive() && System.nanoTime() < deadline) {
        pause();
      }
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  private static void delete(Path dir) {
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
    } catch (IOException e) {
      return; // never made, or already gone
    }
    for (Path p : paths) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // a file chromium was still writing as it ended; the rest goes
        new File(p.toString()).deleteOnExit();
      }
    }
  }
}
