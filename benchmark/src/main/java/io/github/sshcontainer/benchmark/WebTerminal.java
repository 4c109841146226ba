package io.github.sshcontainer.benchmark;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's web terminal as its page (app.js) speaks to it, with the JDK's HttpClient in
 * place of a browser: {@code POST /login} with a link's token from the page's own Origin, then
 * the websocket {@code /ws?session=SID&cols=80&rows=24} with the cookie and the Origin; binary
 * frames are keystrokes one way and the shell's output the other, text frames (hello, exit)
 * are left aside. Plain HTTP (the page on loopback).
 */
final class WebTerminal implements Terminal {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final Pattern SESSION = Pattern.compile("\"session\"\\s*:\\s*\"([^\"]+)\"");

  private final Screen screen = new Screen();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final WebSocket ws;

  private WebTerminal(HttpClient http, String origin, String token) throws Exception {
    HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(origin + "/login"))
        .timeout(SOON).header("Content-Type", "application/json").header("Origin", origin)
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\": \"" + token + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    String set = login.headers().firstValue("Set-Cookie").orElse("");
    Matcher sid = SESSION.matcher(login.body());
    if (login.statusCode() != 200 || !sid.find() || set.indexOf(';') < 0) {
      throw new IllegalStateException("the web terminal's login at " + origin + " answered "
          + login.statusCode() + " " + login.body());
    }
    String cookie = set.substring(0, set.indexOf(';')); // name=value
    ws = http.newWebSocketBuilder().connectTimeout(SOON).header("Cookie", cookie)
        .header("Origin", origin).buildAsync(URI.create("ws" + origin.substring(4)
            + "/ws?session=" + sid.group(1) + "&cols=80&rows=24"), new Listener())
        .get(SOON.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Logs in to the page at {@code origin} ({@code http://127.0.0.1:PORT}) with {@code token}
   * (what follows {@code #t=} in a link) and opens the session's websocket.
   *
   * @throws IllegalStateException when the login is refused
   */
  static WebTerminal open(HttpClient http, String origin, String token) throws Exception {
    return new WebTerminal(http, origin, token);
  }

  /** The HttpClient a page of this benchmark uses: HTTP/1.1, as a page's websocket is. */
  static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(SOON)
        .build();
  }

  @Override
  public void type(byte[] bytes) {
    ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
  }

  @Override
  public Screen screen() {
    return screen;
  }

  /** Whether the gateway closed the websocket (after the shell's exit frame) within limit. */
  @Override
  public boolean awaitEnd(Duration limit) throws InterruptedException {
    try {
      closed.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** Closes with 1000, which ends the session (a page closing its tab sends 1001 and waits). */
  @Override
  public void close() {
    if (closed.isDone()) {
      return;
    }
    try {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      ws.abort();
    }
  }

  private final class Listener implements WebSocket.Listener {
    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      screen.received(b, 0, b.length);
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(-1);
    }
  }
}
