package io.github.sshcontainer.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's plain-HTTP side for {@code --metrics}: {@code GET /metrics} (the Prometheus text
 * format of a registry) and {@code GET /health} ({@code 200 ok} while the gateway serves and its
 * Docker host answered a ping lately; else {@code 503} and one line: {@code docker host
 * unreachable} or {@code shutting down}). The JDK's own HTTP server: two GET endpoints need no
 * framework.
 *
 * <p>It pings the Docker host every {@link #PING_EVERY} on a thread of its own; a ping that fails,
 * or hangs, leaves the last answer to age, and after {@link #STALE} without one the health is
 * {@code docker host unreachable}. Its threads are daemons named {@code
 * ssh-container-gateway-http-…}. Thread-safe; {@link #close} is idempotent and bounded.
 */
final class GatewayHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayHttp.class);
  static final Duration PING_EVERY = Duration.ofSeconds(2);
  static final Duration STALE = Duration.ofSeconds(6);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final HttpServer server;
  private final ExecutorService handlers;
  private final ScheduledExecutorService pinger;
  private final PrometheusRegistry registry;
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final AtomicBoolean shuttingDown = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** System.nanoTime() of the last answered ping; a start value that is already stale. */
  private volatile long lastPingOk;

  private GatewayHttp(HttpServer server, PrometheusRegistry registry) {
    this.server = server;
    this.registry = registry;
    this.handlers = Executors.newSingleThreadExecutor(threads("handler"));
    this.pinger = Executors.newSingleThreadScheduledExecutor(threads("ping"));
    this.lastPingOk = System.nanoTime() - STALE.toNanos() - 1;
  }

  /**
   * Listens on {@code at} (port 0: any free port) and starts pinging through {@code ping}
   * (which throws when the Docker host does not answer).
   *
   * @throws UncheckedIOException naming the address when it cannot listen there
   */
  static GatewayHttp start(InetSocketAddress at, PrometheusRegistry registry, Runnable ping) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(ping, "ping");
    HttpServer server;
    try {
      server = HttpServer.create(at, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve --metrics on " + at.getHostString() + ":"
          + at.getPort() + ": " + e.getMessage() + "; pick a free port (or 0 for any)", e);
    }
    GatewayHttp h = new GatewayHttp(server, registry);
    server.setExecutor(h.handlers);
    server.createContext("/metrics", h::metrics);
    server.createContext("/health", h::health);
    server.createContext("/", ex -> h.reply(ex, 404, "not found; try /metrics or /health\n"));
    h.pinger.scheduleWithFixedDelay(() -> h.ping(ping), 0, PING_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    startNamed(server);
    log.info("gateway metrics on {}:{}", at.getHostString(), h.port());
    return h;
  }

  /**
   * The JDK's HttpServer starts one dispatcher thread, named {@code HTTP-Dispatcher} and
   * inheriting its daemon flag from the thread that calls {@code start()}, with no API to name
   * it: start it from a daemon thread, then give it our name.
   */
  private static void startNamed(HttpServer server) {
    Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
    Thread starter = threads("start").newThread(server::start);
    starter.start();
    try {
      starter.join(CLOSE_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(t) && t.getName().equals("HTTP-Dispatcher")) {
        t.setName("ssh-container-gateway-http-dispatcher");
      }
    }
  }

  private static ThreadFactory threads(String role) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "ssh-container-gateway-http-" + role + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The port it listens on (the one picked for port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  /** From now on {@code /health} answers {@code 503 shutting down}. Idempotent. */
  void shuttingDown() {
    shuttingDown.set(true);
  }

  /** Why {@code /health} is not ok, or null when it is. */
  String problem() {
    if (shuttingDown.get()) {
      return "shutting down";
    }
    if (System.nanoTime() - lastPingOk > STALE.toNanos()) {
      return "docker host unreachable";
    }
    return null;
  }

  private void ping(Runnable ping) {
    try {
      ping.run();
      lastPingOk = System.nanoTime();
    } catch (RuntimeException e) {
      log.debug("gateway health: the Docker host did not answer a ping: {}", e.getMessage());
    }
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (!exactGet(ex, "/metrics")) {
      return;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
    writer.write(body, registry.scrape());
    send(ex, 200, writer.getContentType(), body.toByteArray());
  }

  private void health(HttpExchange ex) throws IOException {
    if (!exactGet(ex, "/health")) {
      return;
    }
    String problem = problem();
    reply(ex, problem == null ? 200 : 503, problem == null ? "ok\n" : problem + "\n");
  }

  /** GET (or HEAD) of exactly {@code path}; otherwise answers 404 or 405 and returns false. */
  private boolean exactGet(HttpExchange ex, String path) throws IOException {
    if (!ex.getRequestURI().getPath().equals(path)) {
      reply(ex, 404, "not found; try /metrics or /health\n");
      return false;
    }
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      reply(ex, 405, method + " is not allowed here; use GET\n");
      return false;
    }
    return true;
  }

  private void reply(HttpExchange ex, int status, String text) throws IOException {
    send(ex, status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    try {
      ex.getResponseHeaders().set("Content-Type", type);
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    } finally {
      ex.close();
    }
  }

  /**
   * Stops listening and pinging. Idempotent; returns within about 10 s, with its threads ended
   * (a WARN names one that did not end: a ping stuck in the Docker client).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shuttingDown();
    // stop(0): no waiting for exchanges in progress; it returns once the dispatcher has ended
    server.stop(0);
    handlers.shutdownNow();
    pinger.shutdownNow();
    try {
      if (!handlers.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("gateway metrics: a request handler did not end within {}", CLOSE_WAIT);
      }
      if (!pinger.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("gateway metrics: the Docker ping did not end within {}", CLOSE_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
