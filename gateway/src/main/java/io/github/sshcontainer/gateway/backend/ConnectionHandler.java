package io.github.sshcontainer.gateway.backend;

/** One authenticated connection of a {@link ContainerBackend}. Thread-safe. */
public interface ConnectionHandler extends AutoCloseable {
  /** A session channel opened on this connection. */
  SessionHandler onSessionChannel();

  /** The user disconnected: free what the connection holds (its container). Idempotent. */
  @Override
  void close();
}
