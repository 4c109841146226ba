package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.internal.WebLinks;
import io.github.sshcontainer.gateway.internal.WebServer;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.TlsFiles;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web terminal at the websocket level, with the JDK's HttpClient as the page: a link from
 * {@code ssh -s web-link}, the login, the shell and its size, the refusals, 50 pages at once,
 * a page that stops reading, a dropped page coming back, TLS.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayWebTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private LabGateway gateway(UnaryOperator<WebOptions.Builder> web,
      UnaryOperator<GatewayOptions.Builder> more) {
    return gateway(tmp.resolve("gw"), web, more);
  }

  private LabGateway gateway(Path dir, UnaryOperator<WebOptions.Builder> web,
      UnaryOperator<GatewayOptions.Builder> more) {
    return LabGateway.start(dir, LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        o -> more.apply(o.web(web.apply(WebOptions.listen("127.0.0.1", 0)).build())));
  }

  private static String origin(LabGateway g, boolean tls) {
    return (tls ? "https" : "http") + "://127.0.0.1:" + g.server.webAddress().orElseThrow()
        .getPort();
  }

  /** A login's answer: status, JSON body, the cookie's value (or null) and its header. */
  record Login(int status, JsonNode body, String cookie, String setCookie) {}

  private static Login login(HttpClient http, String origin, String token) throws Exception {
    return login(http, origin, token, null);
  }

  /** A login from a browser that holds {@code cookie} already (null: none). */
  private static Login login(HttpClient http, String origin, String token, String cookie)
      throws Exception {
    return login(http, origin, origin, token, cookie);
  }

  /** A login sent to the page at {@code base} from a page whose Origin is {@code origin}. */
  private static Login login(HttpClient http, String base, String origin, String token,
      String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/login"));
    if (cookie != null) {
      b.header("Cookie", cookieName(origin) + "=" + cookie);
    }
    HttpResponse<String> r = http.send(b
        .header("Content-Type", "application/json").header("Origin", origin)
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(java.util.Map.of(
            "token", token)))).build(), HttpResponse.BodyHandlers.ofString());
    String set = r.headers().firstValue("Set-Cookie").orElse(null);
    String got = set == null ? null : set.substring(set.indexOf('=') + 1, set.indexOf(';'));
    return new Login(r.statusCode(), JSON.readTree(r.body()), got, set);
  }

  /** The session cookie's name: with the __Host- prefix under TLS. */
  private static String cookieName(String origin) {
    return origin.startsWith("https") ? "__Host-sshc_web" : "sshc_web";
  }

  private static String token(String link) {
    assertTrue(link.contains("/#t="), link);
    return link.substring(link.indexOf("#t=") + 3).trim();
  }

  /**
   * {@code token} with one character changed in its middle: another token (a change to the
   * last character could touch only its unused low bits, and decode to the same bytes).
   */
  private static String forged(String token) {
    int i = token.length() / 2;
    char c = token.charAt(i);
    return token.substring(0, i) + (c == 'A' ? 'B' : 'A') + token.substring(i + 1);
  }

  /** One page's websocket: what it received, and control over how much it reads. */
  static final class Page implements WebSocket.Listener {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final List<JsonNode> texts = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    volatile boolean reading = true;
    volatile String reason = "";
    private final StringBuilder text = new StringBuilder();
    WebSocket ws;

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      synchronized (out) {
        out.write(b, 0, b.length);
        out.notifyAll();
      }
      if (reading) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          texts.add(JSON.readTree(text.toString()));
        } catch (Exception e) {
          throw new AssertionError("a text frame that is not JSON: " + text, e);
        }
        text.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      this.reason = reason;
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(-1);
    }

    byte[] bytes() {
      synchronized (out) {
        return out.toByteArray();
      }
    }

    String output() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** Waits until the output from {@code from} on contains {@code what}; its end index. */
    int await(String what, int from) throws InterruptedException {
      long end = System.nanoTime() + SOON.toNanos();
      synchronized (out) {
        while (true) {
          String s = new String(out.toByteArray(), StandardCharsets.ISO_8859_1);
          int i = s.indexOf(what, from);
          if (i >= 0) {
            return i + what.length();
          }
          long left = end - System.nanoTime();
          assertTrue(left > 0, "'" + what + "' in the page's output: " + s);
          out.wait(Math.max(1, left / 1_000_000));
        }
      }
    }

    void type(String s) {
      ws.sendBinary(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), true).join();
    }

    void resize(int cols, int rows) {
      ws.sendText("{\"type\":\"resize\",\"cols\":" + cols + ",\"rows\":" + rows + "}", true)
          .join();
    }

    /** Runs {@code cmd} and returns its output line: between two markers the echo lacks. */
    String run(String cmd) throws InterruptedException {
      int from = bytes().length;
      type("echo B\"\"EGIN; " + cmd + "; echo E\"\"ND\r");
      int start = await("BEGIN\r\n", from);
      int end = await("END", start);
      return output().substring(start, end - 3).trim();
    }
  }

  private static Page open(HttpClient http, String origin, String cookie, String session,
      int cols, int rows) {
    return open(http, origin, origin, cookie, session, cols, rows);
  }

  /** A websocket to the page at {@code base}, sending {@code origin} as its Origin. */
  private static Page open(HttpClient http, String base, String origin, String cookie,
      String session, int cols, int rows) {
    Page p = new Page();
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(SOON);
    if (cookie != null) {
      b.header("Cookie", cookieName(base) + "=" + cookie);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    String ws = (base.startsWith("https") ? "wss" : "ws") + "://"
        + base.substring(base.indexOf("://") + 3);
    p.ws = b.buildAsync(URI.create(ws + "/ws?session=" + session + "&cols=" + cols + "&rows="
        + rows), p).join();
    return p;
  }

  private static int refusedWith(Runnable open) {
    CompletionException e = assertThrows(CompletionException.class, open::run);
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
  }

  /** Opened, then closed by the gateway at once: its close code and reason. */
  private static String closedWith(java.util.function.Supplier<Page> open) throws Exception {
    Page p = open.get();
    int code = p.closed.get(30, TimeUnit.SECONDS);
    assertTrue(p.texts.isEmpty(), "no hello for a refused page: " + p.texts);
    return code + " " + p.reason;
  }

  private static void awaitHello(Page p, String user) throws InterruptedException {
    long end = System.nanoTime() + SOON.toNanos();
    while (p.texts.isEmpty()) {
      assertTrue(System.nanoTime() < end, "a hello");
      Thread.sleep(20);
    }
    JsonNode hello = p.texts.get(0);
    assertEquals("hello", hello.path("type").asText(), hello.toString());
    assertEquals(user, hello.path("user").asText());
    assertEquals(12, hello.path("container").asText().length(), hello.toString());
    assertTrue(hello.path("reconnect").asLong() > 0, "the reconnect window: " + hello);
  }

  @Test
  void aLinkFromSshOpensAShellOfThePagesSizeOnce() throws Exception {
    Set<String> baseline = LabGateway.threads();
    try (LabGateway g = gateway(w -> w, o -> o)) {
      OpenSshClient.Result r = g.alice().ssh("web-link", null, SOON, "-s");
      assertEquals(0, r.code(), r.err());
      String link = r.out().trim();
      assertEquals(1, link.lines().count(), link);
      String origin = origin(g, false);
      assertTrue(link.startsWith(origin + "/#t="), link);
      // the subsystem never reaches the backend; the SSH connection's own container (made at
      // login, in connection mode) goes with the connection, and nothing stays for the link
      g.awaitNoContainers("alice", SOON);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(link));
      assertEquals(200, in.status(), in.body().toString());
      assertEquals("alice", in.body().path("user").asText());
      assertTrue(in.setCookie().endsWith("; Path=/; HttpOnly; SameSite=Strict"), in.setCookie());
      assertTrue(in.cookie().length() >= 22, "a cookie of 128 bits or more: " + in.cookie());

      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 100, 30);
      awaitHello(p, "alice");
      assertEquals("42", p.run("echo $((6*7))"));
      assertEquals("30 100", p.run("stty size"), "the page's first size, before any resize");
      p.resize(120, 40);
      assertEquals("40 120", p.run("stty size"));

      Login again = login(http, origin, token(link));
      assertEquals(401, again.status(), "a used link: " + again.body());
      assertEquals(null, again.cookie());

      p.type("exit 3\r");
      assertEquals(1000, p.closed.get(30, TimeUnit.SECONDS));
      JsonNode exit = p.texts.get(p.texts.size() - 1);
      assertEquals("exit", exit.path("type").asText(), p.texts.toString());
      assertEquals(3, exit.path("status").asInt());
      g.awaitNoContainers("alice", SOON);
      assertEquals(0, g.server.web().openSessions());
    }
    LabGateway.awaitThreadsBackTo(baseline);
  }

  @Test
  void refusesExpiredForgedAndUsedLinksAMissingCookieAndAForeignOrigin() throws Exception {
    try (LabGateway g = gateway(w -> w.linkTtl(Duration.ofSeconds(1)), o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      String expired = token(g.server.web().link("alice", null));
      Thread.sleep(1500);
      assertEquals(401, login(http, origin, expired).status(), "an expired link");

      String fresh = token(g.server.web().link("alice", null));
      String forged = forged(fresh);
      assertEquals(401, login(http, origin, forged).status(), "a forged link");
      assertEquals(401, login(http, origin, "not.a-token").status(), "garbage");
      Login in = login(http, origin, fresh);
      assertEquals(200, in.status(), in.body().toString());
      assertEquals(401, login(http, origin, fresh).status(), "a used link");
      String session = in.body().path("session").asText();

      // the page's own origin is answered with a close code and a reason it shows (an HTTP
      // status would reach it as 1006, a dropped network, and it would retry)
      assertEquals("4003 this browser did not open the session", closedWith(() -> open(http,
          origin, null, session, 80, 24)), "no cookie");
      assertEquals(403, refusedWith(() -> open(http, origin, "http://evil.example:" + g.server
          .webAddress().orElseThrow().getPort(), in.cookie(), session, 80, 24)),
          "a foreign Origin");
      assertEquals("4003 this browser did not open the session", closedWith(() -> open(http,
          origin, "x" + in.cookie(), session, 80, 24)), "another cookie");
      assertEquals("4004 the session has ended", closedWith(() -> open(http, origin,
          in.cookie(), "no-such-session", 80, 24)), "no such session");
      // the session is still there for its own page
      Page p = open(http, origin, in.cookie(), session, 80, 24);
      awaitHello(p, "alice");
      assertEquals("42", p.run("echo $((6*7))"));
      p.ws.sendClose(1000, "done").join();
      g.awaitNoContainers("alice", SOON);
    }
  }

  @Test
  void fiftyPagesAtOnceEachEchoTheirOwnMebibyte() throws Exception {
    int pages = 50;
    try (LabGateway g = gateway(w -> w, o -> o.maxConnectionsPerUser(pages + 5)
        .maxConnections(pages + 20))) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      ExecutorService pool = Executors.newFixedThreadPool(pages);
      try {
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
          int n = i;
          all.add(pool.submit(() -> {
            Login in = login(http, origin, token(g.server.web().link("bob", null)));
            assertEquals(200, in.status());
            Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80,
                24);
            awaitHello(p, "bob");
            // raw: the pty passes every byte through, and echoes none itself
            p.type("stty raw -echo; echo RE\"\"ADY; cat\r");
            // raw came before the echo, so no CR: the pty's output is passed as it is
            int from = p.await("READY\n", 0);
            byte[] mine = new byte[1 << 20];
            Random random = new Random(n);
            for (int k = 0; k < mine.length; k++) {
              mine[k] = (byte) ('a' + random.nextInt(26));
            }
            for (int k = 0; k < mine.length; k += 16 << 10) {
              p.ws.sendBinary(ByteBuffer.wrap(mine, k, 16 << 10), true).join();
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            byte[] got;
            while ((got = p.bytes()).length < from + mine.length) {
              assertTrue(System.nanoTime() < end, "page " + n + " got " + (got.length - from)
                  + " bytes");
              Thread.sleep(50);
            }
            assertArrayEquals(mine, Arrays.copyOfRange(got, from, from + mine.length),
                "page " + n + "'s own bytes, in order");
            p.ws.sendClose(1000, "done").join();
            return null;
          }));
        }
        for (Future<?> f : all) {
          f.get(240, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      g.awaitNoContainers("bob", SOON);
    }
  }

  @Test
  void aPageThatStopsReadingStallsOnlyItsOwnSessionWithinTheBound() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login slowIn = login(http, origin, token(g.server.web().link("carol", null)));
      Page slow = open(http, origin, slowIn.cookie(), slowIn.body().path("session").asText(),
          80, 24);
      awaitHello(slow, "carol");
      slow.reading = false; // a tab in the background: it reads no more frames
      slow.type("yes 0123456789012345678901234567890123456789\r");
      Login fastIn = login(http, origin, token(g.server.web().link("dave", null)));
      Page fast = open(http, origin, fastIn.cookie(), fastIn.body().path("session").asText(),
          80, 24);
      awaitHello(fast, "dave");
      Thread.sleep(3000); // the slow page's socket and the bound fill
      for (int i = 0; i < 5; i++) {
        assertEquals(String.valueOf(i * 7), fast.run("echo $((" + i + "*7))"),
            "the other session answers while one is stalled");
      }
      long bound = (1 << 20) + (16 << 10);
      long held = g.server.web().buffered().values().stream().mapToLong(Long::longValue).max()
          .orElseThrow();
      assertTrue(held > (1 << 19), "the stalled session holds output: " + held
          + " (else the test stalled nothing)");
      assertTrue(g.server.web().peakBuffered() <= bound, "at most 1 MiB and a chunk held: "
          + g.server.web().peakBuffered());
      long before = slow.bytes().length;
      Thread.sleep(500);
      assertEquals(before, slow.bytes().length, "the stalled page is sent nothing more");
      slow.ws.abort();
      fast.ws.sendClose(1000, "done").join();
    }
  }

  @Test
  void aDroppedPageComesBackToTheSameShellAndAfterTheWindowItsContainerGoes()
      throws Exception {
    try (LabGateway g = gateway(w -> w.reconnect(Duration.ofSeconds(3)), o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(g.server.web().link("erin", null)));
      String session = in.body().path("session").asText();
      Page first = open(http, origin, in.cookie(), session, 80, 24);
      awaitHello(first, "erin");
      assertEquals(3, first.texts.get(0).path("reconnect").asInt(), "--web-reconnect, for the "
          + "page");
      assertEquals("", first.run("x=still-here"));
      first.type("sleep 1; echo DETA\"\"CHED-OUTPUT\r");
      first.ws.abort(); // as a proxy or a laptop's sleep drops it: no close frame
      Thread.sleep(1500);
      Page second = open(http, origin, in.cookie(), session, 90, 20);
      awaitHello(second, "erin");
      second.await("DETACHED-OUTPUT", 0); // what came while no page was there
      assertEquals("still-here", second.run("echo $x"), "the same shell");
      assertEquals("20 90", second.run("stty size"), "the new page's size");
      assertEquals(1, g.containersOf("erin").size());
      second.ws.abort();
      g.awaitNoContainers("erin", Duration.ofSeconds(30));
      assertEquals("4004 the session has ended", closedWith(() -> open(http, origin,
          in.cookie(), session, 80, 24)), "after the window the session is gone");
    }
  }

  /**
   * A page that vanished without a word (no close, no RST: a laptop closed for good) answers
   * no pings: after three it is taken for gone, and after the reconnect window its container
   * goes; a page that answers pings (the JDK's client, as browsers, answers them itself)
   * stays attached meanwhile, with no input.
   */
  @Test
  void aPageThatAnswersNoPingsIsTakenForGoneAndOneThatDoesStays() throws Exception {
    try (LabGateway g = gateway(w -> w.ping(Duration.ofSeconds(1))
        .reconnect(Duration.ofSeconds(2)), o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login alive = login(http, origin, token(g.server.web().link("alice", null)));
      Page page = open(http, origin, alive.cookie(), alive.body().path("session").asText(),
          80, 24);
      awaitHello(page, "alice");

      Login silent = login(http, origin, token(g.server.web().link("bob", null)));
      int port = g.server.webAddress().orElseThrow().getPort();
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        // a websocket handshake by hand, then nothing: no pong, no close, the socket open
        s.getOutputStream().write(("GET /ws?session=" + silent.body().path("session").asText()
            + "&cols=80&rows=24 HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: "
            + "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + origin + "\r\n"
            + "Cookie: sshc_web=" + silent.cookie() + "\r\n\r\n").getBytes(
                StandardCharsets.US_ASCII));
        assertEquals(101, status(s), "the upgrade");
        long end = System.nanoTime() + SOON.toNanos();
        while (g.containersOf("bob").isEmpty()) {
          assertTrue(System.nanoTime() < end, "bob's container starts");
          Thread.sleep(50);
        }
        // 3 pings unanswered, then the 2 s window: the container goes with the socket open
        g.awaitNoContainers("bob", Duration.ofSeconds(30));
        assertFalse(s.isClosed());
      }
      assertEquals("still-here", page.run("echo still-here"), "the answering page stays");
      assertEquals(1, g.containersOf("alice").size());
      assertFalse(page.closed.isDone(), "not closed: " + page.reason);
    }
  }

  @Test
  void servesThePageOverTlsWithACertificateMadeByOpenssl() throws Exception {
    TlsFiles tls = TlsFiles.make(tmp.resolve("tls"));
    try (LabGateway g = gateway(w -> w.tls(tls.serverCert(), tls.serverKey()), o -> o)) {
      String origin = origin(g, true);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(tls.ca())) {
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
            .generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      HttpClient http = HttpClient.newBuilder().sslContext(context).build();
      String link = g.server.web().link("frank", null);
      assertTrue(link.startsWith(origin + "/#t="), link);
      Login in = login(http, origin, token(link));
      assertEquals(200, in.status(), in.body().toString());
      assertTrue(in.setCookie().startsWith("__Host-sshc_web=")
          && in.setCookie().endsWith("; Path=/; HttpOnly; SameSite=Strict; Secure"),
          in.setCookie());
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "frank");
      assertEquals("42", p.run("echo $((6*7))"));
      p.ws.sendClose(1000, "done").join();
      g.awaitNoContainers("frank", SOON);
      // and a plain client is not served
      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThrows(Exception.class, () -> login(plain, origin.replace("https", "http"),
          token(link)));
    }
  }

  /** A new key for {@code user} with a certificate {@code ca} signs, with {@code options}. */
  private Path certified(Path ca, String name, String user, String... options) {
    Path key = tmp.resolve("keys").resolve(name);
    try {
      Files.createDirectories(key.getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Keys.generate(key, "", "ed25519");
    List<String> cmd = new ArrayList<>(List.of(Prerequisites.require("openssh-client",
        "/usr/bin/ssh-keygen").toString(), "-q", "-s", ca.toString(), "-I", name, "-n", user));
    cmd.addAll(List.of(options));
    cmd.add(key + ".pub");
    OpenSshClient.Result r = OpenSshClient.run(cmd, null, SOON);
    assertEquals(0, r.code(), "ssh-keygen -s: " + r.err());
    return key;
  }

  /**
   * A link's session is a pty shell from any address: a certificate without permit-pty, or
   * with a source-address, would get round its restriction with one, so it makes none.
   */
  @Test
  void aCertificateWithoutPermitPtyOrWithASourceAddressMakesNoLink() throws Exception {
    Path ca = tmp.resolve("ca");
    Keys.generate(ca, "", "ed25519");
    Path trusted = Files.writeString(tmp.resolve("trusted_user_ca_keys"),
        Files.readString(Path.of(ca + ".pub")));
    try (LabGateway g = gateway(w -> w, o -> o.trustedUserCaKeys(trusted))) {
      Path noPty = certified(ca, "nopty", "alice", "-O", "no-pty");
      OpenSshClient.Result r = new OpenSshClient(noPty, g.knownHosts(), g.server.port(),
          "alice").ssh("web-link", null, SOON, "-s");
      assertNotEquals(0, r.code(), r.out());
      assertFalse(r.out().contains("#t="), "no link: " + r.out());
      assertTrue(r.err().contains("no permit-pty"), r.err());
      Path fromHere = certified(ca, "fromhere", "alice", "-O",
          "source-address=127.0.0.1/32");
      r = new OpenSshClient(fromHere, g.knownHosts(), g.server.port(), "alice").ssh(
          "web-link", null, SOON, "-s");
      assertNotEquals(0, r.code(), r.out());
      assertFalse(r.out().contains("#t="), "no link: " + r.out());
      assertTrue(r.err().contains("source-address"), r.err());
      Path plain = certified(ca, "plain", "alice");
      r = new OpenSshClient(plain, g.knownHosts(), g.server.port(), "alice").ssh("web-link",
          null, SOON, "-s");
      assertEquals(0, r.code(), "a certificate with permit-pty and no source-address: "
          + r.err());
      assertTrue(r.out().contains("/#t="), r.out());
    }
  }

  @Test
  void aLinkSpentBeforeARestartStaysSpentAfterItAndLinksLiveAtMostADay() throws Exception {
    Path key = tmp.resolve("links").resolve("web_link_key");
    String token;
    try (LabGateway g = gateway(tmp.resolve("gw1"), w -> w.linkKey(key), o -> o)) {
      token = token(g.server.web().link("alice", null));
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin(g, false), token);
      assertEquals(200, in.status(), in.body().toString());
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(key.resolveSibling("web_link_key.spent"))));
    }
    try (LabGateway g = gateway(tmp.resolve("gw2"), w -> w.linkKey(key), o -> o)) {
      Login again = login(HttpClient.newHttpClient(), origin(g, false), token);
      assertEquals(401, again.status(), "a link used before the restart: " + again.body());
      assertTrue(again.body().path("error").asText().contains("used"), again.body()
          .toString());
      assertEquals(0, g.server.web().openSessions());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WebOptions.listen("127.0.0.1", 0).linkTtl(Duration.ofHours(25)));
    assertTrue(e.getMessage().contains("24 h"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GatewayServer.webLink(tmp.resolve(
        "gw1").resolve("host_key"), WebOptions.listen("127.0.0.1", 8080).linkKey(key).build(),
        "alice", Duration.ofDays(30)));
  }

  /** A raw POST /login whose body never comes (its headers promise 100 bytes); its socket. */
  private static java.net.Socket slowLogin(int port) throws Exception {
    java.net.Socket s = new java.net.Socket("127.0.0.1", port);
    s.setSoTimeout(60_000);
    s.getOutputStream().write(("POST /login HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(
            StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  private static int status(java.net.Socket s) throws Exception {
    String line = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
        StandardCharsets.US_ASCII)).readLine();
    assertTrue(line != null && line.startsWith("HTTP/1.1 "), "a status line: " + line);
    return Integer.parseInt(line.substring(9, 12));
  }

  /**
   * Behind a TLS proxy (the gateway plain on loopback, {@code --web-url https://HOST/}): the
   * browser's Origin has no port (443 is the default) and is let in, the cookie is
   * {@code __Host-} and Secure although the request reaching the gateway is plain, and a
   * foreign Origin's refusal says which origin the page has; without a url the refusal says
   * to give one.
   */
  @Test
  void behindATlsProxyTheUrlsOriginIsLetInAndTheCookieIsSecure() throws Exception {
    try (LabGateway g = gateway(w -> w.url(URI.create("https://gw.example:443/")), o -> o)) {
      String base = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, base, "https://gw.example", token(g.server.web().link("alice",
          null)), null);
      assertEquals(200, in.status(), in.body().toString());
      assertTrue(in.setCookie().startsWith("__Host-sshc_web=")
          && in.setCookie().contains("; Secure"), in.setCookie());
      Login foreign = login(http, base, "https://gw.example:8443", token(g.server.web().link(
          "alice", null)), null);
      assertEquals(403, foreign.status());
      assertTrue(foreign.body().path("error").asText().contains("this page is "
          + "https://gw.example"), foreign.body().toString());
      // the proxy names each browser's address: forged links from one earn a penalty that
      // the others (the same proxy's connections to the gateway) are not held to
      for (int i = 0; i < 4; i++) {
        assertEquals(401, forwarded(http, base, forged(token(g.server.web().link("alice",
            null))), "203.0.113.7"));
      }
      assertEquals(429, forwarded(http, base, token(g.server.web().link("alice", null)),
          "203.0.113.7"), "the browser that sent them");
      assertEquals(200, forwarded(http, base, token(g.server.web().link("alice", null)),
          "203.0.113.8"), "another browser behind the same proxy");
    }
    try (LabGateway g = gateway(tmp.resolve("gw2"), w -> w, o -> o)) {
      Login proxied = login(HttpClient.newHttpClient(), origin(g, false), "https://gw.example",
          token(g.server.web().link("alice", null)), null);
      assertEquals(403, proxied.status());
      assertTrue(proxied.body().path("error").asText().contains("--web-url"),
          proxied.body().toString());
    }
  }

  /**
   * A web session is a gateway session like an SSH one: in user mode it lands in the user's
   * container, where an SSH login left a file; its connection has an audit log ({@code via
   * web}) and its shell a recording with what it printed; the per-user limit counts it (a
   * second page is refused 429); and a gateway that refuses shells refuses the link (403)
   * without making a container.
   */
  @Test
  void aWebSessionIsAGatewaySessionUserModeAuditLimitsAndPolicy() throws Exception {
    Path audit = tmp.resolve("audit");
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).mode(DockerBackendOptions.Mode.USER)
            .build(), o -> o.auditDir(audit).maxConnectionsPerUser(1)
            .web(WebOptions.listen("127.0.0.1", 0).build()))) {
      OpenSshClient.Result wrote = g.alice().ssh("echo left-by-ssh > /tmp/mark", null, SOON);
      assertEquals(0, wrote.code(), wrote.err());
      List<String> before = g.containersOf("alice").stream().map(c -> c.getId()).toList();
      assertEquals(1, before.size(), "alice's container stays (user mode)");
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      // the SSH connection's end reaches the count a moment after the client exits; a
      // login refused over the limit does not spend its link
      String link = token(g.server.web().link("alice", null));
      Login in = login(http, origin, link);
      for (int i = 0; i < 50 && in.status() == 429; i++) {
        Thread.sleep(100);
        in = login(http, origin, link);
      }
      assertEquals(200, in.status(), in.body().toString());
      Login over = login(http, origin, token(g.server.web().link("alice", null)));
      assertEquals(429, over.status(), "a second session over the per-user limit of 1: "
          + over.body());
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "alice");
      assertEquals("left-by-ssh", p.run("cat /tmp/mark"));
      assertEquals(before, g.containersOf("alice").stream().map(c -> c.getId()).toList(),
          "the same container");
      p.type("exit\r");
      p.closed.get(30, TimeUnit.SECONDS);
      assertEquals("exit", p.texts.get(p.texts.size() - 1).path("type").asText(), p.texts
          .toString());
      // the web connection's audit log and its shell's recording
      long end = System.nanoTime() + SOON.toNanos();
      JsonNode connect = null;
      Path log = null;
      while (connect == null || !Files.readString(log).contains("\"disconnect\"")) {
        assertTrue(System.nanoTime() < end, "a web connection's audit log with its end in "
            + audit);
        Thread.sleep(100);
        try (var files = Files.list(audit)) {
          for (Path f : files.filter(x -> x.toString().endsWith(".jsonl")).toList()) {
            JsonNode first = JSON.readTree(Files.readAllLines(f).get(0));
            if ("web".equals(first.path("via").asText())) {
              connect = first;
              log = f;
            }
          }
        }
      }
      String text = Files.readString(log);
      assertTrue(text.contains("\"user\":\"alice\"") && text.contains("\"method\":\"web-link\"")
          && text.contains("\"link\":\"" + WebLinks.nameOf(link) + "\""), "the link's name in "
          + text);
      assertFalse(text.contains(link), "never the token");
      String id = log.getFileName().toString().replace(".jsonl", "");
      String cast;
      try (var files = Files.list(audit)) {
        Path c = files.filter(x -> x.getFileName().toString().startsWith(id + "-")
            && x.toString().endsWith(".cast")).findFirst().orElseThrow(() ->
                new AssertionError("a recording of " + id + " in " + audit));
        cast = Files.readString(c);
      }
      assertTrue(cast.contains("left-by-ssh"), "what the shell printed: " + cast);
    }
    try (LabGateway g = gateway(tmp.resolve("gw2"), w -> w, o -> o.disableShell(true))) {
      Login refused = login(HttpClient.newHttpClient(), origin(g, false), token(g.server.web()
          .link("alice", null)));
      assertEquals(403, refused.status(), refused.body().toString());
      assertTrue(refused.body().path("error").asText().contains("shell"), refused.body()
          .toString());
      assertEquals(List.of(), g.containersOf("alice"), "no container for a refused link");
    }
  }

  /** A login through a proxy that says it came from {@code client}: its status. */
  private static int forwarded(HttpClient http, String base, String token, String client)
      throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
        .header("Content-Type", "application/json").header("Origin", "https://gw.example")
        .header("X-Forwarded-For", client).header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "gw.example")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(java.util.Map.of(
            "token", token)))).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** A login with {@code token} sent from the local address {@code from}: its status. */
  private static int loginFrom(String from, int port, String token) throws Exception {
    byte[] body = JSON.writeValueAsBytes(java.util.Map.of("token", token));
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port,
        java.net.InetAddress.getByName(from), 0)) {
      s.setSoTimeout(60_000);
      s.getOutputStream().write(("POST /login HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
          + "Origin: http://127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(
              StandardCharsets.US_ASCII));
      s.getOutputStream().write(body);
      s.getOutputStream().flush();
      return status(s);
    }
  }

  /**
   * Links the gateway never signed, sent from one address, earn its web logins sshd's
   * per-source penalty: its next login is refused (429) even with a good link, while another
   * address logs in. Its SSH connections are not held to it, and expired, spent and cut-short
   * links cost nothing: a class behind one address (a NAT, a proxy) clicking old or mangled
   * links must not lock itself out.
   */
  @Test
  void forgedLinksFromOneAddressEarnAWebPenaltyThatLeavesItsSshAlone() throws Exception {
    try (LabGateway g = gateway(w -> w.linkTtl(Duration.ofSeconds(1)),
        o -> o.perSourcePenalties(true, Duration.ofSeconds(15), Duration.ofSeconds(60)))) {
      int port = g.server.webAddress().orElseThrow().getPort();
      // spent and expired links, more than three, from 127.0.0.2: no penalty
      String spent = token(g.server.web().link("alice", null));
      assertEquals(200, loginFrom("127.0.0.2", port, spent));
      String expired = token(g.server.web().link("alice", null));
      Thread.sleep(1500);
      for (int i = 0; i < 2; i++) {
        assertEquals(401, loginFrom("127.0.0.2", port, spent), "a spent link");
        assertEquals(401, loginFrom("127.0.0.2", port, expired), "an expired link");
      }
      String whole = token(g.server.web().link("alice", null));
      for (int i = 0; i < 4; i++) {
        assertEquals(401, loginFrom("127.0.0.2", port, whole.substring(0, whole.length() - 5
            - i)), "a link cut short");
      }
      assertEquals(200, loginFrom("127.0.0.2", port, whole), "old and cut-short links cost "
          + "nothing");
      // four forged ones (5 s each, as a failed SSH authentication, leaking away at 1 s a
      // second) pass the 15 s minimum
      for (int i = 0; i < 4; i++) {
        String fresh = token(g.server.web().link("alice", null));
        assertEquals(401, loginFrom("127.0.0.2", port, forged(fresh)), "a forged link");
      }
      assertEquals(429, loginFrom("127.0.0.2", port, token(g.server.web().link("alice",
          null))), "a good link from the penalized address");
      OpenSshClient.Result ssh = g.alice().ssh("true", null, SOON, "-b", "127.0.0.2");
      assertEquals(0, ssh.code(), "ssh from the address is not held to its web logins: "
          + ssh.err());
      // another address is not held to it
      assertEquals(200, loginFrom("127.0.0.1", port, token(g.server.web().link("alice",
          null))), "another address");
      assertEquals(0, g.alice().ssh("true", null, SOON).code(), "ssh from another address");
    }
  }

  /**
   * A login whose body comes slowly holds no thread; past the cap of logins at once the next
   * is answered 503 at once, and each slow one 408 when its time is up.
   */
  @Test
  void slowLoginBodiesHoldNoThreadsAndAreCappedAndTimedOut() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o)) {
      int port = g.server.webAddress().orElseThrow().getPort();
      int before = Thread.activeCount();
      List<java.net.Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < WebServer.MAX_LOGINS; i++) {
          slow.add(slowLogin(port));
        }
        Thread.sleep(1000);
        assertTrue(Thread.activeCount() - before < WebServer.MAX_LOGINS,
            "threads: " + before + " before, " + Thread.activeCount() + " with "
                + WebServer.MAX_LOGINS + " slow logins");
        long start = System.nanoTime();
        Login over = login(HttpClient.newHttpClient(), origin(g, false), token(g.server.web()
            .link("alice", null)));
        assertEquals(503, over.status(), "over the cap: " + over.body());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "at once");
        for (java.net.Socket s : slow) {
          assertEquals(408, status(s), "a body that never came");
        }
      } finally {
        for (java.net.Socket s : slow) {
          s.close();
        }
      }
      Login in = login(HttpClient.newHttpClient(), origin(g, false), token(g.server.web()
          .link("alice", null)));
      assertEquals(200, in.status(), "the cap is free again: " + in.body());
      assertEquals(1, g.server.web().openSessions());
    }
  }

  /**
   * Every login sets a new cookie, never the one the browser presented (which another service
   * on the host could have planted); the browser's other sessions are re-keyed to it, so its
   * other tabs still re-attach, and the old cookie opens nothing.
   */
  @Test
  void everyLoginSetsANewCookieAndReKeysTheBrowsersOtherSessions() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login first = login(http, origin, token(g.server.web().link("alice", null)));
      assertEquals(200, first.status(), first.body().toString());
      Login second = login(http, origin, token(g.server.web().link("alice", null)),
          first.cookie());
      assertEquals(200, second.status(), second.body().toString());
      assertNotEquals(first.cookie(), second.cookie(), "a new cookie at the second login");
      Login planted = login(http, origin, token(g.server.web().link("alice", null)),
          "a-cookie-someone-planted");
      assertNotEquals("a-cookie-someone-planted", planted.cookie());
      String firstSession = first.body().path("session").asText();
      assertEquals("4003 this browser did not open the session", closedWith(() -> open(http,
          origin, first.cookie(), firstSession, 80, 24)), "the old cookie opens nothing");
      Page p = open(http, origin, second.cookie(), firstSession, 80, 24);
      awaitHello(p, "alice");
      assertEquals("42", p.run("echo $((6*7))"), "the first tab's session, with the new cookie");
      p.ws.sendClose(1000, "done").join();
    }
  }

  /**
   * A page that sends resizes as fast as it can: they merge (the latest wins) and the next
   * frame is read only once one has been applied, so the session queues one task, not one per
   * frame; the shell ends with the last size and still answers.
   */
  @Test
  void aStormOfResizesMergesIntoTheLastSize() throws Exception {
    Path audit = tmp.resolve("audit");
    try (LabGateway g = gateway(w -> w, o -> o.auditDir(audit))) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(g.server.web().link("alice", null)));
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "alice");
      for (int i = 0; i < 5000; i++) {
        p.resize(40 + i % 100, 10 + i % 50);
      }
      p.resize(77, 33);
      assertEquals("33 77", p.run("stty size"), "the last size");
      // keys typed right after a resize reach the shell after it, every time
      for (int i = 0; i < 10; i++) {
        p.resize(60 + i, 20 + i);
        assertEquals((20 + i) + " " + (60 + i), p.run("stty size"), "resize " + i);
      }
      assertEquals("42", p.run("echo $((6*7))"));
      p.ws.sendClose(1000, "done").join();
      g.awaitNoContainers("alice", SOON);
      // merged: far fewer window changes reached the shell (and the audit) than were sent
      long changes;
      try (var files = Files.list(audit)) {
        changes = files.filter(f -> f.toString().endsWith(".jsonl")).flatMap(f -> {
          try {
            return Files.readAllLines(f).stream();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).filter(l -> l.contains("\"window-change\"")).count();
      }
      assertTrue(changes >= 1 && changes < 1000, changes + " window changes of 5001 sent");
    }
  }

  /**
   * A page that ends its session (close code 1000) with the shell still at its prompt: the
   * container goes at once, as for a closed SSH connection, not after the stop timeout (30 s
   * here), which an interactive shell ignoring TERM would wait out.
   */
  @Test
  void anEndedPagesContainerGoesAtOnceNotAfterTheStopTimeout() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().stopTimeout(Duration.ofSeconds(30)).build())
            .build(), o -> o.web(WebOptions.listen("127.0.0.1", 0).build()))) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(g.server.web().link("alice", null)));
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "alice");
      assertEquals("42", p.run("echo $((6*7))"));
      long start = System.nanoTime();
      p.ws.sendClose(1000, "done").join();
      g.awaitNoContainers("alice", SOON);
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(took < 15_000, "the container went after " + took + " ms, not at once");
    }
  }

  /** The SSH idle timeout applies: a page that neither types nor gets output is ended. */
  @Test
  void anIdleWebSessionEndsAfterTheIdleTimeout() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o.idleTimeout(Duration.ofSeconds(3)))) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(g.server.web().link("alice", null)));
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "alice");
      assertEquals("42", p.run("echo $((6*7))"));
      long start = System.nanoTime();
      int code = p.closed.get(30, TimeUnit.SECONDS);
      assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(2), "not before it");
      assertEquals(4000, code, "a close the page does not retry");
      assertTrue(p.reason.contains("idle timeout"), p.reason);
      g.awaitNoContainers("alice", SOON);
      assertEquals(0, g.server.web().openSessions());
    }
  }

  /** A draining gateway answers logins 503; the open session goes on until it ends. */
  @Test
  void aDrainingGatewayRefusesLoginsWith503() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o)) {
      String origin = origin(g, false);
      HttpClient http = HttpClient.newHttpClient();
      Login in = login(http, origin, token(g.server.web().link("alice", null)));
      Page p = open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
      awaitHello(p, "alice");
      String link = g.server.web().link("alice", null);
      CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> g.server.drain(
          Duration.ofSeconds(60)));
      long end = System.nanoTime() + SOON.toNanos();
      Login refused;
      while ((refused = login(http, origin, token(link))).status() != 503) {
        assertEquals(200, refused.status(), refused.body().toString());
        assertTrue(System.nanoTime() < end, "a 503 while draining");
        link = g.server.web().link("alice", null);
        Thread.sleep(20);
      }
      assertTrue(refused.body().path("error").asText().contains("draining"),
          refused.body().toString());
      assertEquals("42", p.run("echo $((6*7))"), "the open session goes on");
      assertFalse(drain.isDone());
      p.type("exit\r");
      drain.get(60, TimeUnit.SECONDS);
      g.awaitNoContainers("alice", SOON);
    }
  }

  /**
   * Logins under way while the gateway closes: each either ends with the gateway or is ended
   * by its own login, so no container is left behind, and close() may be called twice.
   */
  @Test
  void closeWithLoginsInFlightLeavesNoContainer() throws Exception {
    Set<String> baseline = LabGateway.threads();
    LabGateway g = gateway(w -> w, o -> o);
    String origin = origin(g, false);
    HttpClient http = HttpClient.newHttpClient();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      tokens.add(token(g.server.web().link("gina", null)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(tokens.size());
    try {
      List<Future<Integer>> all = new ArrayList<>();
      for (String t : tokens) {
        all.add(pool.submit(() -> {
          try {
            Login in = login(http, origin, t);
            if (in.status() == 200) {
              open(http, origin, in.cookie(), in.body().path("session").asText(), 80, 24);
            }
            return in.status();
          } catch (Exception refusedOrClosed) {
            return -1;
          }
        }));
      }
      Thread.sleep(300); // some logins done, some under way
      g.server.web().close();
      g.server.web().close();
      for (Future<Integer> f : all) {
        f.get(120, TimeUnit.SECONDS);
      }
      g.server.close();
      // before the backend closes, which would remove what the gateway left
      g.awaitNoContainers("gina", SOON);
    } finally {
      pool.shutdownNow();
      g.close();
    }
    LabGateway.awaitThreadsBackTo(baseline);
  }

  /**
   * A start that fails after the SSH listener started, at the web terminal's (its port is
   * taken), says which port and what to do, and leaves nothing running: no thread of the
   * gateway's, and the SSH port closed again.
   */
  @Test
  void aFailedStartLeavesNoWebTerminalRunning() throws Exception {
    int ssh;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      ssh = free.getLocalPort();
    }
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> gateway(tmp.resolve(
          "taken"), w -> w.listen("127.0.0.1", taken.getLocalPort()), o -> o.listen(
              "127.0.0.1", ssh)));
      String message = String.valueOf(e.getMessage()) + " " + e.getCause();
      assertTrue(message.contains(String.valueOf(taken.getLocalPort()))
          && message.contains("--web"), message);
    }
    try (java.net.Socket s = new java.net.Socket()) {
      assertThrows(java.net.ConnectException.class, () -> s.connect(
          new java.net.InetSocketAddress("127.0.0.1", ssh), 2000), "the SSH port is closed");
    }
    // the gateway's own threads (workers, timer, the page's Jetty) are all gone
    long end = System.nanoTime() + SOON.toNanos();
    List<String> left;
    while (!(left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.startsWith("ssh-container-gateway-")
            && (n.contains("-web") || n.contains("-worker") || n.contains("-timer")))
        .toList()).isEmpty() && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), left, "threads left by a start that failed");
  }

  /** The real server sends the policy WebPageTest runs the page under. */
  @Test
  void thePageIsServedUnderThePolicyThePageIsTestedWith() throws Exception {
    try (LabGateway g = gateway(w -> w, o -> o)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(origin(g, false) + "/")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(WebServer.CONTENT_SECURITY_POLICY, r.headers().firstValue(
          "Content-Security-Policy").orElse(null));
      assertTrue(WebServer.CONTENT_SECURITY_POLICY.contains("form-action 'none'"));
    }
  }

  @Test
  void plainHttpOnANetworkAddressIsRefusedWithoutInsecure() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WebOptions.listen("0.0.0.0", 8080).build());
    assertTrue(e.getMessage().contains("--web-tls-cert") && e.getMessage().contains(
        "--web-insecure"), e.getMessage());
    assertFalse(WebOptions.listen("0.0.0.0", 8080).insecure(true).build().tls());
    assertEquals("127.0.0.1", WebOptions.listen("127.0.0.1", 8080).build().host());
    assertEquals("::1", WebOptions.listen("::1", 8080).build().host());
    // a reload compares them: a changed key file (which toString leaves out) is a change
    assertEquals(WebOptions.listen("::1", 8080).build(), WebOptions.listen("::1", 8080).build());
    assertNotEquals(WebOptions.listen("::1", 8080).build(), WebOptions.listen("::1", 8080)
        .linkKey(Path.of("/etc/other_key")).build());
  }
}
