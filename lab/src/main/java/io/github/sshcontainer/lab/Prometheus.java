package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's real Prometheus server ({@code /usr/bin/prometheus}) scraping one target every
 * second, its storage in a private temporary directory, its web API on 127.0.0.1 only. {@link
 * #close} stops it (TERM, KILL after 10 s) and deletes the directory.
 */
public final class Prometheus implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Prometheus.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  /** One sample of an instant vector in the API's JSON: {@code "value":[1712.3,"3"]}. */
  private static final Pattern SAMPLE = Pattern.compile(
      "\"value\":\\[[0-9.eE+-]+,\"([^\"]*)\"\\]");

  private final Path dir;
  private final int port;
  private volatile Process process;

  private Prometheus(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts Prometheus scraping {@code http://target/metrics} every second, and returns once its
   * API answers {@code /-/ready}.
   *
   * @throws IllegalStateException with its log when it exits or is not ready within 60 s
   */
  public static Prometheus start(InetSocketAddress target) {
    Path binary = Prerequisites.require("prometheus", "/usr/bin/prometheus");
    Prometheus p;
    try {
      p = new Prometheus(Files.createTempDirectory("sshc-lab-prometheus"), FreePort.pick());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Path config = Files.writeString(p.dir.resolve("prometheus.yml"), String.join("\n",
          "global:",
          "  scrape_interval: 1s",
          "  scrape_timeout: 1s",
          "  evaluation_interval: 1s",
          "scrape_configs:",
          "  - job_name: lab",
          "    static_configs:",
          "      - targets: ['" + target.getHostString() + ":" + target.getPort() + "']",
          ""));
      Files.createDirectories(p.dir.resolve("data"));
      p.launch(binary, config);
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return p;
  }

  private void launch(Path binary, Path config) throws IOException {
    Path logFile = dir.resolve("prometheus.log");
    process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=" + address(),
        "--log.level=warn")
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
            Path.of("/dev/null").toFile()))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("prometheus exited with " + process.exitValue()
            + ":\n" + Files.readString(logFile));
      }
      try {
        if (HttpGet.get(socket(), "/-/ready").status() == 200) {
          log.info("prometheus pid {} on {}", process.pid(), address());
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Sshd.sleep(100);
    }
    throw new IllegalStateException("prometheus was not ready on " + address() + " within "
        + START_DEADLINE + "; log:\n" + Files.readString(logFile));
  }

  /** {@code 127.0.0.1:PORT}, its web UI and API. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  private InetSocketAddress socket() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /**
   * The value of {@code promql} now, through {@code /api/v1/query}: of its one series; empty
   * when it has none (not scraped yet).
   *
   * @throws IllegalStateException when the API refuses the query or answers more than one series
   */
  public OptionalDouble query(String promql) {
    HttpGet.Response r;
    try {
      r = HttpGet.get(socket(), "/api/v1/query?query="
          + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("prometheus on " + address() + " did not answer " + promql,
          e);
    }
    if (r.status() != 200 || !r.body().contains("\"status\":\"success\"")) {
      throw new IllegalStateException("prometheus refused " + promql + ": " + r.status() + " "
          + r.body());
    }
    Matcher m = SAMPLE.matcher(r.body());
    if (!m.find()) {
      return OptionalDouble.empty();
    }
    double value = Double.parseDouble(m.group(1));
    if (m.find()) {
      throw new IllegalStateException(promql + " has more than one series: " + r.body());
    }
    return OptionalDouble.of(value);
  }

  /**
   * Polls {@link #query} until it has a value, and returns it.
   *
   * @throws IllegalStateException when there is none within {@code within}
   */
  public double awaitValue(String promql, Duration within) {
    long end = System.nanoTime() + within.toNanos();
    while (true) {
      OptionalDouble v = query(promql);
      if (v.isPresent()) {
        return v.getAsDouble();
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("prometheus on " + address() + " had no value for "
            + promql + " within " + within + " (scraping every second); its targets: "
            + targets());
      }
      Sshd.sleep(200);
    }
  }

  private String targets() {
    try {
      return HttpGet.get(socket(), "/api/v1/targets").body();
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Override
  public void close() {
    LabProcess.stop(process);
    LabProcess.deleteTree(dir);
  }
}
