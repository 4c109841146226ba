package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.LocalEndpoint;
import io.github.sshcontainer.tunnel.RemoteCommandResult;
import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.TcpForward;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel: the order of open and close, and the set of its connections; the public {@code
 * SocketTunnel} is its face. It forwards nothing itself: the jobs live in small helpers,
 * {@link SessionHolder} (the session and reconnect), {@link SocketDiscovery} (which remote
 * socket), {@link SpareChannels} (channels opened ahead), {@link Acceptor} (local connections),
 * {@link TcpForwarding} (TCP ports), {@link LocalEventLoop} (accepting on the socket and reading
 * every local socket), {@link ForwardedConnection} with {@link Inbound} and {@link LocalWriter}
 * (each connection's two directions and its flow control), {@link RemoteChannels} (opening
 * channels), {@link RemoteExec} (commands). Every kind of connection starts in {@link #join}.
 */
public final class TunnelCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  private static final Duration PUMP_IDLE = Duration.ofSeconds(3);

  private final String id;
  private final TunnelOptions options;
  private final RemoteSocket remote;
  private final TunnelThreads threads;
  private final ResolvedTarget target;
  private final RemoteChannels channels;
  private final SessionHolder sessions;
  private final SpareChannels spares;
  private final Set<ForwardedConnection> connections = ConcurrentHashMap.newKeySet();
  private final Set<TcpForwarding> forwards = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Pump threads, reused for a few seconds so a burst of short connections starts none. */
  private final ThreadPoolExecutor pumps;
  private LocalWriter writer;
  /** Null when JSch's window fields are out of reach: connections then pump on their own. */
  private LocalEventLoop loop;
  private LocalListener listener;
  private Acceptor acceptor;

  private TunnelCoordinator(TunnelOptions options) {
    this.id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    this.options = options;
    this.remote = options.remoteSocket().orElseThrow(() -> new IllegalArgumentException(
        "no remote socket: name it with remoteSocket(...) or an ssh://host/path/to.sock "
            + "destination"));
    this.threads = new TunnelThreads(id);
    SshConnector connector = null;
    if (options.session().isEmpty()) {
      connector = new SshConnector(options);
      this.target = connector.target();
    } else {
      this.target = TargetResolver.of(options.session().get(), options);
    }
    this.pumps = new ThreadPoolExecutor(0, Integer.MAX_VALUE, PUMP_IDLE.toMillis(),
        TimeUnit.MILLISECONDS, new SynchronousQueue<>(),
        body -> threads.create(threads.nextPump(), () -> {
          try {
            body.run();
          } finally {
            PumpResources.closeCurrent();
          }
        }));
    this.channels = new RemoteChannels(remote.isNone() ? "" : remote.candidates().get(0),
        options.socketCommand().orElse(null), options.flowControl().windowSize(),
        options.flowControl().packetSize(), target.connectTimeout(), target.display());
    this.sessions = new SessionHolder(id, options, connector, target, threads,
        new SessionHolder.Listener() {
          @Override
          public void lost() {
            spares.clear();
            // channels of the dead session are gone; their local ends must not wait for data
            for (ForwardedConnection c : connections) {
              c.close();
            }
          }

          @Override
          public void restored() {
            spares.refill();
          }
        });
    this.spares = new SpareChannels(id, options.spareChannels(), channels, sessions, pumps);
    if (sessions.owned()) {
      channels.extraSessions(sessions::extra);
    }
  }

  /**
   * Connects, checks the remote socket, listens locally and starts forwarding.
   *
   * @throws TunnelException if any step fails; nothing is left open then
   */
  public static TunnelCoordinator open(TunnelOptions options) {
    TunnelCoordinator f = new TunnelCoordinator(options);
    try {
      f.start();
      return f;
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }

  private void start() {
    Session s = sessions.start();
    if (options.forwarding() == TunnelOptions.Forwarding.COMMAND) {
      channels.useCommand();
    }
    if (remote.discovered()) {
      SocketDiscovery.find(id, remote, channels, s, target);
    }
    writer = new LocalWriter(threads);
    if (WindowGate.available()) {
      loop = new LocalEventLoop(id, threads, pumps);
    }
    if (remote.isNone()) {
      OpenTunnels.add(this);
      log.info("tunnel {} open: {} for TCP forwards", id, target.display());
      return;
    }
    if (options.readinessCheck()) {
      spares.offer(openFirst(s));
    }
    try {
      LocalEndpoint local = options.localEndpoint();
      listener = local.isTcp() ? LocalListener.tcp()
          : LocalListener.unix(local.socketPath().orElse(null), socketFileName());
    } catch (UncheckedIOException e) {
      throw new TunnelException(Reason.LOCAL_SOCKET_UNAVAILABLE, e.getMessage()
          + "; check that the directory exists and is writable, or choose another path with "
          + "localSocket(...)", e.getCause());
    }
    OpenTunnels.add(this);
    if (loop != null) {
      loop.listen(listener.channel(), this::accepted);
    } else {
      acceptor = new Acceptor(id, listener, spares, pumps, this::serve);
      if (!acceptor.start()) {
        throw new TunnelException(Reason.CLOSED, "tunnel " + id + " closed while opening");
      }
    }
    log.info("tunnel {} open: {} -> {}:{}", id, listener.uri(), target.display(),
        channels.remoteSocket());
  }

  /**
   * The readiness check; in AUTO mode a server that refuses stream-local forwarding switches the
   * tunnel to the socket command, if one is set, which is logged once.
   */
  private RemoteChannels.Opened openFirst(Session s) {
    try {
      RemoteChannels.Opened o = channels.open(s);
      channels.checkCommand(o);
      return o;
    } catch (TunnelException e) {
      if (options.forwarding() != TunnelOptions.Forwarding.AUTO || !channels.forwardingRefused()
          || channels.viaCommand() || !channels.hasCommand()) {
        throw e;
      }
      log.info("tunnel {}: {} refuses stream-local forwarding; using `{}` over an exec channel "
          + "per connection", id, target.display(), channels.commandLine());
      channels.useCommand();
      try {
        RemoteChannels.Opened o = channels.open(s);
        channels.checkCommand(o);
        return o;
      } catch (TunnelException e2) {
        e2.addSuppressed(e);
        throw new TunnelException(e2.reason(), e.getMessage() + "; the fallback `"
            + channels.commandLine() + "` failed too: " + e2.getMessage(), e2);
      }
    }
  }

  /** The remote socket the tunnel reaches (after discovery, the one found). */
  public String remoteSocket() {
    return channels.remoteSocket();
  }

  /** The way connections reach the remote socket now. */
  public TunnelOptions.Forwarding forwardingInUse() {
    return channels.viaCommand() ? TunnelOptions.Forwarding.COMMAND
        : TunnelOptions.Forwarding.STREAM_LOCAL;
  }

  private String socketFileName() {
    String path = channels.remoteSocket();
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.isEmpty() || name.length() > 40 ? "remote.sock" : name;
  }

  /**
   * The event loop accepted a connection: joined at once to a spare channel, else handed to a
   * pump thread to wait for a new one.
   */
  private void accepted(SocketChannel local) {
    RemoteChannels.Opened spare = spares.take();
    if (spare != null) {
      serve(local, spare);
      return;
    }
    try {
      pumps.execute(() -> serve(local, null));
    } catch (RejectedExecutionException closing) {
      Acceptor.closeQuietly(local);
    }
  }

  /** Serves an accepted local connection with a spare channel or a new one. */
  private void serve(SocketChannel local, RemoteChannels.Opened spare) {
    RemoteChannels.Opened opened = spare;
    if (opened == null) {
      try {
        opened = channels.open(sessions.await(target.connectTimeout()));
      } catch (TunnelException e) {
        log.debug("tunnel {}: refusing a local connection: {}", id, e.getMessage());
        Acceptor.closeQuietly(local);
        return;
      }
    }
    // refill once this connection's request is on the wire: a CHANNEL_OPEN sent before it
    // makes sshd connect to the remote socket first, and the request waits behind that
    join(local, opened, null, spare != null ? spares::refill : null);
  }

  /**
   * Joins a local connection to an opened channel and hands it to the event loop (without one:
   * pumps it on the calling thread until it ends): how every connection starts, the socket's, a
   * TCP forward's ({@code forward} then tracks it too) and a command's. {@code afterFirstSend},
   * if any, runs once its first bytes went out.
   */
  private void join(SocketChannel local, RemoteChannels.Opened opened, TcpForwarding forward,
      Runnable afterFirstSend) {
    ForwardedConnection conn;
    try {
      conn = new ForwardedConnection(local, opened, writer, c -> {
        connections.remove(c);
        if (forward != null) {
          forward.ended(c);
        }
      }, loop == null ? null : () -> loop.release(local));
    } catch (IOException e) {
      log.debug("tunnel {}: refusing a local connection: {}", id, e.toString());
      Acceptor.closeQuietly(local);
      opened.discard();
      return;
    }
    connections.add(conn);
    if (forward != null) {
      forward.track(conn);
    }
    if (closed.get() || (forward != null && !forward.isOpen())) {
      conn.close();
      return;
    }
    if (afterFirstSend != null) {
      conn.afterFirstSend(afterFirstSend);
    }
    conn.attach();
    if (loop != null) {
      loop.add(conn);
    } else {
      conn.pumpLocalToRemote();
    }
  }

  /**
   * Listens on 127.0.0.1:{@code localPort} (0: any free port) and forwards each connection to
   * {@code host:port} as the remote host sees them.
   *
   * @throws TunnelException LOCAL_PORT_UNAVAILABLE if the port is taken, CLOSED if the tunnel is
   */
  public TcpForward forwardTcp(int localPort, String host, int port) {
    if (localPort < 0 || localPort > 65535) {
      throw new IllegalArgumentException("local port " + localPort + " must be 0..65535");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("remote port " + port + " must be 1..65535");
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("remote host must be given, e.g. 127.0.0.1");
    }
    if (closed.get()) {
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
    }
    LocalListener l;
    try {
      l = LocalListener.tcp(localPort);
    } catch (IOException e) {
      throw new TunnelException(Reason.LOCAL_PORT_UNAVAILABLE, "cannot listen on 127.0.0.1:"
          + localPort + " for a forward to " + host + ":" + port + ": " + e.getMessage()
          + (e instanceof BindException ? " (the port is taken: choose another, or 0"
              + " for any free one)" : ""), e);
    }
    TcpForwarding f = new TcpForwarding(id, l, host, port, pumps, tcpHost);
    forwards.add(f);
    if (closed.get() || !f.start()) {
      f.close();
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
    }
    log.info("tunnel {}: forward {} -> {}:{} on {}", id, f.localAddress(), host, port,
        target.display());
    return f;
  }

  /**
   * Runs {@code command} on the remote host and returns a local connection joined to its
   * stdin and stdout, with the tunnel's flow control: reading gives what it prints, writing
   * feeds it, and shutting down output (or closing) gives it end of input. Its stderr is dropped.
   */
  public SocketChannel openCommand(String command) {
    if (closed.get()) {
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
    }
    RemoteChannels.Opened opened = channels.openCommand(
        sessions.await(target.connectTimeout()), command);
    SocketChannel[] pair;
    try {
      pair = LocalPair.open();
    } catch (IOException e) {
      opened.discard();
      throw new TunnelException(Reason.LOCAL_SOCKET_UNAVAILABLE, "cannot make a local socket "
          + "pair for `" + command + "`: " + e.getMessage(), e);
    }
    try {
      pumps.execute(() -> join(pair[0], opened, null, null));
    } catch (RejectedExecutionException closing) {
      opened.discard();
      Acceptor.closeQuietly(pair[0]);
      Acceptor.closeQuietly(pair[1]);
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
    }
    return pair[1];
  }

  /** The TCP forwards open now. */
  public List<TcpForward> tcpForwards() {
    return List.copyOf(forwards);
  }

  private final TcpForwarding.Host tcpHost = new TcpForwarding.Host() {
    @Override
    public RemoteChannels.Opened open(String host, int port, InetSocketAddress origin) {
      return channels.openTcp(sessions.await(target.connectTimeout()), host, port, origin);
    }

    @Override
    public void run(SocketChannel local, RemoteChannels.Opened opened, TcpForwarding forward) {
      join(local, opened, forward, null);
    }

    @Override
    public void forget(TcpForwarding forward) {
      forwards.remove(forward);
    }
  };

  public String id() {
    return id;
  }

  /** Runs a command on the remote host over the tunnel's session. */
  public RemoteCommandResult run(String command, Duration deadline, int maxStdout) {
    return RemoteExec.run(sessions.await(target.connectTimeout()), target.display(), command,
        deadline, maxStdout);
  }

  /** Opens and closes one channel to the remote socket; throws why it cannot. */
  public void checkRemote() {
    channels.open(sessions.await(target.connectTimeout())).discard();
  }

  /** The local Unix socket, or null on TCP or without a socket. */
  public Path localSocket() {
    return listener == null ? null : listener.socket();
  }

  public SocketAddress localAddress() {
    return socketListener().address();
  }

  public URI uri() {
    return socketListener().uri();
  }

  private LocalListener socketListener() {
    if (listener == null) {
      throw new IllegalStateException("tunnel " + id + " has no socket (RemoteSocket.none()):"
          + " it carries only TCP forwards");
    }
    return listener;
  }

  /** {@code user@host:port} after ssh config was applied. */
  public String remoteDisplay() {
    return target.display();
  }

  /** The connect timeout in use after ssh config and defaults. */
  public Duration connectTimeout() {
    return target.connectTimeout();
  }

  public boolean isOpen() {
    return !closed.get();
  }

  public int activeConnections() {
    return connections.size();
  }

  public int reconnects() {
    return sessions.reconnects();
  }

  /** True while the SSH connection is up (false while reconnecting, and once closed). */
  public boolean isConnected() {
    return !closed.get() && sessions.current() != null;
  }

  /** Bytes from the remote end waiting for slow local clients, over all connections. */
  public long queuedBytes() {
    long sum = 0;
    for (ForwardedConnection c : connections) {
      sum += c.queued();
    }
    return sum;
  }

  /**
   * Closes everything, in a bounded time: the listener (and its socket file and directory), the
   * forwarded connections, the spare channels, the session if owned; then waits for every thread
   * it started. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    OpenTunnels.remove(this);
    if (acceptor != null) {
      acceptor.close();
    }
    if (listener != null) {
      listener.close(); // removes the socket and its directory first, whatever else is stuck
    }
    for (TcpForwarding f : List.copyOf(forwards)) {
      f.close();
    }
    spares.close();
    for (ForwardedConnection c : connections) {
      c.close();
    }
    sessions.close();
    pumps.shutdownNow();
    if (writer != null) {
      writer.close();
    }
    if (loop != null) {
      loop.close();
    }
    threads.interruptAll();
    long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
    List<String> left = threads.awaitAll(deadline);
    if (!left.isEmpty()) {
      log.warn("tunnel {}: threads still running {} ms after close: {}", id,
          CLOSE_GRACE.toMillis(), left);
    }
    log.info("tunnel {} closed: {}", id, listener != null ? listener.uri()
        : target.display());
  }
}
