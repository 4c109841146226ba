package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.backend.ContainerBackend;
import java.util.concurrent.Executor;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.Session;

/**
 * The gateway's only channel type, {@code session}: direct-tcpip, streamlocal and every other
 * type are unknown to the server, so forwarding is refused at the channel open.
 */
public final class GatewayChannelFactory implements ChannelFactory {
  private final ContainerBackend backend;
  private final ConnectionRegistry connections;
  private final Executor workers;

  public GatewayChannelFactory(ContainerBackend backend, ConnectionRegistry connections,
      Executor workers) {
    this.backend = backend;
    this.connections = connections;
    this.workers = workers;
  }

  @Override
  public String getName() {
    return "session";
  }

  @Override
  public Channel createChannel(Session session) {
    return new GatewayChannel(backend, connections, workers);
  }
}
