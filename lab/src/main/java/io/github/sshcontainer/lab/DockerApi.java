package io.github.sshcontainer.lab;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Waits for a Docker-API daemon the lab started (dockerd, Podman, rootless dockerd). */
final class DockerApi {
  private DockerApi() {}

  /** True when the socket answers {@code GET /_ping} with 200. */
  static boolean ping(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      c.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer b = ByteBuffer.allocate(512);
      while (c.read(b) >= 0 && b.hasRemaining()) {
        // read the whole short answer
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII)
          .startsWith("HTTP/1.0 200");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Waits until {@code process} answers on {@code socket}, failing with the end of its log if it
   * exits or does not answer within {@code deadline}.
   */
  static void await(Process process, Path socket, Path logFile, Duration deadline, String what)
      throws IOException {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IllegalStateException(what + " exited with " + process.exitValue() + ":\n"
            + tail(logFile));
      }
      if (ping(socket)) {
        return;
      }
      Sshd.sleep(100);
    }
    throw new IllegalStateException(what + " did not answer on " + socket + " within "
        + deadline + "; log:\n" + tail(logFile));
  }

  private static String tail(Path logFile) throws IOException {
    List<String> lines = Files.readAllLines(logFile);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
