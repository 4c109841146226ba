package io.github.sshcontainer.cli;

import io.github.sshcontainer.docker.ExecSession;
import java.time.Duration;
import java.util.List;

/**
 * Runs a remote session in this terminal's foreground, as {@code docker exec} and {@code ssh}
 * do: SIGINT, SIGTERM and SIGHUP sent to this process go to the remote process (which decides
 * what they mean), a resized terminal (SIGWINCH) resizes the remote TTY, and the remote exit
 * code is returned (128 + N for a death by signal N).
 * Where the JVM cannot handle signals (see {@link Signals}), they are not forwarded.
 */
final class Foreground implements AutoCloseable {
  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);
  private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

  private final ExecSession session;
  private final Signals signals = new Signals();

  private Foreground(ExecSession session) {
    this.session = session;
  }

  /** Takes over the signals and, with {@code terminal}, its size, until closed. */
  static Foreground of(ExecSession session, Terminal terminal) {
    Foreground f = new Foreground(session);
    for (String name : FORWARDED) {
      f.install(name, () -> f.forward(name));
    }
    if (terminal != null) {
      f.install("WINCH", () -> {
        Terminal now = Terminal.current();
        if (now != null) {
          session.resize(now.columns(), now.rows());
        }
      });
    }
    return f;
  }

  private void install(String name, Runnable action) {
    signals.on(name, action);
  }

  private void forward(String name) {
    Thread t = new Thread(() -> {
      try {
        session.signal(name);
      } catch (RuntimeException e) {
        System.err.println("ssh-container: " + name + " not delivered: " + Errors.oneLine(e));
      }
    }, "ssh-container-signal-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** Waits for the remote process and returns its exit code. */
  int awaitExit() {
    return session.awaitExit(FOREVER).code();
  }

  @Override
  public void close() {
    signals.close();
  }
}
