package io.github.sshcontainer.gateway.backend;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Who connected: what an SSH server knows once a user has authenticated.
 *
 * @param user the user name the client logged in as
 * @param client the client's address
 * @param connectionId the server's id for this connection, unique while it runs
 * @param server the server's address the client reached (for {@code SSH_CONNECTION})
 * @param identity how the user authenticated: key, certificate or password
 */
public record ConnectionInfo(String user, InetSocketAddress client, String connectionId,
    InetSocketAddress server, LoginIdentity identity) {
  public ConnectionInfo {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(connectionId, "connectionId");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(identity, "identity");
  }

  /** A connection whose server address and identity are not known (0.0.0.0:0, UNKNOWN). */
  public ConnectionInfo(String user, InetSocketAddress client, String connectionId) {
    this(user, client, connectionId, new InetSocketAddress("0.0.0.0", 0),
        LoginIdentity.UNKNOWN);
  }

  /** {@code user@host:port}, for log lines. */
  public String display() {
    return user + "@" + client.getHostString() + ":" + client.getPort();
  }

  /** OpenSSH's {@code SSH_CONNECTION}: client address and port, server address and port. */
  public String sshConnection() {
    return client.getAddress().getHostAddress() + " " + client.getPort() + " "
        + server.getAddress().getHostAddress() + " " + server.getPort();
  }

  /** OpenSSH's {@code SSH_CLIENT}: client address and port, server port. */
  public String sshClient() {
    return client.getAddress().getHostAddress() + " " + client.getPort() + " "
        + server.getPort();
  }
}
