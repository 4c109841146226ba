package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.HttpGet;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prometheus;
import io.github.sshcontainer.lab.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh-container gateway --metrics}: the counters after real OpenSSH logins, a wrong key
 * and a refused shell, read from {@code /metrics} and through Debian's real Prometheus; {@code
 * /health} while it serves, when its Docker host stops answering, and while it shuts down.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayMetricsCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final String M = "sshcontainer_gateway_";
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  /** {@code ssh-container gateway DOCKER-HOST… --metrics 127.0.0.1:0 --disable-shell …}. */
  private GatewayProcess gateway(List<String> dockerHost, Path hostKey, Path authorized)
      throws Exception {
    List<String> args = new ArrayList<>(dockerHost);
    args.addAll(List.of("--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--image",
        DockerDaemon.BUSYBOX, "--pull", "never", "--host-key", hostKey.toString(),
        "--authorized-keys", authorized.toString(), "--stop-timeout", "2s", "--disable-shell"));
    return GatewayProcess.start(tmp, List.of(), args, hostKey);
  }

  private OpenSshClient client(Path key, Path hostKey, int port, String user) throws Exception {
    Path kh = Files.writeString(tmp.resolve("kh-" + port), Keys.knownHostsLine(hostKey, port)
        + "\n");
    return new OpenSshClient(key, kh, port, user);
  }

  /** Polls {@code /health} until it answers {@code status body}. */
  private static void awaitHealth(GatewayProcess g, int status, String body, Duration within)
      throws Exception {
    long end = System.nanoTime() + within.toNanos();
    HttpGet.Response r = null;
    while (System.nanoTime() < end) {
      r = HttpGet.get(g.metrics(), "/health");
      if (r.status() == status && r.body().equals(body)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("/health did not answer " + status + " " + body.trim() + " within "
        + within + "; last: " + (r == null ? "none" : r.status() + " " + r.body()) + "; stderr: "
        + Files.readString(g.err()));
  }

  /** The value of the one sample {@code series} (name and labels, as written) in a scrape. */
  private static double sample(String scrape, String series) {
    Double found = null;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        assertEquals(null, found, "one sample " + series);
        found = Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
      }
    }
    assertNotEquals(null, found, "no sample " + series + " in:\n" + scrape);
    return found;
  }

  private static String scrape(GatewayProcess g) throws IOException {
    HttpGet.Response r = HttpGet.get(g.metrics(), "/metrics");
    assertEquals(200, r.status(), r.body());
    return r.body();
  }

  private static void changed(List<String> seen, String now) {
    if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(now)) {
      seen.add(now);
    }
  }

  @Test
  void countsThreeLoginsAWrongKeyAndARefusedShellAndPrometheusScrapesThem() throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    GatewayProcess g = gateway(List.of("unix://" + lab().docker().socket()), hostKey, authorized);
    try {
      awaitHealth(g, 200, "ok\n", Duration.ofSeconds(20));
      String before = scrape(g);
      assertEquals(0, sample(before, M + "connections_total"), before);
      assertEquals(0, sample(before, M + "sessions_total{request=\"exec\"}"), before);

      OpenSshClient c = client(lab().clientKey(), hostKey, g.port(), "metrics-user");
      for (int i = 0; i < 3; i++) {
        OpenSshClient.Result r = c.ssh("true", null, SOON);
        assertEquals(0, r.code(), r.err() + Files.readString(g.err()));
      }
      // a key that is not in authorized_keys: the client offers it once (IdentitiesOnly)
      Path wrong = tmp.resolve("wrong_key");
      Keys.generate(wrong, "");
      OpenSshClient.Result denied = client(wrong, hostKey, g.port(), "metrics-user")
          .ssh("true", null, SOON);
      assertEquals(255, denied.code(), denied.err());
      assertTrue(denied.err().contains("Permission denied"), denied.err());
      // no command: a shell request, refused by --disable-shell after the login succeeded
      OpenSshClient.Result shell = c.ssh(null, null, SOON, "-T");
      assertNotEquals(0, shell.code(), shell.err());
      assertTrue(shell.err().contains("shell sessions are disabled"), shell.err());

      // Four authenticated connections, each with its container: the refused shell's login
      // succeeded too, and its container is started (and counted) after its client has gone,
      // then removed. Wait for that, and for every connection to be closed.
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String after = scrape(g);
      while ((sample(after, M + "connections_total") < 4
          || sample(after, M + "connections_open") != 0) && System.nanoTime() < end) {
        Thread.sleep(100);
        after = scrape(g);
      }
      assertEquals(4, sample(after, M + "connections_total"), after);
      assertEquals(0, sample(after, M + "connections_open"), after);
      assertEquals(1, sample(after, M + "auth_failures_total"), after);
      assertEquals(3, sample(after, M + "sessions_total{request=\"exec\"}"), after);
      assertEquals(0, sample(after, M + "sessions_total{request=\"shell\"}"), after);
      assertEquals(3, sample(after, M + "backend_requests_total"), after);
      assertEquals(0, sample(after, M + "backend_failures_total{reason=\"failed\"}"), after);
      assertEquals(4, sample(after, M + "container_start_seconds_count"), after);
      assertTrue(sample(after, M + "container_start_seconds_sum") > 0, after);
      assertEquals(4, sample(after, M + "container_start_seconds_bucket{le=\"+Inf\"}"), after);
      assertTrue(sample(after, "jvm_memory_used_bytes{area=\"heap\"}") > 0, after);
      assertTrue(sample(after, "jvm_threads_current") > 0, after);
      assertTrue(after.contains("# TYPE " + M + "connections_total counter"), after);
      assertTrue(after.contains("# TYPE " + M + "container_start_seconds histogram"), after);

      try (Prometheus prometheus = Prometheus.start(g.metrics())) {
        assertEquals(3, prometheus.awaitValue(M + "sessions_total{request=\"exec\"}",
            Duration.ofSeconds(30)));
        assertEquals(1, prometheus.awaitValue(M + "auth_failures_total",
            Duration.ofSeconds(30)));
      }

      // last: the gateway emits requestRefused once the refusal is wired to it
      assertEquals(1, sample(after, M + "sessions_refused_total{request=\"shell\"}"), after);
    } finally {
      g.process().destroy(); // SIGTERM
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    }
    assertEquals(0, g.process().exitValue(), Files.readString(g.err()));
  }

  /**
   * The Docker host behind a proxy that can hold its traffic: a ping that gets no answer makes
   * /health say so, and it recovers; SIGTERM with a session open makes it say shutting down.
   */
  @Test
  void healthIsOkThenDockerHostUnreachableThenOkAgainAndShuttingDownOnSigterm()
      throws Exception {
    TlsFiles tls = lab().tlsFiles();
    Path hostKey = tmp.resolve("health_host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("health_authorized_keys"));
    try (DelayProxy proxy = DelayProxy.start(lab().tlsDockerPort(), Duration.ZERO)) {
      GatewayProcess g = gateway(List.of("tcp://127.0.0.1:" + proxy.port(), "--tlscacert",
          tls.ca().toString(), "--tlscert", tls.cert().toString(), "--tlskey",
          tls.key().toString()), hostKey, authorized);
      Process held = null;
      try {
        awaitHealth(g, 200, "ok\n", Duration.ofSeconds(20));
        proxy.freeze(true); // pings go out and get no answer
        awaitHealth(g, 503, "docker host unreachable\n", Duration.ofSeconds(20));
        proxy.freeze(false);
        awaitHealth(g, 200, "ok\n", Duration.ofSeconds(20));

        OpenSshClient c = client(lab().clientKey(), hostKey, g.port(), "health-user");
        Path heldLog = tmp.resolve("held.log");
        held = c.start(c.ssh(List.of(), "echo held; sleep 600"), heldLog);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(heldLog).contains("held")) {
          assertTrue(System.nanoTime() < end, "the session started: "
              + Files.readString(heldLog));
          Thread.sleep(50);
        }
        g.process().destroy(); // SIGTERM, with the session open
        List<String> seen = new ArrayList<>(); // each answer as it changed
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (g.process().isAlive() && System.nanoTime() < end) {
          try {
            HttpGet.Response r = HttpGet.get(g.metrics(), "/health");
            changed(seen, r.status() + " " + r.body().trim());
          } catch (IOException closed) {
            changed(seen, "closed");
          }
          Thread.sleep(10);
        }
        assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
        assertTrue(seen.contains("503 shutting down"), "health while it shut down: " + seen);
        assertTrue(seen.lastIndexOf("200 ok") < seen.indexOf("503 shutting down"),
            "never ok again once shutting down: " + seen);
      } finally {
        if (held != null) {
          held.destroyForcibly();
        }
        g.process().destroy();
        assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
      }
      assertEquals(0, g.process().exitValue(), Files.readString(g.err()));
    }
  }
}
