package io.github.sshcontainer.cli;

import io.github.sshcontainer.docker.ExecSession;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a remote session in this terminal's foreground, as {@code docker exec} and {@code ssh}
 * do: SIGINT, SIGTERM and SIGHUP sent to this process go to the remote process (which decides
 * what they mean), a resized terminal (SIGWINCH) resizes the remote TTY, and the remote exit
 * code is returned (128 + N for a death by signal N).
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module jdk.unsupported,
 * exported to everyone). It is reached by reflection so that javac and javadoc, which warn about
 * every use of that package by name, stay quiet; where it is missing, signals are not forwarded.
 */
final class Foreground implements AutoCloseable {
  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);
  private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

  /** A signal this object handles, and the handler it had before. */
  private record Installed(Object signal, Object previous) {}

  private final ExecSession session;
  private final List<Installed> installed = new ArrayList<>();

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
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object s = signal.getConstructor(String.class).newInstance(name);
      Object h = Proxy.newProxyInstance(Foreground.class.getClassLoader(),
          new Class<?>[] {handler}, (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              action.run();
            }
            return null;
          });
      Method handle = signal.getMethod("handle", signal, handler);
      installed.add(new Installed(s, handle.invoke(null, s, h)));
    } catch (ReflectiveOperationException | RuntimeException unavailable) {
      // no sun.misc, or this JVM keeps that signal for itself: it is not forwarded
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
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Method handle = signal.getMethod("handle", signal, handler);
      for (Installed i : installed) {
        handle.invoke(null, i.signal(), i.previous());
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // the handlers go with the process anyway
    }
  }
}
