package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * One selector per pump thread, on which it waits for its connection's input. Local sockets are
 * non-blocking so that JSch's session thread can write to them without ever blocking; a pump
 * thread therefore needs a selector to block on, and keeps it across the connections it serves.
 */
final class PumpSelectors {
  private static final ThreadLocal<Selector> SELECTOR = new ThreadLocal<>();

  private PumpSelectors() {}

  /** This thread's selector, opened on first use. */
  static Selector current() {
    Selector s = SELECTOR.get();
    if (s == null || !s.isOpen()) {
      try {
        s = Selector.open();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open a selector", e);
      }
      SELECTOR.set(s);
    }
    return s;
  }

  /** Drops a connection's key now, so the socket's descriptor is freed once it is closed. */
  static void release(SelectionKey key) {
    if (key == null) {
      return;
    }
    key.cancel();
    try {
      key.selector().selectNow();
    } catch (IOException | RuntimeException ignored) {
      // the selector goes with its thread
    }
  }

  /** Closes this thread's selector; the last thing a pump thread does. */
  static void closeCurrent() {
    Selector s = SELECTOR.get();
    SELECTOR.remove();
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // the thread ends anyway
      }
    }
  }
}
