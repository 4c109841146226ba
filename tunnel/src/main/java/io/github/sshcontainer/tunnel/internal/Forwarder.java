package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind a {@code SocketTunnel}: one SSH session (re-established when it drops),
 * one local listener, an accept thread, one pump thread per forwarded connection, and a few
 * channels opened ahead of time.
 */
public final class Forwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  private static final Duration PUMP_IDLE = Duration.ofSeconds(3);

  private final String id;
  private final TunnelOptions options;
  private final TunnelThreads threads;
  private final SshConnector connector;
  private final ResolvedTarget target;
  private final RemoteChannels channels;
  private final boolean ownsSession;
  private final Object lock = new Object();
  private final Set<ForwardedConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger reconnects = new AtomicInteger();

  // guarded by lock
  private Session session;
  private TunnelException broken;
  private boolean reconnecting;
  private final Deque<RemoteChannels.Opened> spares = new ArrayDeque<>();

  private LocalListener listener;
  /** Pump threads, reused for a few seconds so a burst of short connections starts none. */
  private final java.util.concurrent.ThreadPoolExecutor pumps;
  private final AtomicBoolean replenishing = new AtomicBoolean();

  private Forwarder(TunnelOptions options) {
    this.id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    this.options = options;
    this.threads = new TunnelThreads(id);
    this.ownsSession = options.session().isEmpty();
    if (ownsSession) {
      this.connector = new SshConnector(options);
      this.target = connector.target();
    } else {
      Session s = options.session().get();
      this.connector = null;
      this.target = new ResolvedTarget(s.getHost(), s.getUserName(), s.getHost(), s.getPort(),
          List.of(), Path.of(""), options.connectTimeout(), options.keepaliveInterval(),
          options.keepaliveMaxMissed());
    }
    this.pumps = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE,
        PUMP_IDLE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS,
        new java.util.concurrent.SynchronousQueue<>(),
        body -> threads.create(threads.nextPump(), body));
    this.channels = new RemoteChannels(options.remoteSocket(), options.windowSize(),
        options.packetSize(), options.connectTimeout(), target.display());
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
    Session s = ownsSession ? connectNew() : options.session().get();
    synchronized (lock) {
      session = s;
    }
    if (options.forwarding() == TunnelOptions.Forwarding.DIAL_STDIO) {
      channels.useDialStdio();
    }
    if (!options.remoteSocketGiven() && !options.remoteSocketCandidates().isEmpty()) {
      discover(s);
    }
    if (options.readinessCheck()) {
      RemoteChannels.Opened first = openFirst(s);
      synchronized (lock) {
        if (options.spareChannels() > 0) {
          spares.add(first);
        } else {
          first.discard();
        }
      }
    }
    listener = options.localTcp() ? LocalListener.tcp()
        : LocalListener.unix(options.localSocket().orElse(null), socketFileName());
    OpenTunnels.add(this);
    if (!startAcceptor()) {
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " closed while opening");
    }
    log.info("tunnel {} open: {} -> {}:{}", id, listener.uri(), target.display(),
        options.remoteSocket());
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
    String[] env = channels.run(s, "printf '%s\\n' \"$DOCKER_HOST\"; id -u").split("\n", -1);
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

  /** A new owned session whose reader thread reports its own end. */
  private Session connectNew() {
    Session[] self = new Session[1];
    ThreadFactory factory = body -> threads.create("session", () -> {
      try {
        body.run();
      } finally {
        Session ended = self[0];
        if (ended != null) {
          sessionEnded(ended);
        }
      }
    });
    Session s = connector.connect(factory);
    self[0] = s;
    return s;
  }

  private void sessionEnded(Session s) {
    synchronized (lock) {
      if (closed.get() || s != session) {
        return;
      }
      session = null;
      for (RemoteChannels.Opened spare : spares) {
        spare.discard();
      }
      spares.clear();
      if (ownsSession && options.reconnect()) {
        if (!reconnecting) {
          reconnecting = true;
          log.warn("tunnel {}: SSH connection to {} lost; reconnecting", id, target.display());
          threads.start("reconnect", this::reconnectLoop);
        }
      } else {
        broken = new TunnelException(Reason.CLOSED, "the SSH connection to " + target.display()
            + " was lost and the tunnel does not reconnect ("
            + (ownsSession ? "reconnect is off" : "it uses the caller's session")
            + "); open a new tunnel");
        log.warn("tunnel {}: SSH connection to {} lost", id, target.display());
      }
      lock.notifyAll();
    }
    // channels of the dead session are gone; their local ends must not wait for data
    for (ForwardedConnection c : connections) {
      c.close();
    }
    if (connector != null) {
      connector.disconnect(s); // and the jump hosts under it
    }
  }

  private void reconnectLoop() {
    long started = System.nanoTime();
    int rounds = 0;
    Backoff pause = new Backoff(options.initialBackoff(), options.maxBackoff());
    while (!closed.get()) {
      rounds++;
      try {
        Session s = connectNew();
        synchronized (lock) {
          if (closed.get()) {
            connector.disconnect(s);
            return;
          }
          session = s;
          reconnecting = false;
          lock.notifyAll();
        }
        int n = reconnects.incrementAndGet();
        log.info("tunnel {}: reconnected to {} in {} ms (reconnect #{})", id, target.display(),
            (System.nanoTime() - started) / 1_000_000, n);
        scheduleReplenish();
        return;
      } catch (TunnelException e) {
        if (closed.get()) {
          return;
        }
        if (e.reason() != Reason.CANNOT_CONNECT && e.reason() != Reason.TIMED_OUT) {
          synchronized (lock) {
            broken = e;
            reconnecting = false;
            lock.notifyAll();
          }
          log.error("tunnel {}: cannot reconnect, giving up: {}", id, e.getMessage());
          return;
        }
        log.debug("tunnel {}: reconnect round {} failed: {}", id, rounds, e.getMessage());
        try {
          Thread.sleep(pause.delay(rounds).toMillis());
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /** The current session, waiting up to the connect timeout while reconnecting. */
  private Session awaitSession() {
    long deadline = System.nanoTime() + options.connectTimeout().toNanos();
    synchronized (lock) {
      while (true) {
        if (closed.get()) {
          throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
        }
        if (session != null) {
          if (session.isConnected()) {
            return session;
          }
          sessionEnded(session); // its reader thread has not reported yet
          continue;
        }
        if (broken != null) {
          throw broken;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TunnelException(Reason.TIMED_OUT, "tunnel " + id + ": no SSH connection to "
              + target.display() + " within " + options.connectTimeout().toMillis()
              + " ms (reconnecting)");
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TunnelException(Reason.CLOSED, "interrupted waiting for the SSH connection");
        }
      }
    }
  }

  /**
   * Leader/follower accepting: the thread that accepts a connection first hands the listener to
   * another pool thread, then serves the connection itself, so no thread hand-off sits between
   * a client's connect and its first byte going out.
   */
  private void acceptOne() {
    Thread me = Thread.currentThread();
    String poolName = me.getName();
    me.setName(TunnelThreads.PREFIX + id + "-accept");
    SocketChannel local;
    try {
      while (true) {
        try {
          local = listener.accept();
          break;
        } catch (ClosedChannelException e) {
          return;
        } catch (IOException e) {
          if (closed.get()) {
            return;
          }
          log.warn("tunnel {}: accept failed: {}", id, e.toString());
          sleepQuietly(50);
        }
      }
    } finally {
      me.setName(poolName);
    }
    RemoteChannels.Opened spare = takeSpare();
    if (!startAcceptor()) {
      closeQuietly(local);
      if (spare != null) {
        spare.discard();
      }
      return;
    }
    if (spare != null) {
      scheduleReplenish();
    }
    serve(local, spare);
  }

  private boolean startAcceptor() {
    if (closed.get()) {
      return false;
    }
    try {
      pumps.execute(this::acceptOne);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      return false;
    }
  }

  /** Opens spare channels on a pump thread, so that accepting never waits on the network. */
  private void scheduleReplenish() {
    if (options.spareChannels() == 0 || !replenishing.compareAndSet(false, true)) {
      return;
    }
    try {
      pumps.execute(() -> {
        try {
          replenishSpares();
        } finally {
          replenishing.set(false);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      replenishing.set(false);
    }
  }

  private RemoteChannels.Opened takeSpare() {
    synchronized (lock) {
      while (!spares.isEmpty()) {
        RemoteChannels.Opened o = spares.poll();
        if (o.usable()) {
          return o;
        }
        o.discard();
      }
      return null;
    }
  }

  private void replenishSpares() {
    int want = options.spareChannels();
    while (!closed.get()) {
      Session s;
      synchronized (lock) {
        if (spares.size() >= want || session == null || !session.isConnected()) {
          return;
        }
        s = session;
      }
      try {
        RemoteChannels.Opened o = channels.open(s);
        synchronized (lock) {
          if (closed.get() || s != session) {
            o.discard();
            return;
          }
          spares.add(o);
        }
      } catch (TunnelException e) {
        log.debug("tunnel {}: cannot open a spare channel: {}", id, e.getMessage());
        return;
      }
    }
  }

  private void serve(SocketChannel local, RemoteChannels.Opened spare) {
    RemoteChannels.Opened opened = spare;
    ForwardedConnection conn;
    try {
      if (opened == null) {
        opened = channels.open(awaitSession());
      }
      RemoteChannels.Opened o = opened;
      ForwardedConnection[] self = new ForwardedConnection[1];
      conn = new ForwardedConnection(local, o, () -> connections.remove(self[0]));
      self[0] = conn;
      connections.add(conn);
      if (closed.get()) {
        conn.close();
        return;
      }
    } catch (TunnelException | IOException e) {
      log.debug("tunnel {}: refusing a local connection: {}", id, e.getMessage());
      closeQuietly(local);
      if (opened != null) {
        opened.discard();
      }
      return;
    }
    conn.pumpLocalToRemote();
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
      sftp = (com.jcraft.jsch.ChannelSftp) awaitSession().openChannel("sftp");
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
    channels.open(awaitSession()).discard();
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
    return reconnects.get();
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
    if (listener != null) {
      listener.close();
    }
    Session s;
    List<RemoteChannels.Opened> idle;
    synchronized (lock) {
      s = session;
      session = null;
      idle = new ArrayList<>(spares);
      spares.clear();
      lock.notifyAll();
    }
    for (ForwardedConnection c : connections) {
      c.close();
    }
    for (RemoteChannels.Opened o : idle) {
      o.discard();
    }
    if (s != null && ownsSession) {
      connector.disconnect(s);
    }
    pumps.shutdownNow();
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

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
