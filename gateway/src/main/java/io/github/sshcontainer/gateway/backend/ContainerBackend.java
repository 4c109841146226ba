package io.github.sshcontainer.gateway.backend;

/**
 * What an SSH server calls to land each connection in a container, independent of any SSH
 * server library: ContainerSSH's backend handler in Java. The server calls, per connection:
 * {@link #onConnection} once the user has authenticated (its handler's {@code close()} is the
 * disconnect); per session channel, {@link ConnectionHandler#onSessionChannel}, then the env and
 * pty requests, then one program request, then window changes and signals, then close.
 *
 * <p>Implementations are thread-safe: connections and sessions arrive at once on many threads.
 */
public interface ContainerBackend extends AutoCloseable {
  /**
   * At once and without blocking, before anything runs: whether {@code request} may run at all
   * here (a disabled shell or command, an unknown subsystem). A refusal reaches the client as a
   * channel failure and one stderr line.
   *
   * @throws BackendException REFUSED, with the reason for the user
   */
  void checkRequest(SessionRequest request);

  /**
   * A user authenticated: make what the connection needs (in connection mode, its container).
   * May block for as long as that takes; the server calls it off its I/O threads.
   *
   * @throws BackendException FAILED, UNAVAILABLE or LIMIT; the server keeps the connection and
   *     reports the failure to each of its sessions
   */
  ConnectionHandler onConnection(ConnectionInfo connection);

  /** Stops serving; connections still open are closed by their handlers. Idempotent. */
  @Override
  void close();
}
