package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hijacked request (attach or exec start with stdin) spoken directly over a connection:
 * HTTP/1.1 with {@code Upgrade: tcp}, then the raw stream. Unlike docker-java's httpclient5
 * transport (docker-java issue 1684) it ends stdin properly: when the caller's input ends, the
 * connection's write side is shut down (a tunnel carries that half-close to the daemon), and
 * {@code cat} or {@code wc -c} in the container see end of input while their output keeps
 * flowing back.
 */
final class HijackedExchange implements DockerHttpClient.Response {
  private static final Logger log = LoggerFactory.getLogger(HijackedExchange.class);
  private static final int MAX_HEAD = 64 * 1024;

  private final Duplex connection;
  private final int status;
  private final Map<String, List<String>> headers;
  private final InputStream body;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HijackedExchange(Duplex connection, int status, Map<String, List<String>> headers,
      InputStream body) {
    this.connection = connection;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** Sends {@code request} over {@code connection}, which the exchange then owns. */
  static HijackedExchange start(Duplex connection, DockerHttpClient.Request request)
      throws IOException {
    try {
      byte[] payload = request.bodyBytes();
      if (payload == null && request.body() != null) {
        payload = request.body().readAllBytes();
      }
      StringBuilder head = new StringBuilder();
      head.append(request.method()).append(' ').append(request.path()).append(" HTTP/1.1\r\n");
      head.append("Host: docker\r\n");
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      head.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
      head.append("Content-Length: ").append(payload == null ? 0 : payload.length)
          .append("\r\n\r\n");
      byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
      connection.write(headBytes, 0, headBytes.length);
      if (payload != null) {
        connection.write(payload, 0, payload.length);
      }
      InputStream in = connection.input();
      String statusLine = Duplex.readLine(in, MAX_HEAD);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP answer from the Docker daemon: " + statusLine);
      }
      int status = Integer.parseInt(parts[1]);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      String line;
      while (!(line = Duplex.readLine(in, MAX_HEAD)).isEmpty()) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
              .add(line.substring(colon + 1).trim());
        }
      }
      InputStream body = in;
      if (status != 101 && status != 200) {
        String length = first(headers, "Content-Length");
        body = new ByteArrayInputStream(length != null
            ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes());
      }
      HijackedExchange ex = new HijackedExchange(connection, status == 101 ? 200 : status,
          headers, body);
      if (status == 101 || status == 200) {
        ex.pumpStdin(request.hijackedInput());
      }
      return ex;
    } catch (IOException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  private static String first(Map<String, List<String>> headers, String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().get(0);
      }
    }
    return null;
  }

  /** Copies the caller's stdin to the connection, then half-closes it: the point of this class. */
  private void pumpStdin(InputStream stdin) {
    if (stdin == null) {
      return;
    }
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try {
        int n;
        while (!closed.get() && (n = stdin.read(buf)) >= 0) {
          connection.write(buf, 0, n);
        }
        if (!closed.get()) {
          connection.shutdownOutput();
        }
      } catch (IOException e) {
        log.debug("stdin of a hijacked stream ends: {}", e.toString());
      }
    }, "ssh-container-docker-stdin");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public int getStatusCode() {
    return status;
  }

  @Override
  public Map<String, List<String>> getHeaders() {
    return headers;
  }

  @Override
  public InputStream getBody() {
    return body;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      connection.close();
    }
  }
}
