package io.github.sshcontainer.gateway.backend;

import io.github.sshcontainer.docker.ExitStatus;
import java.time.Duration;

/**
 * What happens in a gateway, for the embedding program's metrics (Micrometer, Prometheus, a
 * log): a listener, so that the gateway depends on no metrics library. Every method has an
 * empty default; they are called on the gateway's threads and must not block.
 */
public interface BackendEvents {
  /** Ignores everything. */
  BackendEvents NONE = new BackendEvents() { };

  /** A connection authenticated. */
  default void connectionOpened(ConnectionInfo connection) {}

  /** A connection ended after {@code duration}. */
  default void connectionClosed(ConnectionInfo connection, Duration duration) {}

  /** A login was refused (wrong key, unknown user, a limit): what sshd logs as Failed. */
  default void loginFailed(String user, String client, String why) {}

  /** A program request reached the backend (the seed's {@code backend_requests}). */
  default void requested(ConnectionInfo connection, SessionRequest request) {}

  /**
   * A session request was refused by the gateway's policy or the backend (a disabled shell, an
   * unknown subsystem).
   */
  default void requestRefused(SessionRequest request, String why) {}

  /** A request or connection failed in the backend (the seed's {@code backend_failures}). */
  default void failed(ConnectionInfo connection, BackendException failure) {}

  /** A container was created and started, taking {@code took}. */
  default void containerStarted(ConnectionInfo connection, Duration took) {}

  /** A session's program ended. */
  default void sessionEnded(ConnectionInfo connection, SessionRequest request,
      ExitStatus status) {}
}
