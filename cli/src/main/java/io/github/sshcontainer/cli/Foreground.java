package io.github.sshcontainer.cli;

import io.github.sshcontainer.docker.ExecSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs a remote session in this terminal's foreground, as {@code docker exec} and {@code ssh}
 * do: SIGINT, SIGTERM and SIGHUP sent to this process go to the remote process (which decides
 * what they mean), a resized terminal (SIGWINCH) resizes the remote TTY, and the remote exit
 * code is returned (128 + N for a death by signal N). The JDK has no API for signals;
 * {@code sun.misc.Signal} (module jdk.unsupported) is the supported way in.
 */
final class Foreground implements AutoCloseable {
  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);
  private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

  private final ExecSession session;
  private final List<Signal> installed = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();

  private Foreground(ExecSession session) {
    this.session = session;
  }

  /** Takes over the signals and, with {@code terminal}, its size, until closed. */
  static Foreground of(ExecSession session, Terminal terminal) {
    Foreground f = new Foreground(session);
    for (String name : FORWARDED) {
      f.install(name, s -> f.forward(name));
    }
    if (terminal != null) {
      f.install("WINCH", s -> {
        Terminal now = Terminal.current();
        if (now != null) {
          session.resize(now.columns(), now.rows());
        }
      });
    }
    return f;
  }

  private void install(String name, SignalHandler handler) {
    try {
      Signal s = new Signal(name);
      previous.add(Signal.handle(s, handler));
      installed.add(s);
    } catch (IllegalArgumentException unavailable) {
      // this JVM keeps that signal for itself: it is not forwarded
    }
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
    for (int i = 0; i < installed.size(); i++) {
      Signal.handle(installed.get(i), previous.get(i));
    }
  }
}
