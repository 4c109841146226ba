package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.daemon;
import static io.github.sshcontainer.docker.LabDocker.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.tunnel.SocketTunnel;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stall as a user meets it: {@code docker save} of a large image through the tunnel, read by
 * a client that stops reading; meanwhile fresh {@code /_ping}s through the same tunnel must be
 * answered, and the save, once drained, must equal a direct read from the daemon's socket.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DockerStallTest {

  @Test
  void imageSaveThatStopsReadingStallsNoPingAndDrainsIdentically() throws Exception {
    String image = daemon().bigImage();
    String save = "GET /images/" + image + "/get HTTP/1.1\r\nHost: docker\r\n"
        + "Connection: close\r\n\r\n";
    byte[] direct;
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(daemon().socket()))) {
      direct = body(c, save);
    }
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (SocketTunnel t = SocketTunnel.open(options().build());
        SocketChannel stalled = SocketChannel.open(t.localAddress())) {
      write(stalled, save);
      Thread.sleep(1500); // the save fills the window and every buffer on the way
      long held = t.queuedBytes();
      long worst = 0;
      for (int i = 0; i < 20; i++) {
        long start = System.nanoTime();
        Future<String> ping = pool.submit(() -> ping(t.localAddress()));
        String answer = ping.get(2, TimeUnit.SECONDS);
        assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("OK"),
            "ping " + i + " answered: " + answer);
        worst = Math.max(worst, System.nanoTime() - start);
      }
      System.out.printf("FIGURES docker stall: 20 of 20 pings answered beside a stalled save, "
          + "slowest %d ms; %d bytes queued%n", worst / 1_000_000, held);
      assertTrue(held <= t.options().flowControl().windowSize(), "queued " + held + " bytes");
      byte[] viaTunnel = body(stalled, null);
      assertEquals(direct.length, viaTunnel.length, "SHA-256 length");
      assertArrayEquals(direct, viaTunnel, "the save through the stalled tunnel differs from a "
          + "direct read");
    } finally {
      pool.shutdownNow();
    }
  }

  private static String ping(SocketAddress at) throws IOException {
    try (SocketChannel c = SocketChannel.open(at)) {
      write(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
      return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.US_ASCII)
          .trim();
    }
  }

  private static void write(SocketChannel c, String request) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  /** Sends {@code request} (unless null), reads the response, returns its body's SHA-256. */
  private static byte[] body(SocketChannel c, String request) throws Exception {
    if (request != null) {
      write(c, request);
    }
    InputStream in = new BufferedInputStream(Channels.newInputStream(c), 1 << 16);
    String status = line(in);
    assertTrue(status.startsWith("HTTP/1.1 200"), "status: " + status);
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      chunked |= h.toLowerCase().startsWith("transfer-encoding:") && h.contains("chunked");
    }
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    if (!chunked) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
      return md.digest();
    }
    while (true) {
      long size = Long.parseLong(line(in).split(";")[0].trim(), 16);
      if (size == 0) {
        return md.digest();
      }
      while (size > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, size));
        if (n < 0) {
          throw new IOException("EOF inside a chunk");
        }
        md.update(buf, 0, n);
        size -= n;
      }
      line(in); // the CRLF after the chunk
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int ch;
    while ((ch = in.read()) >= 0 && ch != '\n') {
      if (ch != '\r') {
        b.write(ch);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }
}
