package io.github.sshcontainer.cli;

import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The gateway's events as Prometheus metrics, in a registry of their own (with the JVM's memory,
 * threads, GC and the like): the one {@link BackendEvents} listener the {@code gateway} command
 * gives both the server and the backend. Every event is passed on to {@code next} afterwards.
 * Thread-safe; nothing blocks.
 *
 * <p>The series: {@code sshcontainer_gateway_connections_total}, {@code …_connections_open},
 * {@code …_auth_failures_total}, {@code …_sessions_total{request}}, {@code
 * …_sessions_refused_total{request}} ({@code request} is exec, shell or subsystem), {@code
 * …_backend_requests_total}, {@code …_backend_failures_total{reason}} (a {@link
 * BackendException.Reason} in lower case) and the histogram {@code
 * …_container_start_seconds}. Every label value exists from the start, at 0.
 */
final class GatewayMetrics implements BackendEvents {
  private static final String PREFIX = "sshcontainer_gateway_";
  /** A container starts in well under a second on an idle host, a pull can take a minute. */
  private static final double[] START_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter connections;
  private final Gauge open;
  private final Counter authFailures;
  private final Counter sessions;
  private final Counter refused;
  private final Counter requests;
  private final Counter failures;
  private final Histogram containerStart;
  private final BackendEvents next;

  /** Metrics that pass every event on to {@code next} ({@link BackendEvents#NONE}: nothing). */
  GatewayMetrics(BackendEvents next) {
    this.next = Objects.requireNonNull(next, "next");
    connections = Counter.builder().name(PREFIX + "connections_total")
        .help("Authenticated connections so far").register(registry);
    open = Gauge.builder().name(PREFIX + "connections_open")
        .help("Authenticated connections open now").register(registry);
    authFailures = Counter.builder().name(PREFIX + "auth_failures_total")
        .help("Refused logins: a key not authorized, an unknown user, a connection limit")
        .register(registry);
    sessions = Counter.builder().name(PREFIX + "sessions_total")
        .help("Session requests that reached the backend, by request").labelNames("request")
        .register(registry);
    refused = Counter.builder().name(PREFIX + "sessions_refused_total")
        .help("Session requests the gateway's policy refused (--disable-shell, an unknown "
            + "subsystem), by request").labelNames("request").register(registry);
    requests = Counter.builder().name(PREFIX + "backend_requests_total")
        .help("Program requests the backend received").register(registry);
    failures = Counter.builder().name(PREFIX + "backend_failures_total")
        .help("Failures in the backend, by reason").labelNames("reason").register(registry);
    containerStart = Histogram.builder().name(PREFIX + "container_start_seconds")
        .help("Time to create and start a container").classicOnly()
        .classicUpperBounds(START_BUCKETS).register(registry);
    for (SessionRequest.Kind k : SessionRequest.Kind.values()) {
      sessions.labelValues(label(k));
      refused.labelValues(label(k));
    }
    for (BackendException.Reason r : BackendException.Reason.values()) {
      failures.labelValues(label(r));
    }
    JvmMetrics.builder().register(registry);
  }

  /** Every series, the JVM's included: what {@code GET /metrics} writes. */
  PrometheusRegistry registry() {
    return registry;
  }

  private static String label(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void connectionOpened(ConnectionInfo connection) {
    connections.inc();
    open.inc();
    next.connectionOpened(connection);
  }

  @Override
  public void connectionClosed(ConnectionInfo connection, Duration duration) {
    open.dec();
    next.connectionClosed(connection, duration);
  }

  @Override
  public void loginFailed(String user, String client, String why) {
    authFailures.inc();
    next.loginFailed(user, client, why);
  }

  @Override
  public void requestRefused(SessionRequest request, String why) {
    refused.labelValues(label(request.kind())).inc();
    next.requestRefused(request, why);
  }

  @Override
  public void requested(ConnectionInfo connection, SessionRequest request) {
    sessions.labelValues(label(request.kind())).inc();
    requests.inc();
    next.requested(connection, request);
  }

  @Override
  public void failed(ConnectionInfo connection, BackendException failure) {
    failures.labelValues(label(failure.reason())).inc();
    next.failed(connection, failure);
  }

  @Override
  public void containerStarted(ConnectionInfo connection, Duration took) {
    containerStart.observe(took.toNanos() / 1e9);
    next.containerStarted(connection, took);
  }

  @Override
  public void sessionEnded(ConnectionInfo connection, SessionRequest request,
      ExitStatus status) {
    next.sessionEnded(connection, request, status);
  }
}
