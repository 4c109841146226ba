package io.github.sshcontainer.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Locale;

/** Counts the bytes a long operation reads and shows bytes, rate and time left. */
final class Progress extends FilterInputStream {
  private final long total;
  private final String label;
  private final PrintStream out;
  private final long started = System.nanoTime();
  private long done;
  private long lastPrint;

  private Progress(InputStream in, long total, String label, PrintStream out) {
    super(in);
    this.total = total;
    this.label = label;
    this.out = out;
  }

  static InputStream reading(InputStream in, long total, String label, PrintStream out) {
    return new Progress(in, total, label, out);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      advance(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      advance(n);
    }
    return n;
  }

  private void advance(long n) {
    done += n;
    long now = System.nanoTime();
    if (now - lastPrint > 250_000_000L || done == total) {
      lastPrint = now;
      double secs = Math.max(1e-3, (now - started) / 1e9);
      double rate = done / secs;
      String left = rate > 0 && total > 0
          ? String.format(Locale.ROOT, "%.0f s left", (total - done) / rate) : "";
      out.printf(Locale.ROOT, "\r%s: %.1f / %.1f MiB, %.1f MiB/s, %s   ", label,
          done / 1048576.0, total / 1048576.0, rate / 1048576.0, left);
      if (done == total) {
        out.println();
      }
      out.flush();
    }
  }
}
