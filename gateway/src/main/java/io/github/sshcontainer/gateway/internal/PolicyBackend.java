package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's request policy around any backend, as ContainerSSH's security layer: disabled
 * shells, commands and subsystems are refused before the backend sees them, and env names the
 * operator did not allow never reach it. A connection keeps the policy it started under; a
 * reload changes it for new connections. Thread-safe.
 */
public final class PolicyBackend implements ContainerBackend {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  private final ContainerBackend next;
  private volatile GatewayOptions policy;

  public PolicyBackend(ContainerBackend next, GatewayOptions policy) {
    this.next = Objects.requireNonNull(next, "next");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** New connections and requests get {@code policy}. */
  public void reconfigure(GatewayOptions policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  @Override
  public void checkRequest(SessionRequest request) {
    GatewayOptions p = policy;
    switch (request.kind()) {
      case SHELL -> {
        if (p.disableShell()) {
          throw new BackendException(Reason.REFUSED, "shell sessions are disabled on this "
              + "gateway; run a command instead (ssh HOST COMMAND)");
        }
      }
      case EXEC -> {
        if (p.disableCommand()) {
          throw new BackendException(Reason.REFUSED, "running commands is disabled on this "
              + "gateway; open a shell instead (ssh HOST)");
        }
      }
      case SUBSYSTEM -> {
        if (p.disableSubsystems()) {
          throw new BackendException(Reason.REFUSED, "subsystems (such as sftp) are disabled "
              + "on this gateway");
        }
      }
      default -> throw new IllegalStateException(request.kind().name());
    }
    next.checkRequest(request);
  }

  @Override
  public ConnectionHandler onConnection(ConnectionInfo connection) {
    GatewayOptions p = policy;
    ConnectionHandler h = next.onConnection(connection);
    return new ConnectionHandler() {
      @Override
      public SessionHandler onSessionChannel() {
        return new FilteredSession(h.onSessionChannel(), p, connection.connectionId());
      }

      @Override
      public List<String> containers() {
        return h.containers();
      }

      @Override
      public String shapedBy() {
        return h.shapedBy();
      }

      @Override
      public void close() {
        h.close();
      }
    };
  }

  @Override
  public void close() {
    next.close();
  }

  /** A session whose env requests pass the connection's env filter. */
  private static final class FilteredSession extends ForwardingSessionHandler {
    private final GatewayOptions policy;
    private final String connectionId;

    FilteredSession(SessionHandler next, GatewayOptions policy, String connectionId) {
      super(next);
      this.policy = policy;
      this.connectionId = connectionId;
    }

    @Override
    public void onEnv(String name, String value) {
      if (policy.envAllowed(name)) {
        super.onEnv(name, value);
      } else {
        log.debug("gateway connection {}: env {} not allowed (env-allow)", connectionId, name);
      }
    }
  }
}
