package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
  /** How the connection authenticated, set by the authenticator that admitted it. */
  static final AttributeKey<LoginIdentity> IDENTITY = new AttributeKey<>();

  /** What the registry knows of one connection. */
  private static final class State {
    final String id;
    final String address;
    volatile boolean admitted;
    volatile boolean identified;
    volatile boolean kexCompleted;
    volatile boolean authFailed;
    volatile boolean protocolFailed;
    volatile boolean authenticated;
    volatile String user;
    volatile CompletableFuture<ConnectionHandler> handler;

    State(String id, String address) {
      this.id = id;
      this.address = address;
    }
  }

  private volatile GatewayOptions options;
  private final ContainerBackend backend;
  private final BackendEvents events;
  private final Executor workers;
  private final String prefix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger all = new AtomicInteger();
  private final SourceGuard guard = new SourceGuard(System::nanoTime);
  private final ScheduledExecutorService timer;
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
  /** Guards the waits for connections and sessions to end; signalled as each ends. */
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ended = lock.newCondition();
  private final AtomicInteger sessions = new AtomicInteger();

  public ConnectionRegistry(GatewayOptions options, ContainerBackend backend,
      BackendEvents events, Executor workers, ScheduledExecutorService timer) {
    this.options = options;
    this.backend = backend;
    this.events = events;
    this.workers = workers;
    this.timer = timer;
    timer.scheduleWithFixedDelay(guard::sweep, 1, 1, TimeUnit.MINUTES);
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
    String address = address(session.getIoSession().getRemoteAddress());
    State s = new State(prefix + "-" + ids.incrementAndGet(), address);
    session.setAttribute(STATE, s);
    all.incrementAndGet();
    GatewayOptions o = options;
    SourceGuard.Refusal refusal = guard.admit(address, o);
    if (refusal != null) {
      // one line per address a minute at the most: a flood must not flood the log too
      if (refusal != SourceGuard.Refusal.PENALIZED
          && guard.shouldLogDrop(refusal == SourceGuard.Refusal.SOURCE_LIMIT ? address : "*")) {
        log.warn("gateway: dropping new connections {} (logged once a minute)",
            switch (refusal) {
              case SOURCE_LIMIT -> "from " + address + ": it has "
                  + o.maxUnauthenticatedPerSource() + " not yet authenticated, its limit";
              case FULL -> "from everyone: " + o.maxUnauthenticated() + " are not yet "
                  + "authenticated, the limit";
              default -> "at random: more than " + o.earlyDropStart() + " are not yet "
                  + "authenticated (early drop)";
            });
      }
      events.loginFailed("", AuthorizedKeys.client(session.getIoSession()
          .getRemoteAddress()), "refused before authentication: " + refusal.name()
              .toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
      session.close(true);
      return;
    }
    s.admitted = true;
    try {
      timer.schedule(() -> {
        if ((!s.identified || !s.kexCompleted) && !session.isClosing()) {
          log.debug("gateway connection {}: no {} from {} in {}", s.id, s.identified
              ? "key exchange" : "identification", address, o.identificationTimeout());
          session.close(true);
        }
      }, o.identificationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      session.close(true);
    }
  }

  @Override
  public void sessionPeerIdentificationReceived(Session session, String version,
      List<String> extraLines) {
    State s = session.getAttribute(STATE);
    if (s != null) {
      s.identified = true;
    }
  }

  @Override
  public void sessionException(Session session, Throwable t) {
    State s = session.getAttribute(STATE);
    if (s != null && !s.authenticated) {
      s.protocolFailed = true;
    }
  }

  @Override
  public void sessionDisconnect(Session session, int reason, String msg, String language,
      boolean initiator) {
    State s = session.getAttribute(STATE);
    // a timeout (the login grace time, the idle timeout) is slowness, not a broken protocol;
    // one that never identified itself is held to nothing here either
    if (s != null && !s.authenticated && s.identified && initiator
        && (msg == null || !msg.toLowerCase(java.util.Locale.ROOT).contains("timeout"))
        && reason != SshConstants.SSH2_DISCONNECT_TOO_MANY_CONNECTIONS
        && reason != SshConstants.SSH2_DISCONNECT_BY_APPLICATION
        && reason != SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE) {
      s.protocolFailed = true; // the server gave up on it: key exchange, MAC, packet, ...
    }
  }

  /** A key this connection offered was refused (it may still authenticate with another). */
  static void authFailed(Session session) {
    State s = session.getAttribute(STATE);
    if (s != null) {
      s.authFailed = true;
    }
  }

  private static String address(java.net.SocketAddress a) {
    return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
  }

  @Override
  public void sessionEvent(Session session, Event event) {
    State s = session.getAttribute(STATE);
    if (s == null) {
      return;
    }
    if (event == Event.KexCompleted) {
      s.kexCompleted = true;
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
    if (s.admitted) {
      guard.authenticated(s.address);
    }
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
    InetSocketAddress server = session.getIoSession().getLocalAddress()
        instanceof InetSocketAddress a ? a : new InetSocketAddress("0.0.0.0", 0);
    LoginIdentity identity = session.getAttribute(IDENTITY);
    ConnectionInfo info = new ConnectionInfo(user, client, s.id, server,
        identity == null ? LoginIdentity.UNKNOWN : identity);
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
        AuthorizedKeys.client(session.getIoSession().getRemoteAddress()));
  }

  /** What a session's log lines carry in the MDC: its connection id, user and client. */
  public Map<String, String> logContextOf(ServerSession session) {
    State s = session.getAttribute(STATE);
    return logContext(s == null ? "?" : s.id, session.getUsername(), session);
  }

  /** A new connection id, as an SSH connection's, for a web session. */
  public String newId() {
    return prefix + "-" + ids.incrementAndGet();
  }

  /**
   * Counts a web session of {@code user} as a connection, against the gateway's and the
   * per-user limit; null when admitted (then {@link #webClosed} once), else why not.
   */
  public String admitWeb(String user) {
    GatewayOptions o = options;
    int now = all.incrementAndGet();
    int mine = perUser.computeIfAbsent(user, u -> new AtomicInteger()).incrementAndGet();
    if (now > o.maxConnections() || mine > o.maxConnectionsPerUser()) {
      webClosed(user);
      return now > o.maxConnections() ? "the gateway has " + o.maxConnections()
          + " connections, its limit; try again later" : user + " has "
          + o.maxConnectionsPerUser() + " connections open, the limit per user; close one first";
    }
    return null;
  }

  /** A web login refused (a bad link, a limit): told to the events as an SSH one is. */
  public void webLoginFailed(String user, String client, String why) {
    events.loginFailed(user, client, why);
  }

  /**
   * A web login from {@code client} presented a link this gateway never signed: held against
   * the address's web logins (not its SSH connections) as a failed SSH authentication is
   * against those.
   */
  public void webLinkRefused(String client) {
    guard.webLoginFailed(client, options);
  }

  /** Whether {@code client} serves a per-source penalty now: refuse its web login at once. */
  public boolean webSourcePenalized(String client) {
    return guard.webPenalized(client);
  }

  /** A web session {@link #admitWeb admitted} ended. */
  public void webClosed(String user) {
    all.decrementAndGet();
    perUser.computeIfPresent(user, (u, n) -> n.decrementAndGet() <= 0 ? null : n);
    signalEnded();
  }

  /**
   * Asks the backend for the connection handler of a web session, off the caller's thread
   * (it may start a container), with {@code context} in the MDC.
   */
  public CompletableFuture<ConnectionHandler> connect(ConnectionInfo info,
      Map<String, String> context) {
    return CompletableFuture.supplyAsync(() -> {
      context.forEach(MDC::put);
      try {
        return backend.onConnection(info);
      } finally {
        MDC.clear();
      }
    }, workers);
  }

  /** Closes the handler once it is made, on the workers: a web session's disconnect. */
  public void disconnect(CompletableFuture<ConnectionHandler> handler,
      Map<String, String> context) {
    handler.thenAccept(h -> closeOffIoThread(h, context));
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
    events.loginFailed(s.user == null ? "" : s.user, AuthorizedKeys.client(
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
      if (s.admitted) {
        guard.closed(s.address, s.protocolFailed ? SourceGuard.PROTOCOL_FAILURE_SECONDS
            : s.authFailed ? SourceGuard.AUTH_FAILURE_SECONDS
            : s.identified && !s.kexCompleted ? SourceGuard.NO_KEY_EXCHANGE_SECONDS : 0,
            options);
      }
    } else if (s.user != null) {
      perUser.computeIfPresent(s.user, (u, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
    CompletableFuture<ConnectionHandler> h = s.handler;
    if (h != null) {
      Map<String, String> context = logContext(s.id, s.user, session);
      h.thenAccept(handler -> closeOffIoThread(handler, context));
    }
    signalEnded();
  }

  /** Closing may stop a container (up to its stop timeout): never on MINA's I/O thread. */
  private void closeOffIoThread(ConnectionHandler handler, Map<String, String> context) {
    Runnable close = () -> {
      context.forEach(MDC::put);
      try {
        handler.close();
      } finally {
        MDC.clear();
      }
    };
    try {
      workers.execute(close);
    } catch (RejectedExecutionException shuttingDown) {
      close.run(); // the gateway is closing: close here rather than leave the container
    }
  }

  /** The connection handler of an authenticated session (done when its container runs). */
  public CompletableFuture<ConnectionHandler> handlerOf(ServerSession session) {
    State s = session.getAttribute(STATE);
    CompletableFuture<ConnectionHandler> h = s == null ? null : s.handler;
    return h != null ? h : CompletableFuture.failedFuture(new BackendException(
        BackendException.Reason.FAILED, "the connection is not authenticated"));
  }

  /** The connection's id as the registry named it, or "?" (for a webhook request). */
  static String idOfSession(Session session) {
    State s = session.getAttribute(STATE);
    return s == null ? "?" : s.id;
  }

  /** A session's log context, for lines written off its threads (a webhook's answer). */
  static Map<String, String> logContextOfSession(ServerSession session) {
    return logContext(idOfSession(session), session.getUsername(), session);
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
