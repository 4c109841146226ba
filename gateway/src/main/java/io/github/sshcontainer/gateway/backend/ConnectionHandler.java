package io.github.sshcontainer.gateway.backend;

import java.util.List;

/** One authenticated connection of a {@link ContainerBackend}. Thread-safe. */
public interface ConnectionHandler extends AutoCloseable {
  /** A session channel opened on this connection. */
  SessionHandler onSessionChannel();

  /**
   * The ids of the containers this connection has made so far, for the gateway's audit log.
   * Default: none known.
   */
  default List<String> containers() {
    return List.of();
  }

  /**
   * What shaped this connection's containers beyond the backend's own options (a config
   * file's match block, a configuration webhook's answer), for the gateway's audit log; empty
   * when nothing did. Default: empty.
   */
  default String shapedBy() {
    return "";
  }

  /** The user disconnected: free what the connection holds (its container). Idempotent. */
  @Override
  void close();
}
