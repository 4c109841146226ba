package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tunnel's order of open and close. The jobs live in small helpers: {@link SessionHolder} (the
 * session and reconnect), {@link SpareChannels} (channels opened ahead), {@link Acceptor} (local
 * connections), {@link ForwardedConnection} with {@link Inbound} and {@link LocalWriter} (each
 * connection's two directions and its flow control), {@link RemoteChannels} (opening channels).
 */
public final class Forwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  private static final Duration PUMP_IDLE = Duration.ofSeconds(3);

  private final String id;
  private final TunnelOptions options;
  private final TunnelThreads threads;
  private final ResolvedTarget target;
  private final RemoteChannels channels;
  private final SessionHolder sessions;
  private final SpareChannels spares;
  private final Set<ForwardedConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Pump threads, reused for a few seconds so a burst of short connections starts none. */
  private final ThreadPoolExecutor pumps;
  private LocalWriter writer;
  private LocalListener listener;
  private Acceptor acceptor;

  private Forwarder(TunnelOptions options) {
    this.id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    this.options = options;
    this.threads = new TunnelThreads(id);
    SshConnector connector = null;
    if (options.session().isEmpty()) {
      connector = new SshConnector(options);
      this.target = connector.target();
    } else {
      Session s = options.session().get();
      this.target = new ResolvedTarget(s.getHost(), s.getUserName(), s.getHost(), s.getPort(),
          List.of(), Path.of(""), options.connectTimeout(), options.keepaliveInterval(),
          options.keepaliveMaxMissed());
    }
    this.pumps = new ThreadPoolExecutor(0, Integer.MAX_VALUE, PUMP_IDLE.toMillis(),
        TimeUnit.MILLISECONDS, new SynchronousQueue<>(),
        body -> threads.create(threads.nextPump(), () -> {
          try {
            body.run();
          } finally {
            PumpSelectors.closeCurrent();
          }
        }));
    this.channels = new RemoteChannels(options.remoteSocket(), options.windowSize(),
        options.packetSize(), options.connectTimeout(), target.display());
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
  }

  /**
   * Connects, checks the remote socket, listens locally and starts forwarding.
   *
   * @throws TunnelException if any step fails; nothing is left open then
   */
  public static Forwarder open(TunnelOptions options) {
    Forwarder f = new Forwarder(options);
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
    if (options.forwarding() == TunnelOptions.Forwarding.DIAL_STDIO) {
      channels.useDialStdio();
    }
    if (!options.remoteSocketGiven() && !options.remoteSocketCandidates().isEmpty()) {
      discover(s);
    }
    if (options.readinessCheck()) {
      spares.offer(openFirst(s));
    }
    writer = new LocalWriter(threads);
    try {
      listener = options.localTcp() ? LocalListener.tcp()
          : LocalListener.unix(options.localSocket().orElse(null), socketFileName());
    } catch (UncheckedIOException e) {
      throw new TunnelException(Reason.LOCAL_SOCKET_UNAVAILABLE, e.getMessage()
          + "; check that the directory exists and is writable, or choose another path with "
          + "localSocket(...)", e.getCause());
    }
    acceptor = new Acceptor(id, listener, spares, pumps, this::serve);
    OpenTunnels.add(this);
    if (!acceptor.start()) {
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " closed while opening");
    }
    log.info("tunnel {} open: {} -> {}:{}", id, listener.uri(), target.display(),
        channels.remoteSocket());
  }

  /**
   * The readiness check; in AUTO mode a server that refuses stream-local forwarding switches the
   * tunnel to dial-stdio, which is logged once.
   */
  private RemoteChannels.Opened openFirst(Session s) {
    try {
      RemoteChannels.Opened o = channels.open(s);
      channels.checkDialStdio(o);
      return o;
    } catch (TunnelException e) {
      if (options.forwarding() != TunnelOptions.Forwarding.AUTO || !channels.forwardingRefused()
          || channels.dialStdio()) {
        throw e;
      }
      log.info("tunnel {}: {} refuses stream-local forwarding; using `docker system "
          + "dial-stdio` over an exec channel per connection", id, target.display());
      channels.useDialStdio();
      try {
        RemoteChannels.Opened o = channels.open(s);
        channels.checkDialStdio(o);
        return o;
      } catch (TunnelException e2) {
        e2.addSuppressed(e);
        throw new TunnelException(e2.reason(), e.getMessage() + "; the dial-stdio fallback "
            + "failed too: " + e2.getMessage(), e2);
      }
    }
  }

  /**
   * Tries the candidate sockets in order and keeps the first that accepts a connection. One
   * exec asks the remote login environment for DOCKER_HOST and the user's id.
   */
  private void discover(Session s) {
    String[] env;
    try {
      env = channels.run(s, "printf '%s\\n' \"$DOCKER_HOST\"; id -u").split("\n", -1);
    } catch (TunnelException e) {
      log.info("tunnel {}: cannot read DOCKER_HOST and the user id on {} ({}); trying the fixed "
          + "candidates", id, target.display(), e.getMessage());
      env = new String[0];
    }
    String dockerHost = env.length > 0 ? env[0].trim() : "";
    String uid = env.length > 1 ? env[1].trim() : "";
    List<String> tried = new ArrayList<>();
    for (String c : options.remoteSocketCandidates()) {
      String path = c;
      if (c.equals("$DOCKER_HOST")) {
        if (!dockerHost.startsWith("unix://")) {
          continue;
        }
        path = dockerHost.substring("unix://".length());
      }
      if (path.contains("${uid}")) {
        if (!uid.matches("\\d+")) {
          continue;
        }
        path = path.replace("${uid}", uid);
      }
      if (tried.contains(path)) {
        continue;
      }
      tried.add(path);
      channels.retarget(path);
      try {
        channels.open(s).discard();
        log.info("tunnel {}: found the remote socket {} on {} (tried {})", id, path,
            target.display(), tried);
        return;
      } catch (TunnelException e) {
        log.debug("tunnel {}: candidate {} does not answer: {}", id, path, e.getMessage());
      }
    }
    throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "no remote socket answers on "
        + target.display() + "; tried " + tried + " (remote DOCKER_HOST: "
        + (dockerHost.isEmpty() ? "unset" : dockerHost) + "). Name it with remoteSocket(...)"
        + " or ssh://host/path/to.sock");
  }

  /** The remote socket the tunnel reaches (after discovery, the one found). */
  public String remoteSocket() {
    return channels.remoteSocket();
  }

  /** The way connections reach the remote socket now. */
  public TunnelOptions.Forwarding forwardingInUse() {
    return channels.dialStdio() ? TunnelOptions.Forwarding.DIAL_STDIO
        : TunnelOptions.Forwarding.STREAM_LOCAL;
  }

  private String socketFileName() {
    String remote = options.remoteSocket();
    String name = remote.substring(remote.lastIndexOf('/') + 1);
    return name.isEmpty() || name.length() > 40 ? "remote.sock" : name;
  }

  /** Joins an accepted local connection to a channel and pumps it; runs on a pump thread. */
  private void serve(SocketChannel local, RemoteChannels.Opened spare) {
    RemoteChannels.Opened opened = spare;
    ForwardedConnection conn;
    try {
      if (opened == null) {
        opened = channels.open(sessions.await(options.connectTimeout()));
      }
      conn = new ForwardedConnection(local, opened, writer, this::forget);
    } catch (TunnelException | IOException e) {
      log.debug("tunnel {}: refusing a local connection: {}", id, e.getMessage());
      Acceptor.closeQuietly(local);
      if (opened != null) {
        opened.discard();
      }
      return;
    }
    connections.add(conn);
    if (closed.get()) {
      conn.close();
      return;
    }
    conn.attach();
    conn.pumpLocalToRemote();
  }

  private void forget(ForwardedConnection c) {
    connections.remove(c);
  }

  public String id() {
    return id;
  }

  /** Reads at most {@code max} bytes of a remote file over SFTP on the tunnel's session. */
  public byte[] readRemoteFile(String path, int max) throws java.io.IOException {
    return withSftp(path, sftp -> {
      try (java.io.InputStream in = sftp.get(path)) {
        return in.readNBytes(max);
      }
    });
  }

  /** Removes a remote file over SFTP; false if there was none. */
  public boolean deleteRemoteFile(String path) throws java.io.IOException {
    try {
      return withSftp(path, sftp -> {
        sftp.rm(path);
        return true;
      });
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  private interface SftpAction<T> {
    T run(com.jcraft.jsch.ChannelSftp sftp) throws com.jcraft.jsch.SftpException,
        java.io.IOException;
  }

  private <T> T withSftp(String path, SftpAction<T> action) throws java.io.IOException {
    com.jcraft.jsch.ChannelSftp sftp = null;
    try {
      sftp = (com.jcraft.jsch.ChannelSftp) sessions.await(options.connectTimeout())
          .openChannel("sftp");
      if (sftp == null) {
        throw new java.io.IOException("the SSH connection to " + target.display()
            + " is closing; cannot open SFTP");
      }
      sftp.connect((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
      return action.run(sftp);
    } catch (com.jcraft.jsch.SftpException e) {
      switch (e.id) {
        case com.jcraft.jsch.ChannelSftp.SSH_FX_NO_SUCH_FILE:
          throw new java.nio.file.NoSuchFileException(path, null, "on " + target.display());
        case com.jcraft.jsch.ChannelSftp.SSH_FX_PERMISSION_DENIED:
          throw new java.nio.file.AccessDeniedException(path, null, "on " + target.display()
              + " for " + target.user());
        default:
          throw new java.io.IOException("SFTP on " + target.display() + " failed for " + path
              + ": " + e.getMessage(), e);
      }
    } catch (com.jcraft.jsch.JSchException e) {
      throw new java.io.IOException("cannot open SFTP on " + target.display()
          + " (does sshd offer the sftp subsystem?): " + e.getMessage(), e);
    } finally {
      if (sftp != null) {
        sftp.disconnect();
      }
    }
  }

  /** Opens and closes one channel to the remote socket; throws why it cannot. */
  public void checkRemote() {
    channels.open(sessions.await(options.connectTimeout())).discard();
  }

  /** The local Unix socket, or null on TCP. */
  public Path localSocket() {
    return listener.socket();
  }

  public SocketAddress localAddress() {
    return listener.address();
  }

  public URI uri() {
    return listener.uri();
  }

  public ResolvedTarget target() {
    return target;
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
    spares.close();
    for (ForwardedConnection c : connections) {
      c.close();
    }
    sessions.close();
    pumps.shutdownNow();
    if (writer != null) {
      writer.close();
    }
    threads.interruptAll();
    long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
    List<String> left = threads.awaitAll(deadline);
    if (!left.isEmpty()) {
      log.warn("tunnel {}: threads still running {} ms after close: {}", id,
          CLOSE_GRACE.toMillis(), left);
    }
    if (listener != null) {
      log.info("tunnel {} closed: {}", id, listener.uri());
    }
  }
}
