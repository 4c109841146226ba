package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * What a pump thread keeps across the connections it serves: the selector on which it waits for
 * input (local sockets are non-blocking so that JSch's session thread can write to them without
 * ever blocking, so a pump needs a selector to block on) and its read buffer, so a short
 * connection allocates neither.
 */
final class PumpResources {
  private static final ThreadLocal<Selector> SELECTOR = new ThreadLocal<>();
  private static final ThreadLocal<ByteBuffer> BUFFER = new ThreadLocal<>();

  /** This thread's read buffer of {@code size} bytes, cleared. */
  static ByteBuffer buffer(int size) {
    ByteBuffer b = BUFFER.get();
    if (b == null || b.capacity() != size) {
      b = ByteBuffer.allocate(size);
      BUFFER.set(b);
    }
    return b.clear();
  }

  private PumpResources() {}

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
    BUFFER.remove();
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
