package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The gateway's connections: counts them against the limits (all, unauthenticated, per user),
 * asks the backend for a connection handler once a user has authenticated (off MINA's I/O
 * threads: it may start a container), and closes the handler when the connection goes.
 */
public final class ConnectionRegistry implements SessionListener {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final AttributeKey<State> STATE = new AttributeKey<>();

  /** What the registry knows of one connection. */
  private static final class State {
    final String id;
    volatile boolean authenticated;
    volatile String user;
    volatile CompletableFuture<ConnectionHandler> handler;

    State(String id) {
      this.id = id;
    }
  }

  private volatile GatewayOptions options;
  private final ContainerBackend backend;
  private final BackendEvents events;
  private final Executor workers;
  private final String prefix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger all = new AtomicInteger();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
  /** Guards the waits for connections and sessions to end; signalled as each ends. */
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ended = lock.newCondition();
  private final AtomicInteger sessions = new AtomicInteger();

  public ConnectionRegistry(GatewayOptions options, ContainerBackend backend,
      BackendEvents events, Executor workers) {
    this.options = options;
    this.backend = backend;
    this.events = events;
    this.workers = workers;
  }

  /** The options new connections are counted against. */
  public GatewayOptions options() {
    return options;
  }

  /** New connections are counted against {@code next}'s limits. */
  public void reconfigure(GatewayOptions next) {
    this.options = next;
  }

  @Override
  public void sessionCreated(Session session) {
    State s = new State(prefix + "-" + ids.incrementAndGet());
    session.setAttribute(STATE, s);
    all.incrementAndGet();
    if (unauthenticated.incrementAndGet() > options.maxUnauthenticated()) {
      log.warn("gateway: {} connections are not authenticated yet (limit {}): dropping {} "
          + "from {}", unauthenticated.get() - 1, options.maxUnauthenticated(), s.id,
          KeyAuthenticator.client(session.getIoSession().getRemoteAddress()));
      events.loginFailed("", KeyAuthenticator.client(session.getIoSession()
          .getRemoteAddress()), "too many unauthenticated connections");
      session.close(true);
    }
  }

  @Override
  public void sessionEvent(Session session, Event event) {
    State s = session.getAttribute(STATE);
    if (s == null) {
      return;
    }
    if (event == Event.KexCompleted && !s.authenticated && all.get() > options.maxConnections()) {
      refuse(session, s, "the gateway has " + options.maxConnections() + " connections, its "
          + "limit; try again later");
    } else if (event == Event.Authenticated && !s.authenticated) {
      authenticated((ServerSession) session, s);
    }
  }

  private void authenticated(ServerSession session, State s) {
    s.authenticated = true;
    unauthenticated.decrementAndGet();
    String user = session.getUsername();
    s.user = user;
    int mine = perUser.computeIfAbsent(user, u -> new AtomicInteger()).incrementAndGet();
    if (mine > options.maxConnectionsPerUser()) {
      refuse(session, s, user + " has " + options.maxConnectionsPerUser() + " connections "
          + "open, the limit per user; close one first");
      return;
    }
    InetSocketAddress client = session.getClientAddress() instanceof InetSocketAddress a ? a
        : new InetSocketAddress("0.0.0.0", 0);
    ConnectionInfo info = new ConnectionInfo(user, client, s.id);
    log.debug("gateway connection {}: {} authenticated", s.id, info.display());
    Map<String, String> context = logContext(s.id, user, session);
    s.handler = CompletableFuture.supplyAsync(() -> {
      context.forEach(MDC::put);
      try {
        return backend.onConnection(info);
      } finally {
        MDC.clear();
      }
    }, workers);
  }

  private static Map<String, String> logContext(String id, String user, Session session) {
    return Map.of("connection", id, "user", user == null ? "" : user, "client",
        KeyAuthenticator.client(session.getIoSession().getRemoteAddress()));
  }

  /** What a session's log lines carry in the MDC: its connection id, user and client. */
  public Map<String, String> logContextOf(ServerSession session) {
    State s = session.getAttribute(STATE);
    return logContext(s == null ? "?" : s.id, session.getUsername(), session);
  }

  /** A session channel opened (counted for {@link #awaitNoSessions}). */
  public void sessionOpened() {
    sessions.incrementAndGet();
  }

  /** A session channel closed. */
  public void sessionClosed() {
    sessions.decrementAndGet();
    signalEnded();
  }

  /** Session channels open now, on every connection. */
  public int openSessions() {
    return sessions.get();
  }

  private void signalEnded() {
    lock.lock();
    try {
      ended.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no connection is open, or {@code within} has passed; true if none is. */
  public boolean awaitNoConnections(Duration within) throws InterruptedException {
    return awaitZero(all, within);
  }

  /** Waits until no session channel is open, or {@code within} has passed; true if none is. */
  public boolean awaitNoSessions(Duration within) throws InterruptedException {
    return awaitZero(sessions, within);
  }

  private boolean awaitZero(AtomicInteger count, Duration within) throws InterruptedException {
    long left = within.toNanos();
    lock.lock();
    try {
      while (count.get() > 0) {
        if (left <= 0) {
          return false;
        }
        left = ended.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void refuse(Session session, State s, String why) {
    log.warn("gateway connection {}: refused: {}", s.id, why);
    events.loginFailed(s.user == null ? "" : s.user, KeyAuthenticator.client(
        session.getIoSession().getRemoteAddress()), why);
    s.handler = CompletableFuture.failedFuture(new BackendException(
        BackendException.Reason.LIMIT, why));
    // Not on this thread: MINA signals these events holding its encode lock with the packet
    // that announces them (USERAUTH_SUCCESS, NEWKEYS) encoded but not yet written, so a
    // disconnect sent from here would reach the client ahead of it, out of sequence, and the
    // client would see a corrupt connection instead of the reason.
    try {
      workers.execute(() -> {
        try {
          session.disconnect(SshConstants.SSH2_DISCONNECT_TOO_MANY_CONNECTIONS,
              "gateway: " + why);
        } catch (IOException | RuntimeException e) {
          session.close(true);
        }
      });
    } catch (RejectedExecutionException shuttingDown) {
      session.close(true); // the gateway is closing: no reason to send
    }
  }

  @Override
  public void sessionClosed(Session session) {
    State s = session.getAttribute(STATE);
    if (s == null) {
      return;
    }
    all.decrementAndGet();
    if (!s.authenticated) {
      unauthenticated.decrementAndGet();
    } else if (s.user != null) {
      perUser.computeIfPresent(s.user, (u, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
    CompletableFuture<ConnectionHandler> h = s.handler;
    if (h != null) {
      h.thenAccept(this::closeOffIoThread);
    }
    signalEnded();
  }

  /** Closing may stop a container (up to its stop timeout): never on MINA's I/O thread. */
  private void closeOffIoThread(ConnectionHandler handler) {
    try {
      workers.execute(handler::close);
    } catch (RejectedExecutionException shuttingDown) {
      handler.close(); // the gateway is closing: close here rather than leave the container
    }
  }

  /** The connection handler of an authenticated session (done when its container runs). */
  public CompletableFuture<ConnectionHandler> handlerOf(ServerSession session) {
    State s = session.getAttribute(STATE);
    CompletableFuture<ConnectionHandler> h = s == null ? null : s.handler;
    return h != null ? h : CompletableFuture.failedFuture(new BackendException(
        BackendException.Reason.FAILED, "the connection is not authenticated"));
  }

  /** The connection's id, for log lines. */
  public String idOf(Session session) {
    State s = session.getAttribute(STATE);
    return s == null ? "?" : s.id;
  }

  /** Connections open now. */
  public int open() {
    return all.get();
  }
}
