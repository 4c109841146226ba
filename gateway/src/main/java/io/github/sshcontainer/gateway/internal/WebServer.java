package io.github.sshcontainer.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.gateway.WebOptions;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's web terminal, on Jetty 12 core: the page ({@code GET /}, {@code /assets/…} from
 * the classpath), the login ({@code POST /login}: a link's token for a session and its cookie)
 * and each session's websocket ({@code GET /ws}). Its sessions go through the same layered
 * backend, registry (limits) and audit log as SSH connections. Jetty's threads are daemon
 * threads named {@code ssh-container-gateway-<id>-web-…}, at most {@link #MAX_THREADS}; {@link
 * #close()} ends every session and stops them. Thread-safe.
 */
public final class WebServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEB = "io/github/sshcontainer/gateway/web/";
  private static final Pattern ASSET = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*\\.(js|css)");
  static final String COOKIE = "sshc_web";
  /**
   * The cookie's name under TLS: the {@code __Host-} prefix makes browsers refuse it unless it
   * came over https from this very host with Path=/ and no Domain, so another service on the
   * host (cookies ignore ports) cannot plant one.
   */
  static final String SECURE_COOKIE = "__Host-" + COOKIE;
  private static final int MAX_THREADS = 64;
  /** Network connections to the page at once; more wait in the kernel's backlog. */
  static final int MAX_CONNECTIONS = 1024;
  /**
   * Logins under way at once (their bodies being read, their checks running); more are
   * answered 503 at once, so a client that sends its body slowly holds no thread and, with
   * many, no more than this many logins. A class of 50 opening their links at once fits.
   */
  public static final int MAX_LOGINS = 64;
  /** A login's body (4 KiB at most) must have arrived this long after its headers; else 408. */
  static final Duration LOGIN_BODY_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_LOGIN_BODY = 4096;
  /** Refusals are logged at most once a minute per address, as the SSH side's are. */
  private static final long REFUSAL_LOG_NANOS = Duration.ofMinutes(1).toNanos();
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * The page's Content-Security-Policy: nothing loads from elsewhere; inline style only for
   * xterm.js's own style elements; no framing, no base or form targets. WebPageTest runs the
   * page under this very constant.
   */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; "
      + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
      + "form-action 'none'; frame-ancestors 'none'";
  /** Security headers of every answer: nothing loads from elsewhere, no framing, no sniffing. */
  private static final Map<String, String> HEADERS = Map.of(
      "Content-Security-Policy", CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options", "nosniff",
      "Referrer-Policy", "no-referrer",
      "X-Frame-Options", "DENY");

  private final String gatewayId;
  private final WebOptions options;
  private final WebLinks links;
  private final ConnectionRegistry registry;
  private final ContainerBackend backend;
  private final AuditLog audit;
  private final Executor workers;
  private final ScheduledExecutorService timer;
  private final Map<String, WebSession> sessions = new ConcurrentHashMap<>();
  private final Semaphore logins = new Semaphore(MAX_LOGINS);
  private final Map<String, Long> refusalsLogged = new ConcurrentHashMap<>();
  private final Server jetty;
  private final ServerConnector connector;
  private ScheduledFuture<?> pings;
  private ScheduledFuture<?> sweeps;
  private ScheduledFuture<?> idleChecks;
  private final AtomicBoolean closing = new AtomicBoolean();
  /** Set (under itself) by {@link #close()}: a login that comes after ends its session. */
  private final Object lifecycle = new Object();
  private boolean closed;
  /** Set by {@link #stopAccepting()}: logins are answered 503. */
  private volatile boolean draining;

  private WebServer(String gatewayId, WebOptions options, WebLinks links,
      ConnectionRegistry registry, ContainerBackend backend, AuditLog audit, Executor workers,
      ScheduledExecutorService timer) {
    this.gatewayId = gatewayId;
    this.options = options;
    this.links = links;
    this.registry = registry;
    this.backend = backend;
    this.audit = audit;
    this.workers = workers;
    this.timer = timer;
    QueuedThreadPool pool = new QueuedThreadPool(MAX_THREADS, 2, 30_000);
    pool.setName("ssh-container-gateway-" + gatewayId + "-web");
    pool.setDaemon(true);
    jetty = new Server(pool, new ScheduledExecutorScheduler("ssh-container-gateway-"
        + gatewayId + "-web-scheduler", true), null);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    if (options.tls()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // the certificate's names are the operator's business
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls(options.tlsCert().orElseThrow(), options.tlsKey().orElseThrow()));
      connector = new ServerConnector(jetty, 1, 1, new SslConnectionFactory(ssl, "http/1.1"),
          new HttpConnectionFactory(http));
    } else {
      if (options.url().isPresent() && loopback(options.host())) {
        // behind the operator's proxy on this host (--web-url, plain HTTP on loopback, where
        // only local processes reach the page): its Forwarded / X-Forwarded-* headers name
        // the browser's address, for the log, the audit and the per-address penalties, which
        // would otherwise hold every user to the proxy's one address
        http.addCustomizer(new ForwardedRequestCustomizer());
      }
      connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    }
    connector.setHost(options.host());
    connector.setPort(options.port());
    // an HTTP connection (the page's assets, a login) idle this long is closed; a websocket
    // is pinged, and one that answers nothing for three pings is taken for gone (WebSession)
    connector.setIdleTimeout(Duration.ofSeconds(90).toMillis());
    jetty.addConnector(connector);
    jetty.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, connector));
    WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(jetty, container -> {
      // the pings write every options.ping(), so this idle timeout (reset by writes too) is
      // for a websocket whose writes are stuck; a silent page is found by WebSession.ping
      container.setIdleTimeout(options.ping().multipliedBy(3).plusSeconds(30));
      container.setMaxBinaryMessageSize(64 << 10);
      container.setMaxTextMessageSize(4 << 10);
      container.addMapping("/ws", this::upgrade);
    });
    ws.setHandler(new Routes());
    jetty.setHandler(ws);
    jetty.setStopTimeout(5_000);
  }

  /**
   * Starts the page as {@code options} say, its links signed with the key in {@code linkKey}
   * (made when missing).
   *
   * @throws IllegalArgumentException when the TLS files cannot be used
   * @throws IllegalStateException when the address cannot be bound or the key cannot be read
   */
  public static WebServer start(String gatewayId, WebOptions options, Path linkKey,
      ConnectionRegistry registry, ContainerBackend backend, AuditLog audit, Executor workers,
      ScheduledExecutorService timer) {
    WebServer w = create(gatewayId, options, linkKey, registry, backend, audit, workers, timer);
    w.start();
    return w;
  }

  /**
   * The page as {@code options} say, not listening yet ({@link #start()}): so that the
   * gateway can make it with the rest, and start it only once the rest has started.
   *
   * @throws IllegalArgumentException when the TLS files cannot be used
   * @throws IllegalStateException when the key cannot be read
   */
  public static WebServer create(String gatewayId, WebOptions options, Path linkKey,
      ConnectionRegistry registry, ContainerBackend backend, AuditLog audit, Executor workers,
      ScheduledExecutorService timer) {
    return new WebServer(gatewayId, options, WebLinks.open(linkKey), registry, backend, audit,
        workers, timer);
  }

  /**
   * Starts listening.
   *
   * @throws IllegalStateException when the address cannot be bound (then nothing is left
   *     running)
   */
  public void start() {
    WebServer w = this;
    try {
      w.jetty.start();
    } catch (Exception e) {
      w.stopJetty();
      throw new IllegalStateException("the web terminal cannot listen on " + options.host()
          + ":" + options.port() + ": " + e.getMessage() + " (is the port taken? choose "
          + "another with --web)", e);
    }
    w.pings = timer.scheduleWithFixedDelay(() -> w.sessions.values().forEach(WebSession::ping),
        options.ping().toMillis(), options.ping().toMillis(), TimeUnit.MILLISECONDS);
    w.sweeps = timer.scheduleWithFixedDelay(() -> {
      try {
        links.sweep();
      } catch (RuntimeException e) {
        log.warn("gateway {}: {}", gatewayId, e.getMessage()); // the next sweep tries again
      }
    }, 1, 1, TimeUnit.MINUTES);
    w.idleChecks = timer.scheduleWithFixedDelay(w::endIdle, 1, 1, TimeUnit.SECONDS);
    log.info("gateway {} web terminal on {}://{}:{}/{}", gatewayId, w.scheme(), options.host(),
        w.port(), options.tls() ? "" : loopback(options.host())
            ? " (plain HTTP on loopback: put a TLS proxy in front, or give --web-tls-cert)"
            : " (plain HTTP on a network address, --web-insecure: anyone on the way reads "
                + "links and keystrokes)");
  }

  private static boolean loopback(String host) {
    try {
      return host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  /** A TLS context with the PEM certificate chain and key, read as the webhooks' are. */
  private static SSLContext tls(Path cert, Path key) {
    try {
      Collection<? extends Certificate> chain = WebhookTls.certificates(cert);
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      char[] none = new char[0];
      keys.setKeyEntry("web", WebhookTls.privateKey(key), none, chain.toArray(
          new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(
          KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, none);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("the web terminal's TLS cannot be set up from " + cert
          + " and " + key + ": " + e.getMessage(), e);
    }
  }

  /** Ends the sessions idle for the gateway's idle timeout (read each time: it may change). */
  private void endIdle() {
    Duration idle = registry.options().idleTimeout();
    if (idle.isZero()) {
      return;
    }
    for (WebSession s : sessions.values()) {
      if (s.idleFor(idle)) {
        s.end("no input or output for " + idle.toSeconds() + " s, the gateway's idle timeout");
      }
    }
  }

  /**
   * Answers logins 503 from now on, as the gateway drains: no new session (nor container)
   * starts. The port stays open so that the sessions being drained can still re-attach.
   */
  public void stopAccepting() {
    draining = true;
  }

  /** The port the page listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  private String scheme() {
    return options.tls() ? "https" : "http";
  }

  WebOptions options() {
    return options;
  }

  Executor workers() {
    return workers;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  ConnectionRegistry registry() {
    return registry;
  }

  void removed(WebSession s) {
    sessions.remove(s.sid, s);
  }

  /** Output bytes held now by each session, by connection id (flow control's diagnostic). */
  public Map<String, Long> buffered() {
    Map<String, Long> m = new LinkedHashMap<>();
    sessions.values().forEach(s -> m.put(s.id, s.buffered()));
    return m;
  }

  /** The most output any session held at once. */
  public long peakBuffered() {
    return sessions.values().stream().mapToLong(WebSession::peakBuffered).max().orElse(0);
  }

  /** Web sessions open now. */
  public int openSessions() {
    return sessions.size();
  }

  /**
   * A login link for {@code user}: the page's address (the {@code url} option's, else the
   * listener's, with {@code reached} for a wildcard address: what the SSH client reached)
   * with a token in its fragment, which browsers never send to a server.
   */
  public String link(String user, InetSocketAddress reached) {
    return base(options, port(), reached) + "#t=" + links.mint(user, options.linkTtl());
  }

  /** The base address links point at, ending in "/". */
  public static String base(WebOptions options, int port, InetSocketAddress reached) {
    if (options.url().isPresent()) {
      String u = options.url().get().toString();
      return u.endsWith("/") ? u : u + "/";
    }
    String host = options.host();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = reached != null ? reached.getAddress().getHostAddress() : localName();
    }
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return (options.tls() ? "https" : "http") + "://" + host + ":" + port + "/";
  }

  private static String localName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** Checks a shell could run at all (policy): a link is of no use otherwise. */
  public void checkShell() {
    backend.checkRequest(SessionRequest.shell());
  }

  private static String random() {
    byte[] b = new byte[18]; // 144 bits
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String client(Request req) {
    return Request.getRemoteAddr(req) + ":" + Request.getRemotePort(req);
  }

  private static InetSocketAddress inet(SocketAddress a) {
    return a instanceof InetSocketAddress i ? i : new InetSocketAddress("0.0.0.0", 0);
  }

  /** The origin the page was served from, as this request reached us. */
  private String ownOrigin(Request req) {
    String host = req.getHeaders().get(HttpHeader.HOST);
    return (req.isSecure() ? "https" : "http") + "://" + (host == null ? "" : host);
  }

  private boolean originAllowed(Request req) {
    String origin = req.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null) {
      return false;
    }
    if (origin.equalsIgnoreCase(ownOrigin(req))) {
      return true;
    }
    return options.url().map(WebServer::origin).filter(origin::equalsIgnoreCase).isPresent();
  }

  /**
   * The Origin a browser sends for a page at {@code u}: scheme, host and the port only if it
   * is not the scheme's default (browsers leave 443 and 80 out).
   */
  static String origin(URI u) {
    int port = u.getPort();
    boolean standard = port < 0 || port == 443 && u.getScheme().equals("https")
        || port == 80 && u.getScheme().equals("http");
    return u.getScheme() + "://" + u.getHost() + (standard ? "" : ":" + port);
  }

  /**
   * Whether the browser reaches the page over TLS: ours, or a proxy's in front of us, which
   * {@code --web-url https://...} tells us of (the request reaching us is plain then).
   */
  private boolean secure(Request req) {
    return req.isSecure() || options.tls()
        || options.url().map(u -> u.getScheme().equals("https")).orElse(false);
  }

  private String cookieName() {
    return options.tls() || options.url().map(u -> u.getScheme().equals("https")).orElse(false)
        ? SECURE_COOKIE : COOKIE;
  }

  /** What a refusal of a foreign Origin tells the browser and the log. */
  private String originHint() {
    return options.url().isPresent() ? "this page is " + origin(options.url().get())
        : "behind a proxy, start the gateway with --web-url set to the address browsers use";
  }

  private String cookie(Request req) {
    for (HttpCookie c : Request.getCookies(req)) {
      if (c.getName().equals(cookieName())) {
        return c.getValue();
      }
    }
    return null;
  }

  private static boolean same(String a, String b) {
    return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8));
  }

  private static void answer(Response resp, Callback cb, int status, String type, byte[] body) {
    resp.setStatus(status);
    HEADERS.forEach((k, v) -> resp.getHeaders().put(k, v));
    resp.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    resp.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    resp.write(true, ByteBuffer.wrap(body), cb);
  }

  private static void json(Response resp, Callback cb, int status, Map<String, ?> m) {
    try {
      answer(resp, cb, status, "application/json", JSON.writeValueAsBytes(m));
    } catch (IOException e) {
      cb.failed(e);
    }
  }

  /**
   * {@code GET /ws}: the session's cookie and the page's own origin, or no session. A page of
   * this origin is refused with a close code and a reason after the upgrade, not with an HTTP
   * status, which a browser's page never sees (it gets 1006, as for a dropped network, and
   * would retry); another origin's gets 403.
   */
  private Object upgrade(ServerUpgradeRequest req, ServerUpgradeResponse resp, Callback cb) {
    if (!originAllowed(req)) {
      if (firstThisMinute(Request.getRemoteAddr(req))) {
        log.info("gateway web: websocket from {} refused: its Origin {} is not this page's "
            + "({})", client(req), req.getHeaders().get(HttpHeader.ORIGIN), originHint());
      }
      json(resp, cb, 403, Map.of("error", "a websocket from another page's origin ("
          + originHint() + ")"));
      return null;
    }
    String cookie = cookie(req);
    Fields q = Request.extractQueryParameters(req);
    String sid = q.getValue("session");
    WebSession s = sid == null ? null : sessions.get(sid);
    if (cookie == null || s == null || !same(s.cookie, cookie)) {
      String why = cookie == null ? "no session cookie" : s == null
          ? "no such session (it ended, or the gateway restarted)"
          : "the cookie is not the session's";
      if (firstThisMinute(Request.getRemoteAddr(req))) {
        log.info("gateway web: websocket from {} refused: {}", client(req), why);
      }
      return new Refused(s == null && cookie != null ? WebSession.NO_SUCH_SESSION
          : WebSession.NOT_YOURS, s == null && cookie != null ? "the session has ended"
              : "this browser did not open the session");
    }
    return s.endpoint(size(q.getValue("cols"), 80), size(q.getValue("rows"), 24));
  }

  /** A websocket closed as soon as it opens, with a code and reason the page shows. */
  public static final class Refused implements org.eclipse.jetty.websocket.api.Session.Listener {
    private final int code;
    private final String reason;

    Refused(int code, String reason) {
      this.code = code;
      this.reason = reason;
    }

    @Override
    public void onWebSocketOpen(org.eclipse.jetty.websocket.api.Session session) {
      session.close(code, reason, org.eclipse.jetty.websocket.api.Callback.NOOP);
    }

    /**
     * A refused client that never answers the close (or drops) ends in an error here; it was
     * refused and logged already, and Jetty's own WARN for an unhandled error would be noise.
     */
    @Override
    public void onWebSocketError(Throwable cause) {
      log.debug("gateway web: a refused websocket ended: {}", cause.toString());
    }
  }

  private static int size(String v, int fallback) {
    try {
      int n = v == null ? fallback : Integer.parseInt(v);
      return Math.max(1, Math.min(n, 1000));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * A login refused: the events are told (as of an SSH login), the log gets one line a
   * minute per address at most (a client that keeps trying does not flood it).
   */
  private void refused(Request req, String user, String why) {
    String address = Request.getRemoteAddr(req);
    registry.webLoginFailed(user, address, why);
    if (firstThisMinute(address)) {
      log.info("gateway web: login{} from {} refused: {}", user.isEmpty() ? "" : " of " + user,
          client(req), why);
    }
  }

  /**
   * Whether a refusal of {@code address} is its first for a minute (logins and websockets
   * alike), to log it: a client that keeps trying does not flood the log.
   */
  private boolean firstThisMinute(String address) {
    long now = System.nanoTime();
    boolean[] first = new boolean[1];
    refusalsLogged.compute(address, (a, last) -> {
      first[0] = last == null || now - last >= REFUSAL_LOG_NANOS;
      return first[0] ? now : last;
    });
    if (refusalsLogged.size() > 10_000) {
      refusalsLogged.values().removeIf(t -> now - t >= REFUSAL_LOG_NANOS);
    }
    return first[0];
  }

  /**
   * {@code POST /login}, on Jetty's thread: at most {@link #MAX_LOGINS} at once (else 503);
   * the body is read without a thread waiting on it, within {@link #LOGIN_BODY_TIMEOUT} (else
   * 408), then the login runs on the workers.
   */
  private void acceptLogin(Request req, Response resp, Callback cb) {
    String origin = req.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !originAllowed(req)) {
      refused(req, "", "its Origin " + origin + " is not this page's (" + originHint() + ")");
      json(resp, cb, 403, Map.of("error", "a login from another page's origin ("
          + originHint() + ")"));
      return;
    }
    if (registry.webSourcePenalized(Request.getRemoteAddr(req))) {
      refused(req, "", "its address serves a penalty for failed logins");
      resp.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
      json(resp, cb, 429, Map.of("error", "too many failed logins came from your address; "
          + "wait a minute, then open a new login link"));
      return;
    }
    if (draining) {
      refused(req, "", "the gateway is draining");
      json(resp, cb, 503, Map.of("error", "the gateway is draining (it is about to stop or "
          + "restart); open a new login link once it is back"));
      return;
    }
    if (!logins.tryAcquire()) {
      refused(req, "", MAX_LOGINS + " logins are under way, the most at once");
      resp.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
      json(resp, cb, 503, Map.of("error", "the gateway has " + MAX_LOGINS + " logins under "
          + "way; try again in a moment"));
      return;
    }
    if (req.getLength() > MAX_LOGIN_BODY) {
      logins.release();
      refused(req, "", "its body of " + req.getLength() + " bytes is too large");
      json(resp, cb, 413, Map.of("error", "the body must be {\"token\": \"...\"}, at most "
          + MAX_LOGIN_BODY + " bytes"));
      return;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        logins.release();
      }
    };
    Callback done = Callback.from(() -> {
      release.run();
      cb.succeeded();
    }, x -> {
      release.run();
      cb.failed(x);
    });
    AtomicBoolean answered = new AtomicBoolean();
    ScheduledFuture<?> deadline;
    try {
      deadline = timer.schedule(() -> {
        if (answered.compareAndSet(false, true)) {
          refused(req, "", "its body did not come within " + LOGIN_BODY_TIMEOUT.toSeconds()
              + " s");
          resp.getHeaders().put(HttpHeader.CONNECTION, "close");
          json(resp, done, 408, Map.of("error", "the login's body did not come within "
              + LOGIN_BODY_TIMEOUT.toSeconds() + " s"));
        }
      }, LOGIN_BODY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      json(resp, done, 503, Map.of("error", "the gateway is closing"));
      return;
    }
    Content.Source.asByteArrayAsync(req, MAX_LOGIN_BODY).whenComplete((body, x) -> {
      deadline.cancel(false);
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      if (x != null) {
        json(resp, done, 400, Map.of("error", "the body must be {\"token\": \"...\"}, "
            + "at most " + MAX_LOGIN_BODY + " bytes"));
        return;
      }
      try {
        workers.execute(() -> {
          try {
            login(req, resp, done, body);
          } catch (RuntimeException e) {
            log.warn("gateway web: a login failed: {}", e.toString());
            done.failed(e);
          }
        });
      } catch (RejectedExecutionException closing) {
        json(resp, done, 503, Map.of("error", "the gateway is closing"));
      }
    });
  }

  /** {@code POST /login} with its body: a token for a session and its cookie. */
  private void login(Request req, Response resp, Callback cb, byte[] body) {
    String token;
    try {
      JsonNode n = JSON.readTree(body);
      token = n == null || !n.path("token").isTextual() ? null : n.path("token").asText();
    } catch (IOException e) {
      token = null;
    }
    if (token == null) {
      json(resp, cb, 400, Map.of("error", "the body must be {\"token\": \"...\"}"));
      return;
    }
    WebLinks.Verified checked = links.verify(token);
    if (checked instanceof WebLinks.Refusal r) {
      if (r == WebLinks.Refusal.FORGED) {
        // only a link the gateway never made is held against the address (guessing); an
        // expired or spent one is an honest mistake, and a class behind one NAT address
        // must not lock itself out by clicking old links
        registry.webLinkRefused(Request.getRemoteAddr(req));
      }
      refused(req, "", r.why());
      json(resp, cb, 401, Map.of("error", r.why()));
      return;
    }
    WebLinks.Token t = (WebLinks.Token) checked;
    try {
      checkShell();
    } catch (BackendException e) {
      refused(req, t.user(), e.getMessage());
      json(resp, cb, 403, Map.of("error", e.getMessage()));
      return;
    }
    String limit = registry.admitWeb(t.user());
    if (limit != null) {
      refused(req, t.user(), limit);
      json(resp, cb, 429, Map.of("error", limit));
      return;
    }
    boolean first;
    try {
      first = links.spend(t);
    } catch (IllegalStateException cannotRecord) {
      // the link stays unspent; the operator is told (the key's directory is not writable)
      registry.webClosed(t.user());
      log.warn("gateway web: {}", cannotRecord.getMessage());
      json(resp, cb, 503, Map.of("error", "the gateway cannot record logins now; try the "
          + "same link again in a moment (its operator is told)"));
      return;
    }
    if (!first) {
      registry.webClosed(t.user());
      refused(req, t.user(), WebLinks.Refusal.USED.why());
      json(resp, cb, 401, Map.of("error", WebLinks.Refusal.USED.why()));
      return;
    }
    String id = registry.newId();
    ConnectionInfo info = new ConnectionInfo(t.user(), inet(req.getConnectionMetaData()
        .getRemoteSocketAddress()), id, inet(req.getConnectionMetaData()
            .getLocalSocketAddress()), LoginIdentity.webLink());
    Map<String, String> context = Map.of("connection", id, "user", t.user(), "client",
        Request.getRemoteAddr(req));
    AuditLog.Connection a = audit == null ? AuditLog.Connection.NONE
        : audit.web(id, info.client(), info.server(), t.user(), t.name());
    CompletableFuture<ConnectionHandler> handler = registry.connect(info, context);
    // a new cookie at every login, never the one presented: a cookie planted in the browser
    // (by another service on the host, which cookies do not tell apart) must not become the
    // key of the session opened now. The other tabs of this browser, whose sessions had the
    // presented cookie, are re-keyed to the new one, so that they can still re-attach.
    String known = cookie(req);
    String cookie = random();
    if (known != null) {
      sessions.values().stream().filter(o -> same(o.cookie, known)).forEach(o -> o.cookie =
          cookie);
    }
    WebSession s = new WebSession(id, random(), cookie, info, this, handler, a, context);
    boolean late;
    synchronized (lifecycle) {
      late = closed;
      if (!late) {
        sessions.put(s.sid, s);
      }
    }
    if (late) {
      // close() has ended the sessions it found: this one ends here, so that its container,
      // on its way already, is removed once it runs
      s.end("the gateway is closing");
      json(resp, cb, 503, Map.of("error", "the gateway is closing"));
      return;
    }
    s.awaitPage(options.reconnect());
    log.info("gateway web session {}: {} logged in with link {}", id, info.display(),
        t.name());
    resp.getHeaders().add(HttpHeader.SET_COOKIE, cookieName() + "=" + cookie
        + "; Path=/; HttpOnly; SameSite=Strict" + (secure(req) ? "; Secure" : ""));
    json(resp, cb, 200, Map.of("user", t.user(), "session", s.sid));
  }

  private void resource(Response resp, Callback cb, String name, String type) throws IOException {
    ClassLoader loader = WebServer.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(WEB + name)) {
      if (in == null) {
        answer(resp, cb, 404, "text/plain; charset=utf-8", ("not found" + (name.equals(
            "index.html") ? ": this gateway was built without its web page" : ""))
                .getBytes(StandardCharsets.UTF_8));
        return;
      }
      answer(resp, cb, 200, type, in.readAllBytes());
    }
  }

  /** The page, its assets and the login; the websocket handler is in front of this. */
  private final class Routes extends Handler.Abstract.NonBlocking {
    @Override
    public boolean handle(Request req, Response resp, Callback cb) throws Exception {
      String path = Request.getPathInContext(req);
      String method = req.getMethod();
      if (path.equals("/login") && method.equals("POST")) {
        acceptLogin(req, resp, cb);
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        answer(resp, cb, 405, "text/plain; charset=utf-8", "method not allowed".getBytes(
            StandardCharsets.US_ASCII));
      } else if (path.equals("/") || path.equals("/index.html")) {
        resource(resp, cb, "index.html", "text/html; charset=utf-8");
      } else if (path.startsWith("/assets/") && ASSET.matcher(path.substring(8)).matches()) {
        String name = path.substring(8);
        resource(resp, cb, "assets/" + name, name.endsWith(".js")
            ? "application/javascript; charset=utf-8" : "text/css; charset=utf-8");
      } else {
        answer(resp, cb, 404, "text/plain; charset=utf-8", "not found".getBytes(
            StandardCharsets.US_ASCII));
      }
      return true;
    }
  }

  /**
   * Ends every session (their containers go as SSH connections' do), then stops Jetty. A login
   * under way meanwhile ends its own session. Idempotent.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    draining = true;
    synchronized (lifecycle) {
      closed = true;
    }
    if (pings != null) {
      pings.cancel(false);
    }
    if (sweeps != null) {
      sweeps.cancel(false);
    }
    if (idleChecks != null) {
      idleChecks.cancel(false);
    }
    for (WebSession s : sessions.values()) {
      s.end("the gateway is closing");
    }
    stopJetty();
  }

  private void stopJetty() {
    try {
      jetty.stop();
    } catch (Exception e) {
      log.warn("gateway {}: stopping the web terminal: {}", gatewayId, e.toString());
    }
  }
}
