package io.github.sshcontainer.gateway;

import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's counters, as events arrive: ready for an embedding program to publish. Pass it
 * (or a listener of your own that forwards to it) to {@link GatewayServer#start(GatewayOptions,
 * io.github.sshcontainer.gateway.backend.ContainerBackend, BackendEvents)} and to the backend.
 * Thread-safe.
 */
public final class GatewayCounters implements BackendEvents {
  /**
   * The counters at one moment.
   *
   * @param connections authenticated connections so far
   * @param openConnections authenticated connections open now
   * @param failedLogins refused logins
   * @param requests program requests (the seed's backend_requests)
   * @param refusedRequests program requests the policy or backend refused
   * @param failures backend failures (the seed's backend_failures)
   * @param containerStarts containers started
   * @param containerStartMillisTotal their start times, summed
   * @param containerStartMillisMax the longest start
   */
  public record Snapshot(long connections, long openConnections, long failedLogins,
      long requests, long refusedRequests, long failures, long containerStarts, long containerStartMillisTotal,
      long containerStartMillisMax) {}

  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong failedLogins = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong starts = new AtomicLong();
  private final AtomicLong startMillis = new AtomicLong();
  private final AtomicLong startMax = new AtomicLong();
  private final BackendEvents next;

  /** Counters only. */
  public GatewayCounters() {
    this(BackendEvents.NONE);
  }

  /** Counters that also pass every event on to {@code next}. */
  public GatewayCounters(BackendEvents next) {
    this.next = next;
  }

  public Snapshot snapshot() {
    return new Snapshot(connections.get(), open.get(), failedLogins.get(), requests.get(),
        refused.get(), failures.get(), starts.get(), startMillis.get(), startMax.get());
  }

  @Override
  public void connectionOpened(ConnectionInfo connection) {
    connections.incrementAndGet();
    open.incrementAndGet();
    next.connectionOpened(connection);
  }

  @Override
  public void connectionClosed(ConnectionInfo connection, Duration duration) {
    open.decrementAndGet();
    next.connectionClosed(connection, duration);
  }

  @Override
  public void loginFailed(String user, String client, String why) {
    failedLogins.incrementAndGet();
    next.loginFailed(user, client, why);
  }

  @Override
  public void requested(ConnectionInfo connection, SessionRequest request) {
    requests.incrementAndGet();
    next.requested(connection, request);
  }

  @Override
  public void requestRefused(SessionRequest request, String why) {
    refused.incrementAndGet();
    next.requestRefused(request, why);
  }

  @Override
  public void failed(ConnectionInfo connection, BackendException failure) {
    failures.incrementAndGet();
    next.failed(connection, failure);
  }

  @Override
  public void containerStarted(ConnectionInfo connection, Duration took) {
    starts.incrementAndGet();
    startMillis.addAndGet(took.toMillis());
    startMax.accumulateAndGet(took.toMillis(), Math::max);
    next.containerStarted(connection, took);
  }

  @Override
  public void sessionEnded(ConnectionInfo connection, SessionRequest request,
      ExitStatus status) {
    next.sessionEnded(connection, request, status);
  }
}
