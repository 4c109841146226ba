package io.github.sshcontainer.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A terminal program in a real terminal: a tmux session of a private server socket, driven
 * with send-keys, read with capture-pane, resized with resize-window. The pane stays once its
 * program has ended, so its last output can be read. Closing it kills the server.
 */
public final class Tmux implements AutoCloseable {
  private final String socket;
  private final String session = "t";

  private Tmux(String socket) {
    this.socket = socket;
  }

  /** Runs {@code command} in a new detached session of {@code columns}x{@code rows}. */
  public static Tmux start(List<String> command, int columns, int rows) {
    Prerequisites.require("tmux", "/usr/bin/tmux");
    Tmux t = new Tmux("sshc-" + System.nanoTime());
    // the pane stays after its program ends, so that what a short program printed last can
    // still be read (the server would otherwise go with it); set before the program starts
    List<String> cmd = new ArrayList<>();
    Collections.addAll(cmd, "start-server", ";", "set-option", "-g", "remain-on-exit", "on",
        ";", "new-session", "-d", "-s", t.session, "-x", String.valueOf(columns), "-y",
        String.valueOf(rows));
    cmd.addAll(command);
    t.tmux(cmd);
    return t;
  }

  /** Runs tmux with these arguments (a tmux command, not a program) on this server. */
  private String tmux(String... args) {
    return tmux(Arrays.asList(args));
  }

  private String tmux(List<String> args) {
    List<String> cmd = new ArrayList<>();
    Collections.addAll(cmd, "/usr/bin/tmux", "-L", socket, "-f", "/dev/null");
    cmd.addAll(args);
    OpenSshClient.Result r = OpenSshClient.run(cmd, null, Duration.ofSeconds(20));
    if (r.code() != 0) {
      throw new IllegalStateException("tmux " + args + ": " + r.err());
    }
    return r.out();
  }

  public void type(String keys) {
    tmux("send-keys", "-t", session, "-l", keys);
    tmux("send-keys", "-t", session, "Enter");
  }

  public void resize(int columns, int rows) {
    tmux("resize-window", "-t", session, "-x", String.valueOf(columns), "-y",
        String.valueOf(rows));
  }

  /**
   * The screen with its scrollback ({@code -S -}): when the program ends, tmux's "Pane is dead"
   * line scrolls the screen by one, and what was on the first line would be lost.
   */
  public String screen() {
    return tmux("capture-pane", "-p", "-S", "-", "-t", session);
  }

  /** Waits (polling the screen, bounded) until it shows {@code text}. */
  public String await(String text, Duration d) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    String s = screen();
    while (!s.contains(text)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("the terminal did not show '" + text + "' within " + d
            + ":\n" + s);
      }
      Thread.sleep(50);
      s = screen();
    }
    return s;
  }

  /**
   * Types {@code keys} (and Enter) until the screen shows {@code text}, once every 2 s, within
   * {@code d}: for what follows a resize, which reaches the program asynchronously (SIGWINCH to
   * the client, then a window-change or a daemon call), so that a command typed at once may
   * still see the old size.
   */
  public String typeUntil(String keys, String text, Duration d) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (true) {
      type(keys);
      long next = Math.min(end, System.nanoTime() + Duration.ofSeconds(2).toNanos());
      String s = screen();
      while (!s.contains(text) && System.nanoTime() < next) {
        Thread.sleep(50);
        s = screen();
      }
      if (s.contains(text)) {
        return s;
      }
      if (System.nanoTime() >= end) {
        throw new AssertionError("the terminal did not show '" + text + "' within " + d
            + " of typing '" + keys + "' again and again:\n" + s);
      }
    }
  }

  @Override
  public void close() {
    try {
      tmux("kill-server");
    } catch (IllegalStateException alreadyGone) {
      // the program ended and took the server with it
    }
  }
}
