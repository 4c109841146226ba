package io.github.sshcontainer.gateway.backend;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Who connected: what an SSH server knows once a user has authenticated.
 *
 * @param user the user name the client logged in as
 * @param client the client's address
 * @param connectionId the server's id for this connection, unique while it runs
 */
public record ConnectionInfo(String user, InetSocketAddress client, String connectionId) {
  public ConnectionInfo {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(connectionId, "connectionId");
  }

  /** {@code user@host:port}, for log lines. */
  public String display() {
    return user + "@" + client.getHostString() + ":" + client.getPort();
  }
}
