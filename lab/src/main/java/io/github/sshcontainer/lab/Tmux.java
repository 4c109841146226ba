package io.github.sshcontainer.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A terminal program in a real terminal: a tmux session of a private server socket, driven
 * with send-keys, read with capture-pane, resized with resize-window. Closing it kills the
 * server.
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
    List<String> cmd = new ArrayList<>(List.of("new-session", "-d", "-s", t.session, "-x",
        String.valueOf(columns), "-y", String.valueOf(rows)));
    cmd.addAll(command);
    t.tmux(cmd);
    return t;
  }

  private String tmux(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/tmux", "-L", socket, "-f",
        "/dev/null"));
    cmd.addAll(args);
    OpenSshClient.Result r = OpenSshClient.run(cmd, null, Duration.ofSeconds(20));
    if (r.code() != 0) {
      throw new IllegalStateException("tmux " + args + ": " + r.err());
    }
    return r.out();
  }

  public void type(String keys) {
    tmux(List.of("send-keys", "-t", session, "-l", keys));
    tmux(List.of("send-keys", "-t", session, "Enter"));
  }

  public void resize(int columns, int rows) {
    tmux(List.of("resize-window", "-t", session, "-x", String.valueOf(columns), "-y",
        String.valueOf(rows)));
  }

  public String screen() {
    return tmux(List.of("capture-pane", "-p", "-t", session));
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

  @Override
  public void close() {
    try {
      tmux(List.of("kill-server"));
    } catch (IllegalStateException alreadyGone) {
      // the program ended and took the server with it
    }
  }
}
