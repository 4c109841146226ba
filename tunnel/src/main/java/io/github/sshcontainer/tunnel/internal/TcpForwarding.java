package io.github.sshcontainer.tunnel.internal;

import io.github.sshcontainer.tunnel.TcpForward;
import io.github.sshcontainer.tunnel.TunnelException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local TCP port forwarded to a remote host and port: its own listener and acceptor on the
 * tunnel's pump pool, a {@code direct-tcpip} channel per connection on the tunnel's current SSH
 * connection, the tunnel's writer and flow control.
 */
final class TcpForwarding implements TcpForward {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");

  /** What a forward needs from its tunnel. */
  interface Host {
    /** Opens a channel to host:port on the current session (waiting while reconnecting). */
    RemoteChannels.Opened open(String host, int port, InetSocketAddress origin);

    /**
     * Joins and pumps a connection on the calling thread; the tunnel tracks it (and closes it
     * when the SSH connection is lost), and calls {@link #track} and {@link #ended}.
     */
    void run(SocketChannel local, RemoteChannels.Opened opened, TcpForwarding forward);

    void forget(TcpForwarding forward);
  }

  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(2);
  private final String id;
  private final LocalListener listener;
  private final String remoteHost;
  private final int remotePort;
  private final Host host;
  private final Acceptor acceptor;
  private final Set<ForwardedConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean refusalLogged = new AtomicBoolean();

  TcpForwarding(String id, LocalListener listener, String remoteHost, int remotePort,
      ExecutorService pumps, Host host) {
    this.id = id;
    this.listener = listener;
    this.remoteHost = remoteHost;
    this.remotePort = remotePort;
    this.host = host;
    this.acceptor = new Acceptor(id, listener, null, pumps, (local, none) -> serve(local));
  }

  boolean start() {
    return acceptor.start();
  }

  private void serve(SocketChannel local) {
    RemoteChannels.Opened opened;
    try {
      InetSocketAddress origin = (InetSocketAddress) local.getRemoteAddress();
      opened = host.open(remoteHost, remotePort, origin);
    } catch (TunnelException | IOException e) {
      if (e instanceof TunnelException t
          && t.reason() == TunnelException.Reason.REMOTE_PORT_UNAVAILABLE
          && refusalLogged.compareAndSet(false, true)) {
        log.warn("tunnel {}: forward {} -> {}:{}: {}", id, localAddress(), remoteHost,
            remotePort, e.getMessage());
      } else {
        log.debug("tunnel {}: forward {} refusing a connection: {}", id, localAddress(),
            e.getMessage());
      }
      Acceptor.closeQuietly(local);
      return;
    }
    if (closed.get()) {
      opened.discard();
      Acceptor.closeQuietly(local);
      return;
    }
    host.run(local, opened, this);
  }

  /** A connection of this forward started. */
  void track(ForwardedConnection c) {
    connections.add(c);
    if (closed.get()) {
      c.close();
    }
  }

  /** Called when one of its connections ends. */
  void ended(ForwardedConnection c) {
    connections.remove(c);
  }

  @Override
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.address();
  }

  @Override
  public String remoteHost() {
    return remoteHost;
  }

  @Override
  public int remotePort() {
    return remotePort;
  }

  @Override
  public int openConnections() {
    return connections.size();
  }

  @Override
  public boolean isOpen() {
    return !closed.get();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    acceptor.close();
    listener.close();
    acceptor.awaitIdle(CLOSE_DEADLINE); // the port stops listening before close returns
    for (ForwardedConnection c : connections) {
      c.close();
    }
    host.forget(this);
    log.info("tunnel {}: forward {} -> {}:{} closed", id, localAddress(), remoteHost,
        remotePort);
  }

  @Override
  public String toString() {
    return "TcpForward[" + localAddress() + " -> " + remoteHost + ":" + remotePort + "]";
  }
}
