package io.github.sshcontainer.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web terminal's server side as the page sees it, and no more: the page's files from the
 * class path, {@code POST /login}, and a websocket {@code /ws} whose "shell" echoes what is
 * typed and answers a few commands. The page is built while the real server is built beside it;
 * this pins the page to the wire the two share (see app.js's header). HTTP/1.1 and RFC 6455
 * by hand over a {@link ServerSocket} on loopback, a thread per connection.
 *
 * <p>The shell: {@code stty size} prints "ROWS COLS" of the size the page gave last; {@code
 * echo WORDS} prints WORDS; {@code exit} sends an exit message and closes; {@code end} closes
 * with 4000 and a reason, as the gateway ends a session; {@code drop} cuts the connection
 * without one. The hello gives a reconnect window of {@value #RECONNECT_SECONDS} s. Every
 * attach after the first of a session starts with a "lost" message of {@value #LOST} bytes.
 */
final class FakeWebGateway implements AutoCloseable {
  static final String TOKEN = "good-token-1";
  static final String SESSION = "S-4f1c";
  static final String USER = "alice";
  static final String CONTAINER = "3f2a9c1b7d4e";
  static final String PROMPT = USER + "@" + CONTAINER + ":~$ ";
  static final String REFUSED = "this login link was used already or has expired";
  static final int LOST = 42;
  /** The reconnect window the hello gives the page (--web-reconnect). */
  static final int RECONNECT_SECONDS = 5;
  /** Why the {@code end} command's session ended, as the close frame's reason says. */
  static final String ENDED = "no input or output for 3600 s, the gateway's idle timeout";
  private static final String COOKIE = "sshc_web=c00k1e";
  private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final String PAGE = "io/github/sshcontainer/gateway/web/";

  /** A websocket attach as the server saw it. */
  record Attach(long atNanos, Map<String, String> query, String cookie, boolean accepted) {}

  /** A frame from the page: binary input or a text message. */
  record Frame(boolean text, byte[] payload) {
    String string() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private final ServerSocket server;
  private final String contentSecurityPolicy;
  private final Thread acceptor;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean tokenUsed = new AtomicBoolean();
  private final AtomicInteger refuseAttaches = new AtomicInteger();
  final List<String> logins = new CopyOnWriteArrayList<>();
  final List<Attach> attaches = new CopyOnWriteArrayList<>();
  final List<Frame> frames = new CopyOnWriteArrayList<>();
  final List<String> cspReports = new CopyOnWriteArrayList<>();

  FakeWebGateway(String contentSecurityPolicy) {
    this.contentSecurityPolicy = contentSecurityPolicy;
    try {
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    acceptor = new Thread(this::accept, "fake-web-gateway-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The page's address, without a login token. */
  String base() {
    return "http://127.0.0.1:" + server.getLocalPort() + "/";
  }

  /** The next {@code n} websocket attaches are answered 503 (a gateway restarting, a proxy). */
  void refuseNextAttaches(int n) {
    refuseAttaches.set(n);
  }

  /** The page's input so far: its binary frames, concatenated. */
  String input() {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Frame f : frames) {
      if (!f.text()) {
        all.writeBytes(f.payload());
      }
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  List<String> textFrames() {
    return frames.stream().filter(Frame::text).map(Frame::string).toList();
  }

  List<Attach> acceptedAttaches() {
    return attaches.stream().filter(Attach::accepted).toList();
  }

  private void accept() {
    while (!closed.get()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(s);
      Thread t = new Thread(() -> {
        try (s) {
          serve(s);
        } catch (IOException e) {
          // the page went away; a test sees what it sent in the records
        } finally {
          sockets.remove(s);
        }
      }, "fake-web-gateway-" + s.getPort());
      t.setDaemon(true);
      t.start();
    }
  }

  // ---- HTTP

  private record Request(String method, URI target, Map<String, String> headers, byte[] body) {}

  private static Request read(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.append((char) b);
    }
    String[] lines = head.toString().split("\r\n");
    String[] first = lines[0].split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    return new Request(first[0], URI.create(first[1]), headers, in.readNBytes(length));
  }

  private void serve(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    Request r = read(in);
    if (r == null) {
      return;
    }
    String path = r.target().getPath();
    if (r.method().equals("GET") && path.equals("/")) {
      respond(out, 200, "text/html; charset=utf-8", resource(PAGE + "index.html"), true);
    } else if (r.method().equals("GET") && path.startsWith("/assets/")
        && path.matches("/assets/[A-Za-z0-9._-]+")) {
      byte[] file = resource(PAGE + path.substring(1));
      respond(out, file == null ? 404 : 200, type(path), file, false);
    } else if (r.method().equals("POST") && path.equals("/login")) {
      login(out, r);
    } else if (r.method().equals("POST") && path.equals("/csp-report")) {
      cspReports.add(new String(r.body(), StandardCharsets.UTF_8));
      respond(out, 204, null, null, false);
    } else if (r.method().equals("GET") && path.equals("/ws")
        && "websocket".equalsIgnoreCase(r.headers().get("upgrade"))) {
      attach(s, in, out, r);
    } else {
      respond(out, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8), false);
    }
  }

  private void login(OutputStream out, Request r) throws IOException {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    logins.add(body);
    Matcher m = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]*)\"").matcher(body);
    boolean good = r.headers().getOrDefault("content-type", "").startsWith("application/json")
        && m.find() && m.group(1).equals(TOKEN) && tokenUsed.compareAndSet(false, true);
    if (good) {
      String json = "{\"user\":\"" + USER + "\",\"session\":\"" + SESSION + "\"}";
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: " + COOKIE
          + "; Path=/; HttpOnly; SameSite=Strict\r\nContent-Length: " + json.length()
          + "\r\nConnection: close\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8));
    } else {
      respond(out, 401, "application/json",
          ("{\"error\":\"" + REFUSED + "\"}").getBytes(StandardCharsets.UTF_8), false);
    }
  }

  private byte[] resource(String name) throws IOException {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  private static String type(String path) {
    return path.endsWith(".js") ? "text/javascript; charset=utf-8"
        : path.endsWith(".css") ? "text/css; charset=utf-8" : "text/plain; charset=utf-8";
  }

  private void respond(OutputStream out, int status, String type, byte[] body, boolean page)
      throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
    if (type != null && body != null) {
      head.append("Content-Type: ").append(type).append("\r\n");
    }
    if (page && contentSecurityPolicy != null) {
      head.append("Content-Security-Policy: ").append(contentSecurityPolicy).append("\r\n");
    }
    head.append("Cache-Control: no-store\r\n");
    head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      out.write(body);
    }
    out.flush();
  }

  // ---- the websocket and its shell

  private static Map<String, String> query(URI target) {
    Map<String, String> q = new LinkedHashMap<>();
    if (target.getRawQuery() != null) {
      for (String pair : target.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        q.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
      }
    }
    return q;
  }

  private void attach(Socket s, InputStream in, OutputStream out, Request r) throws IOException {
    Map<String, String> query = query(r.target());
    String cookie = r.headers().getOrDefault("cookie", "");
    boolean accept = SESSION.equals(query.get("session")) && cookie.contains(COOKIE)
        && refuseAttaches.getAndUpdate(n -> Math.max(0, n - 1)) == 0;
    boolean again = !acceptedAttaches().isEmpty();
    attaches.add(new Attach(System.nanoTime(), query, cookie, accept));
    if (!accept) {
      respond(out, 503, "text/plain", "not now\n".getBytes(StandardCharsets.UTF_8), false);
      return;
    }
    String acceptKey;
    try {
      acceptKey = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((r.headers().get("sec-websocket-key") + WS_GUID)
              .getBytes(StandardCharsets.ISO_8859_1)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: " + acceptKey + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    int[] size = {Integer.parseInt(query.get("rows")), Integer.parseInt(query.get("cols"))};
    if (again) {
      send(out, 1, "{\"type\":\"lost\",\"bytes\":" + LOST + "}");
    }
    send(out, 1, "{\"type\":\"hello\",\"user\":\"" + USER + "\",\"container\":\"" + CONTAINER
        + "\",\"reconnect\":" + RECONNECT_SECONDS + "}");
    send(out, 2, PROMPT);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    int messageOpcode = 0;
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return;
      }
      int b1 = in.read();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = (in.read() << 8) | in.read();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | in.read();
        }
      }
      byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : new byte[4];
      byte[] payload = in.readNBytes((int) length);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i % 4];
      }
      int opcode = b0 & 0x0f;
      if (opcode == 8) {
        sendFrame(out, 8, new byte[] {0x03, (byte) 0xe8});
        return;
      } else if (opcode == 9) {
        sendFrame(out, 10, payload);
        continue;
      } else if (opcode == 10) {
        continue;
      }
      if (opcode != 0) { // not a continuation: a new message
        messageOpcode = opcode;
        message.reset();
      }
      message.writeBytes(payload);
      if ((b0 & 0x80) == 0) {
        continue; // more fragments come
      }
      byte[] whole = message.toByteArray();
      message.reset();
      Frame frame = new Frame(messageOpcode == 1, whole);
      frames.add(frame);
      if (frame.text()) {
        Matcher m = Pattern.compile("\"cols\":(\\d+),\"rows\":(\\d+)").matcher(frame.string());
        if (frame.string().contains("\"type\":\"resize\"") && m.find()) {
          size[0] = Integer.parseInt(m.group(2));
          size[1] = Integer.parseInt(m.group(1));
        }
        continue;
      }
      for (byte b : whole) {
        if (b == '\r') {
          String command = line.toString(StandardCharsets.UTF_8).trim();
          line.reset();
          send(out, 2, "\r\n");
          if (command.equals("stty size")) {
            send(out, 2, size[0] + " " + size[1] + "\r\n");
          } else if (command.startsWith("echo ")) {
            send(out, 2, command.substring(5) + "\r\n");
          } else if (command.equals("exit")) {
            send(out, 2, "logout\r\n");
            send(out, 1, "{\"type\":\"exit\",\"status\":0}");
            sendFrame(out, 8, new byte[] {0x03, (byte) 0xe8});
            return;
          } else if (command.equals("end")) {
            // as the gateway ends a session (idle, closing): no exit message, a 4000 close
            ByteArrayOutputStream close = new ByteArrayOutputStream();
            close.write(4000 >> 8);
            close.write(4000 & 0xff);
            close.writeBytes(ENDED.getBytes(StandardCharsets.UTF_8));
            sendFrame(out, 8, close.toByteArray());
            return;
          } else if (command.equals("drop")) {
            s.setSoLinger(true, 0); // a reset, as a dropped network or a proxy's timeout
            return;
          } else if (!command.isEmpty()) {
            send(out, 2, command.split(" ")[0] + ": command not found\r\n");
          }
          send(out, 2, PROMPT);
        } else if (b == 0x7f) {
          byte[] sofar = line.toByteArray();
          if (sofar.length > 0) {
            line.reset();
            line.write(sofar, 0, sofar.length - 1);
            send(out, 2, "\b \b");
          }
        } else {
          line.write(b);
          sendFrame(out, 2, new byte[] {b}); // the tty's echo
        }
      }
    }
  }

  private static void send(OutputStream out, int opcode, String text) throws IOException {
    sendFrame(out, opcode, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void sendFrame(OutputStream out, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x80 | opcode);
    if (payload.length < 126) {
      frame.write(payload.length);
    } else if (payload.length < 65536) {
      frame.write(126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(127);
      for (int i = 7; i >= 0; i--) {
        frame.write((int) ((long) payload.length >> (8 * i)) & 0xff);
      }
    }
    frame.writeBytes(payload);
    out.write(frame.toByteArray());
    out.flush();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : new ArrayList<>(sockets)) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
