package io.github.sshcontainer.gateway.docker;

import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import java.util.Objects;

/**
 * Chooses the options of one connection's containers, as ContainerSSH's configuration server
 * does: from who logged in (user, key, certificate), a config file's match blocks or a
 * webhook's answer, over the backend's own options. {@link DockerBackend} asks it once per
 * connection, after authentication and before it makes anything, off the SSH server's I/O
 * threads: it may block (a webhook call), bounded by its own deadline.
 *
 * <p>Implementations are thread-safe: connections arrive at once on many threads.
 */
@FunctionalInterface
public interface PerConnectionOptions {
  /** Every connection gets the backend's options, shaped by nothing. */
  PerConnectionOptions NONE = (connection, base) -> new Choice(base, "");

  /**
   * What the user reads when their settings cannot be made (a webhook that fails, times out,
   * or answers a key it may not set): {@value}. The reason is the gateway's, in its log.
   */
  String REFUSAL = "your environment could not be prepared";

  /**
   * The options for {@code connection}'s containers.
   *
   * @param base the backend's options now (what a connection shaped by nothing gets)
   * @throws BackendException to refuse the connection: its message is what the user reads
   *     (see {@link #refusal}), its cause's message what the backend logs, in one WARN line
   */
  Choice choose(ConnectionInfo connection, DockerBackendOptions base);

  /**
   * A refusal whose user reads {@link #REFUSAL} and whose log line says {@code why} (which must
   * not hold a secret: no password, no token).
   */
  static BackendException refusal(String why) {
    return new BackendException(BackendException.Reason.REFUSED, REFUSAL,
        new IllegalStateException(Objects.requireNonNull(why, "why")));
  }

  /**
   * A connection's options, and what shaped them.
   *
   * @param options the options of the connection's containers
   * @param shapedBy what shaped them, for the container's {@link DockerBackend#SETTINGS_LABEL}
   *     label, the audit log and the connection's log line ({@code match 2 (user alice)},
   *     {@code config webhook}); empty when nothing did
   */
  record Choice(DockerBackendOptions options, String shapedBy) {
    public Choice {
      Objects.requireNonNull(options, "options");
      Objects.requireNonNull(shapedBy, "shapedBy");
    }
  }
}
