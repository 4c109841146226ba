package io.github.sshcontainer.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads a stream on a thread of its own into a buffer, so a test can wait (bounded, without
 * sleeping) until some text has arrived, or until the stream ends.
 */
final class StreamWatcher {
  private final StringBuilder text = new StringBuilder();
  private boolean ended;

  StreamWatcher(InputStream in, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          synchronized (this) {
            text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            notifyAll();
          }
        }
      } catch (IOException e) {
        // stream closed: what came is what there is
      } finally {
        synchronized (this) {
          ended = true;
          notifyAll();
        }
      }
    }, "test-watch-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** Waits until the text read so far contains {@code expected}, failing after {@code d}. */
  synchronized String await(String expected, Duration d) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (text.indexOf(expected) < 0) {
      long left = end - System.nanoTime();
      if (left <= 0 || ended) {
        throw new AssertionError("no '" + expected + "' within " + d + "; got: " + text);
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return text.toString();
  }

  /** Waits for the end of the stream and returns everything read. */
  synchronized String awaitEnd(Duration d) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (!ended) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("the stream did not end within " + d + "; got: " + text);
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return text.toString();
  }

  synchronized String text() {
    return text.toString();
  }
}
