package io.github.sshcontainer.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Handlers for named signals (INT, TERM, HUP, WINCH), put back as they were on close.
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module jdk.unsupported,
 * exported to everyone). It is reached by reflection so that javac and javadoc, which warn about
 * every use of that package by name, stay quiet; where it is missing, {@link #on} says so and
 * the JVM's own handling stays.
 */
final class Signals implements AutoCloseable {
  /** A signal handled here, and the handler it had before. */
  private record Installed(Object signal, Object previous) {}

  private final List<Installed> installed = new ArrayList<>();

  /**
   * Runs {@code action} on the JVM's signal thread each time {@code name} arrives.
   *
   * @return false where this JVM has no {@code sun.misc.Signal} or keeps the signal for itself
   */
  boolean on(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object s = signal.getConstructor(String.class).newInstance(name);
      Object h = Proxy.newProxyInstance(Signals.class.getClassLoader(),
          new Class<?>[] {handler}, (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              action.run();
            }
            return null;
          });
      Method handle = signal.getMethod("handle", signal, handler);
      installed.add(new Installed(s, handle.invoke(null, s, h)));
      return true;
    } catch (ReflectiveOperationException | RuntimeException unavailable) {
      return false;
    }
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
    } finally {
      installed.clear();
    }
  }
}
