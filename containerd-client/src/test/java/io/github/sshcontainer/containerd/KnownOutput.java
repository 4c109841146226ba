package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A known volume on both streams, for the tests that every byte a task writes arrives: 1 MiB of
 * {@code seq} output on stdout (digits and newlines) and the same 1 MiB with the digits as
 * letters and the newlines as ';' on stderr, both written at once, then the shell exits. The
 * two alphabets do not overlap, so even one text with both streams interleaved (file logging)
 * is checked byte for byte, each stream in its own order.
 */
final class KnownOutput {
  static final int BYTES = 1 << 20;
  /** The shell command writing both streams at once and exiting when both are written. */
  static final String BOTH_STREAMS = "seq 1 300000 | head -c " + BYTES + " & seq 1 300000 | tr "
      + "'0-9\\n' 'a-j;' | head -c " + BYTES + " >&2 & wait";
  /** The shell command writing stdout only (for a terminal, which has no stderr). */
  static final String STDOUT_ONLY = "seq 1 300000 | head -c " + BYTES;
  static final String STDOUT = stdout();
  static final String STDERR = stderr(STDOUT);

  private KnownOutput() {}

  private static String stdout() {
    StringBuilder b = new StringBuilder();
    for (int i = 1; b.length() < BYTES; i++) {
      b.append(i).append('\n');
    }
    return b.substring(0, BYTES);
  }

  private static String stderr(String out) {
    StringBuilder b = new StringBuilder(out.length());
    for (char c : out.toCharArray()) {
      b.append(c == '\n' ? ';' : (char) ('a' + (c - '0')));
    }
    return b.toString();
  }

  /** Fails naming the lengths and the first byte that differs, not printing 1 MiB. */
  static void assertStream(String what, String expected, String actual) {
    if (expected.equals(actual)) {
      return;
    }
    int i = 0;
    while (i < Math.min(expected.length(), actual.length())
        && expected.charAt(i) == actual.charAt(i)) {
      i++;
    }
    fail(what + ": " + actual.length() + " bytes instead of " + expected.length()
        + ", the first difference at offset " + i);
  }

  /** One text holding both streams (file logging): every byte of each, each in its order. */
  static void assertBothIn(String both) {
    StringBuilder out = new StringBuilder(BYTES);
    StringBuilder err = new StringBuilder(BYTES);
    for (int i = 0; i < both.length(); i++) {
      char c = both.charAt(i);
      if (c == '\n' || (c >= '0' && c <= '9')) {
        out.append(c);
      } else if (c == ';' || (c >= 'a' && c <= 'j')) {
        err.append(c);
      } else {
        fail("byte " + (int) c + " at offset " + i + " is from neither stream");
      }
    }
    assertStream("stdout in the output", STDOUT, out.toString());
    assertStream("stderr in the output", STDERR, err.toString());
    assertEquals(2 * BYTES, both.length());
  }

  /** Reads {@code in} to its end on a thread of its own (the common pool may have one). */
  static CompletableFuture<String> readToEnd(InputStream in, String name) {
    CompletableFuture<String> read = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        read.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        read.completeExceptionally(new UncheckedIOException(e));
      }
    }, "known-output-" + name);
    t.setDaemon(true);
    t.start();
    return read;
  }
}
