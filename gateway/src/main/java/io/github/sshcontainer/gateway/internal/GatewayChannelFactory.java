package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.backend.ContainerBackend;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.Session;

/**
 * The gateway's only channel type, {@code session}: direct-tcpip, streamlocal and every other
 * type are unknown to the server, so forwarding is refused at the channel open. Each connection
 * counts its open session channels against the per-connection limit.
 */
public final class GatewayChannelFactory implements ChannelFactory {
  private static final AttributeKey<AtomicInteger> OPEN_SESSIONS = new AttributeKey<>();

  private final ContainerBackend backend;
  private final ConnectionRegistry connections;
  private final Executor workers;
  private final WebServer web;

  /**
   * The limit per connection is the registry's options' (a reload changes it); {@code web},
   * when not null, answers the {@code web-link} subsystem.
   */
  public GatewayChannelFactory(ContainerBackend backend, ConnectionRegistry connections,
      Executor workers, WebServer web) {
    this.backend = backend;
    this.connections = connections;
    this.workers = workers;
    this.web = web;
  }

  @Override
  public String getName() {
    return "session";
  }

  @Override
  public Channel createChannel(Session session) {
    AtomicInteger open = session.computeAttributeIfAbsent(OPEN_SESSIONS,
        k -> new AtomicInteger());
    return new GatewayChannel(backend, connections, workers, open,
        connections.options().maxSessionsPerConnection(), web);
  }
}
