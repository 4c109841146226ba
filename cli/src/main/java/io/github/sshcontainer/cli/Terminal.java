package io.github.sshcontainer.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The controlling terminal's size and raw mode, through stty on /dev/tty. */
final class Terminal {
  private final int columns;
  private final int rows;
  private String saved;

  private Terminal(int columns, int rows) {
    this.columns = columns;
    this.rows = rows;
  }

  /** The terminal, or null when there is none (stdin not a TTY). */
  static Terminal current() {
    if (System.console() == null) {
      return null;
    }
    String size = stty("size");
    if (size == null) {
      return null;
    }
    String[] p = size.trim().split("\\s+");
    try {
      return new Terminal(Integer.parseInt(p[1]), Integer.parseInt(p[0]));
    } catch (RuntimeException e) {
      return null;
    }
  }

  int columns() {
    return columns;
  }

  int rows() {
    return rows;
  }

  void raw() {
    saved = stty("-g");
    stty("raw -echo");
  }

  void restore() {
    if (saved != null) {
      stty(saved.trim());
      saved = null;
    }
  }

  private static String stty(String args) {
    try {
      Process p = new ProcessBuilder("sh", "-c", "stty " + args + " < /dev/tty")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
