package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hijacked request (attach or exec start with stdin) spoken directly over a socket: HTTP/1.1
 * with {@code Upgrade: tcp}, then the raw stream. Unlike docker-java's httpclient5 transport
 * (docker-java issue 1684) it ends stdin properly: when the caller's input ends, the socket's
 * write side is shut down, the tunnel carries that half-close to the daemon, and {@code cat} or
 * {@code wc -c} in the container see end of input while their output keeps flowing back.
 */
final class HijackedExchange implements DockerHttpClient.Response {
  private static final Logger log = LoggerFactory.getLogger(HijackedExchange.class);
  private static final int MAX_HEAD = 64 * 1024;

  private final SocketChannel channel;
  private final int status;
  private final Map<String, List<String>> headers;
  private final InputStream body;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HijackedExchange(SocketChannel channel, int status, Map<String, List<String>> headers,
      InputStream body) {
    this.channel = channel;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  static HijackedExchange start(SocketAddress address, DockerHttpClient.Request request)
      throws IOException {
    SocketChannel ch = SocketChannel.open(address);
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
      head.append("Content-Length: ").append(payload == null ? 0 : payload.length).append("\r\n\r\n");
      writeFully(ch, ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.UTF_8)));
      if (payload != null) {
        writeFully(ch, ByteBuffer.wrap(payload));
      }
      ChannelInput in = new ChannelInput(ch);
      String statusLine = readLine(in);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP answer from the Docker daemon: " + statusLine);
      }
      int status = Integer.parseInt(parts[1]);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      String line;
      while (!(line = readLine(in)).isEmpty()) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
              .add(line.substring(colon + 1).trim());
        }
      }
      InputStream body = in;
      if (status != 101 && status != 200) {
        String length = first(headers, "Content-Length");
        body = new java.io.ByteArrayInputStream(length != null
            ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes());
      }
      HijackedExchange ex = new HijackedExchange(ch, status == 101 ? 200 : status, headers, body);
      if (status == 101 || status == 200) {
        ex.pumpStdin(request.hijackedInput());
      }
      return ex;
    } catch (IOException | RuntimeException e) {
      ch.close();
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

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        break;
      }
      if (b != '\r') {
        line.write(b);
      }
      if (line.size() > MAX_HEAD) {
        throw new IOException("HTTP header line too long from the Docker daemon");
      }
    }
    if (b < 0 && line.size() == 0) {
      throw new IOException("the Docker daemon closed the connection before answering");
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  /** Copies the caller's stdin to the socket, then half-closes it: the point of this class. */
  private void pumpStdin(InputStream stdin) {
    if (stdin == null) {
      return;
    }
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try {
        int n;
        while (!closed.get() && (n = stdin.read(buf)) >= 0) {
          writeFully(channel, ByteBuffer.wrap(buf, 0, n));
        }
        if (!closed.get()) {
          channel.shutdownOutput();
        }
      } catch (IOException e) {
        log.debug("stdin of a hijacked stream ends: {}", e.toString());
      }
    }, "ssh-container-docker-stdin");
    t.setDaemon(true);
    t.start();
  }

  static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
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
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /**
   * Reads a socket channel without the shared lock of {@code Channels.newInputStream}, so that
   * another thread can write to the same channel meanwhile.
   */
  private static final class ChannelInput extends InputStream {
    private final SocketChannel ch;
    private final ByteBuffer one = ByteBuffer.allocate(1);

    ChannelInput(SocketChannel ch) {
      this.ch = ch;
    }

    @Override
    public int read() throws IOException {
      one.clear();
      int n;
      do {
        n = ch.read(one);
      } while (n == 0);
      return n < 0 ? -1 : one.get(0) & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      try {
        return ch.read(ByteBuffer.wrap(b, off, len));
      } catch (java.nio.channels.AsynchronousCloseException e) {
        return -1; // closed by the caller: end of stream
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
