package io.github.sshcontainer.benchmark;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's web terminal as its page (app.js) speaks to it: {@code POST /login} with a
 * link's token from the page's own Origin (the JDK's HttpClient), then the websocket {@code
 * /ws?session=SID&cols=80&rows=24} with the cookie and the Origin, on a plain socket with a
 * blocking reader thread {@code bench-web-tty-out}, as {@link SshTerminal} reads ssh's output:
 * the two clients then cost the same on this side, and the figure is the gateway's path, not
 * a client library's executors (a browser's websocket is native code, as ssh is). Binary
 * frames are keystrokes one way and the shell's output the other; text frames (hello, exit)
 * are left aside; pings are answered. Plain HTTP (the page on loopback).
 */
final class WebTerminal implements Terminal {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final Pattern SESSION = Pattern.compile("\"session\"\\s*:\\s*\"([^\"]+)\"");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Screen screen = new Screen();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final Socket socket;
  private final OutputStream out;
  private final Thread reader;

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
    URI at = URI.create(origin);
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(at.getHost(), at.getPort()), (int) SOON.toMillis());
    socket.setSoTimeout((int) SOON.toMillis());
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    out = socket.getOutputStream();
    out.write(("GET /ws?session=" + sid.group(1) + "&cols=80&rows=24 HTTP/1.1\r\n"
        + "Host: " + at.getHost() + ":" + at.getPort() + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        + Base64.getEncoder().encodeToString(nonce) + "\r\nOrigin: " + origin + "\r\nCookie: "
        + cookie + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    String status = headers(in);
    if (!status.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IllegalStateException("the web terminal's websocket answered " + status);
    }
    socket.setSoTimeout(0); // a session the benchmark keeps open
    reader = new Thread(() -> read(in), "bench-web-tty-out");
    reader.setDaemon(true);
    reader.start();
  }

  /** The status line, after reading the response's headers to their blank line. */
  private static String headers(InputStream in) throws IOException {
    StringBuilder all = new StringBuilder();
    while (!all.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the websocket's answer ended: " + all);
      }
      all.append((char) c);
    }
    return all.substring(0, all.indexOf("\r\n"));
  }

  /** Server frames: unmasked, unfragmented in practice; continuation frames are data too. */
  private void read(DataInputStream in) {
    try {
      while (true) {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
          len = in.readUnsignedShort();
        } else if (len == 127) {
          len = in.readLong();
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        int opcode = b0 & 0x0f;
        if (opcode == 0x2 || opcode == 0x0) {
          screen.received(payload, 0, payload.length);
        } else if (opcode == 0x9) {
          frame(0xA, payload); // pong
        } else if (opcode == 0x8) {
          closed.complete(payload.length >= 2 ? ((payload[0] & 0xff) << 8)
              | (payload[1] & 0xff) : 1005);
          return;
        }
      }
    } catch (IOException e) {
      closed.complete(-1);
    }
  }

  /** One masked frame (a client's frames are masked), FIN set. */
  private synchronized void frame(int opcode, byte[] payload) throws IOException {
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    int n = payload.length;
    byte[] f = new byte[2 + (n < 126 ? 0 : 2) + 4 + n];
    int i = 0;
    f[i++] = (byte) (0x80 | opcode);
    if (n < 126) {
      f[i++] = (byte) (0x80 | n);
    } else {
      f[i++] = (byte) (0x80 | 126);
      f[i++] = (byte) (n >>> 8);
      f[i++] = (byte) n;
    }
    System.arraycopy(mask, 0, f, i, 4);
    i += 4;
    for (int k = 0; k < n; k++) {
      f[i + k] = (byte) (payload[k] ^ mask[k & 3]);
    }
    out.write(f);
    out.flush();
  }

  /**
   * Logs in to the page at {@code origin} ({@code http://127.0.0.1:PORT}) with {@code token}
   * (what follows {@code #t=} in a link) and opens the session's websocket.
   *
   * @throws IllegalStateException when the login or the websocket is refused
   */
  static WebTerminal open(HttpClient http, String origin, String token) throws Exception {
    return new WebTerminal(http, origin, token);
  }

  /** The HttpClient the benchmark logs in with: HTTP/1.1. */
  static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(SOON)
        .build();
  }

  @Override
  public void type(byte[] bytes) {
    if (bytes.length > 0xffff) {
      throw new IllegalArgumentException("at most 64 KiB at once, got " + bytes.length);
    }
    try {
      frame(0x2, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("the web terminal's websocket: " + e.getMessage(), e);
    }
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
    try {
      if (!closed.isDone()) {
        frame(0x8, new byte[] {0x03, (byte) 0xe8});
        closed.get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      // closed below either way
    } finally {
      try {
        socket.close();
        reader.join(10_000);
      } catch (IOException e) {
        // nothing left to do with it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
