package io.github.sshcontainer.benchmark;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An interactive shell on a pty, as a person at a keyboard has it: what is typed goes in with
 * {@link #type}, what the terminal shows lands on its {@link Screen}. {@link SshTerminal} is
 * OpenSSH's {@code ssh -tt}, {@link WebTerminal} the gateway's web page's websocket; {@link
 * KeystrokeEcho} times both the same way. Closing ends the session.
 */
interface Terminal extends AutoCloseable {
  /** Sends {@code bytes} as typed keys, at once (no buffering on the way out of this JVM). */
  void type(byte[] bytes);

  default void type(String keys) {
    type(keys.getBytes(StandardCharsets.UTF_8));
  }

  /** The terminal's output so far. */
  Screen screen();

  /** Waits up to {@code limit} for the session to end by itself (the shell exited). */
  boolean awaitEnd(Duration limit) throws InterruptedException;

  /** Ends the session now if it has not ended by itself. */
  @Override
  void close();

  /**
   * What a terminal received, with the time one awaited byte arrived, taken on the thread that
   * received it (so that waking the waiting thread is not in the figure). Thread-safe.
   */
  final class Screen {
    private final StringBuilder seen = new StringBuilder(); // ISO-8859-1: one char a byte
    private int want = -1;
    private long arrived;

    synchronized void received(byte[] b, int off, int len) {
      long now = System.nanoTime();
      for (int i = off; i < off + len; i++) {
        if (want >= 0 && (b[i] & 0xff) == want) {
          arrived = now;
          want = -1;
        }
        seen.append((char) (b[i] & 0xff));
      }
      notifyAll();
    }

    /** From now on, watches for {@code key}; call before it is typed. */
    synchronized void expect(byte key) {
      want = key & 0xff;
      arrived = 0;
    }

    /**
     * When the byte {@link #expect}ed arrived (System.nanoTime), waiting for it up to {@code
     * limit}.
     *
     * @throws IllegalStateException when it does not come within {@code limit}
     */
    synchronized long awaitExpected(Duration limit) throws InterruptedException {
      long end = System.nanoTime() + limit.toNanos();
      while (arrived == 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("no echo within " + limit + "; the terminal's last "
              + "output: " + tail());
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return arrived;
    }

    /**
     * Waits until more than {@code from} bytes have come.
     *
     * @throws IllegalStateException when they do not come within {@code limit}
     */
    synchronized void awaitMore(int from, Duration limit) throws InterruptedException {
      long end = System.nanoTime() + limit.toNanos();
      while (seen.length() <= from) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("no output within " + limit);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }

    /** Bytes received so far. */
    synchronized int size() {
      return seen.length();
    }

    /**
     * Waits until the output from {@code from} on holds {@code text}; returns the index past it.
     *
     * @throws IllegalStateException when it does not come within {@code limit}
     */
    synchronized int await(String text, int from, Duration limit) throws InterruptedException {
      long end = System.nanoTime() + limit.toNanos();
      while (true) {
        int i = seen.indexOf(text, from);
        if (i >= 0) {
          return i + text.length();
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("'" + text + "' did not appear within " + limit
              + "; the terminal's last output: " + tail());
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }

    private String tail() {
      return seen.substring(Math.max(0, seen.length() - 200)).replace("\r", "\\r")
          .replace("\n", "\\n").replace("\u001b", "\\e");
    }
  }
}
