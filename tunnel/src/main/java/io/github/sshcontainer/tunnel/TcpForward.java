package io.github.sshcontainer.tunnel;

import java.net.InetSocketAddress;

/**
 * A local TCP port on 127.0.0.1 forwarded over the tunnel's SSH connection to a host and port as
 * the remote host sees them ({@code ssh -L}): one {@code direct-tcpip} channel per connection,
 * with the same per-connection flow control as the socket tunnel. It survives a reconnect (new
 * connections use the new SSH connection) and closes with its tunnel.
 */
public interface TcpForward extends AutoCloseable {
  /** The local address it listens on: 127.0.0.1 and the bound port. */
  InetSocketAddress localAddress();

  /** The host connections go to, as the remote host resolves it. */
  String remoteHost();

  /** The port connections go to on {@link #remoteHost()}. */
  int remotePort();

  /** Connections open through it now. */
  int openConnections();

  /** True until it or its tunnel is closed. */
  boolean isOpen();

  /** Stops listening and closes its connections. Idempotent. */
  @Override
  void close();
}
