package io.github.sshcontainer.gateway.backend;

/**
 * One session channel: its env and pty requests, then one program, then window changes and
 * signals while it runs. The server calls these in the order the client sent them.
 */
public interface SessionHandler extends AutoCloseable {
  /** An {@code env} request (OpenSSH's SendEnv and SetEnv), before the program starts. */
  void onEnv(String name, String value);

  /** A {@code pty-req}: the program gets a TTY of this size and TERM. */
  void onPty(String term, int columns, int rows);

  /**
   * Starts the program {@code request} names, with {@code io}; returns once it runs (it may
   * block while a container starts). Its end is reported through {@link SessionIo#exited}.
   *
   * @throws BackendException when it cannot start, with the reason for the user
   */
  void onStart(SessionRequest request, SessionIo io);

  /** A {@code window-change}: the TTY's new size. */
  void onWindowChange(int columns, int rows);

  /** A {@code signal} request, by name without SIG ({@code TERM}). */
  void onSignal(String signal);

  /** The channel closed: stop the program if it still runs. Idempotent. */
  @Override
  void close();
}
