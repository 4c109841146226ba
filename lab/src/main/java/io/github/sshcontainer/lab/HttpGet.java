package io.github.sshcontainer.lab;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain HTTP/1.0 {@code GET}, for the lab's web servers (in containers, Prometheus, …). */
public final class HttpGet {
  private HttpGet() {}

  /** An answer: the status code and the body (the headers dropped). */
  public record Response(int status, String body) {}

  /**
   * One {@code GET pathAndQuery} at {@code at}, no retry; connecting and each read bounded by
   * 10 s. The path is sent as given: encode a query's values first.
   */
  public static Response get(InetSocketAddress at, String pathAndQuery) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(at, 10_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.0\r\nHost: "
          + at.getHostString() + ":" + at.getPort() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int end = answer.indexOf("\r\n\r\n");
      String[] status = answer.split(" ", 3);
      if (!answer.startsWith("HTTP/1.") || end < 0 || status.length < 2) {
        throw new IOException("not an HTTP answer from " + at + pathAndQuery + ": " + answer);
      }
      return new Response(Integer.parseInt(status[1]), answer.substring(end + 4));
    }
  }

  /**
   * The whole answer of {@code GET /} at {@code at}, retried until {@code within} has passed
   * (a server in a container may still be starting behind a forward that already listens).
   */
  public static String root(InetSocketAddress at, Duration within) throws IOException,
      InterruptedException {
    long end = System.nanoTime() + within.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(at, 2000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (answer.startsWith("HTTP/1.")) {
          return answer;
        }
      } catch (IOException notYet) {
        if (System.nanoTime() > end) {
          throw notYet;
        }
      }
      if (System.nanoTime() > end) {
        throw new IOException("no HTTP answer at " + at + " within " + within);
      }
      Thread.sleep(50);
    }
  }
}
