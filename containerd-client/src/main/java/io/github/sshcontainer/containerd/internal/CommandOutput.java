package io.github.sshcontainer.containerd.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Reads what a remote command joined to a local channel ({@code SocketTunnel.openCommand})
 * prints until it exits, within a deadline: a blocking channel read has no timeout of its own.
 */
final class CommandOutput {
  private CommandOutput() {}

  /**
   * Everything the command prints until its end, at most {@code max} bytes kept (the rest is
   * read and dropped, so the command is never held up).
   *
   * @throws SocketTimeoutException if the command has not ended within {@code deadline}
   */
  static byte[] readToEnd(SocketChannel channel, Duration deadline, int max)
      throws IOException {
    channel.configureBlocking(false);
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    try (Selector selector = Selector.open()) {
      channel.register(selector, SelectionKey.OP_READ);
      ByteBuffer buf = ByteBuffer.allocate(64 << 10);
      long end = System.nanoTime() + deadline.toNanos();
      while (true) {
        buf.clear();
        int n = channel.read(buf);
        if (n < 0) {
          return kept.toByteArray();
        }
        if (n > 0) {
          kept.write(buf.array(), 0, Math.min(n, Math.max(0, max - kept.size())));
          continue;
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new SocketTimeoutException("the remote command did not end within "
              + deadline.toMillis() + " ms");
        }
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
      }
    }
  }
}
