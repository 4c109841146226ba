package io.github.sshcontainer.tunnel;

import io.github.sshcontainer.tunnel.internal.TunnelCoordinator;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A private local socket that reaches a Unix socket on a remote host over SSH, as {@code ssh -L
 * local.sock:remote.sock} does, managed for a Java program.
 *
 * <p>Each local connection becomes one {@code direct-streamlocal@openssh.com} channel over one SSH
 * connection; bytes flow both ways with half-close. The tunnel owns the SSH session (unless the
 * options carry the caller's), the private directory (0700) and socket (0600), its threads (one
 * event loop for every local socket beside JSch's session thread) and every forwarded
 * connection. If the SSH connection drops, it reconnects in the background: connections in flight
 * are closed, new ones work again.
 *
 * <pre>{@code
 * TunnelOptions options = TunnelOptions.builder("ssh://me@build-host")
 *     .remoteSocket("/var/run/docker.sock")
 *     .build();
 * try (SocketTunnel tunnel = SocketTunnel.open(options)) {
 *   String dockerHost = tunnel.uri().toString(); // unix:///tmp/ssh-container-…/docker.sock
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} is idempotent and bounded in time; when it returns, every
 * thread the tunnel started has ended and the socket file and its directory are gone. A JVM
 * shutdown hook closes tunnels a program never closed.
 */
public final class SocketTunnel implements AutoCloseable {
  private final TunnelCoordinator tunnel;
  private final TunnelOptions options;

  private SocketTunnel(TunnelCoordinator tunnel, TunnelOptions options) {
    this.tunnel = tunnel;
    this.options = options;
  }

  /**
   * Connects (retrying transient failures), checks that the remote socket accepts a connection
   * (unless {@link TunnelOptions.Builder#readinessCheck} is off), and starts listening locally.
   *
   * @throws TunnelException with a reason when any step fails; nothing is left behind then
   */
  public static SocketTunnel open(TunnelOptions options) {
    return new SocketTunnel(TunnelCoordinator.open(options), options);
  }

  /** Short id that names this tunnel in logs and thread names. */
  public String id() {
    return tunnel.id();
  }

  /** The local Unix socket path; empty when listening on TCP or with no socket. */
  public Optional<Path> localSocket() {
    return Optional.ofNullable(tunnel.localSocket());
  }

  /**
   * The local address clients connect to: a Unix socket address or 127.0.0.1:port.
   *
   * @throws IllegalStateException for a tunnel with {@link RemoteSocket#none()}
   */
  public SocketAddress localAddress() {
    return tunnel.localAddress();
  }

  /**
   * {@code unix:///path/to.sock} or {@code tcp://127.0.0.1:port}: a {@code DOCKER_HOST} value.
   *
   * @throws IllegalStateException for a tunnel with {@link RemoteSocket#none()}
   */
  public URI uri() {
    return tunnel.uri();
  }

  /**
   * The remote socket path the tunnel reaches (after discovery, the one found); empty for
   * {@link RemoteSocket#none()}.
   */
  public String remoteSocket() {
    return tunnel.remoteSocket();
  }

  /**
   * The connect timeout in use: the options', else ssh config's {@code ConnectTimeout}, else
   * {@link TunnelOptions#DEFAULT_CONNECT_TIMEOUT}.
   */
  public Duration connectTimeout() {
    return tunnel.connectTimeout();
  }

  /** {@code user@host:port} after ssh config was applied. */
  public String remote() {
    return tunnel.remoteDisplay();
  }

  public TunnelOptions options() {
    return options;
  }

  /** False once {@link #close()} was called. */
  public boolean isOpen() {
    return tunnel.isOpen();
  }

  /**
   * True while the SSH connection is up: false while the tunnel reconnects (new connections
   * then wait for it, up to the connect timeout) and once it is closed.
   */
  public boolean isConnected() {
    return tunnel.isConnected();
  }

  /** Forwarded connections currently open. */
  public int activeConnections() {
    return tunnel.activeConnections();
  }

  /** How connections reach the remote socket: stream-local, or the socket command. */
  public TunnelOptions.Forwarding forwarding() {
    return tunnel.forwardingInUse();
  }

  /**
   * Bytes that arrived from the remote end and wait for local clients that read slower than it
   * sends. Each connection holds at most its SSH window ({@link FlowControl#windowSize()}): the
   * remote end is granted more only as the local client reads, so a client that stops reading
   * stalls only its own connection.
   */
  public long queuedBytes() {
    return tunnel.queuedBytes();
  }

  /** How many times the SSH connection was re-established. */
  public int reconnects() {
    return tunnel.reconnects();
  }

  /**
   * Opens one connection to the remote socket and closes it again, waiting at most the connect
   * timeout: tells whether the remote end is reachable right now, and if not, why.
   *
   * @throws TunnelException REMOTE_SOCKET_UNAVAILABLE, TIMED_OUT or CLOSED, with the cause
   */
  public void checkRemote() {
    tunnel.checkRemote();
  }

  /**
   * Runs {@code command} on the remote host over this tunnel's SSH session, as {@code ssh host
   * command} does (an exec channel; no SFTP needed), and waits for it to exit.
   *
   * @param deadline the longest it may run; the channel is closed after it
   * @param maxStdout the most stdout kept; the rest is read and dropped ({@link
   *     RemoteCommandResult#truncated()})
   * @throws TunnelException TIMED_OUT past the deadline, CLOSED if the SSH connection is gone
   */
  public RemoteCommandResult run(String command, Duration deadline, int maxStdout) {
    Objects.requireNonNull(command, "command");
    if (deadline.isNegative() || deadline.isZero() || maxStdout < 0) {
      throw new IllegalArgumentException("deadline " + deadline + " must be positive and "
          + "maxStdout " + maxStdout + " at least 0");
    }
    return tunnel.run(command, deadline, maxStdout);
  }

  /**
   * Forwards {@code 127.0.0.1:localPort} (0: any free port) to {@code remoteHost:remotePort} as
   * the remote host sees them, as {@code ssh -L} does, over this tunnel's SSH connection. The
   * forward listens on loopback only, carries each connection in its own channel with its own
   * flow control, survives a reconnect, and closes with the tunnel.
   *
   * @throws TunnelException LOCAL_PORT_UNAVAILABLE if the local port is taken; CLOSED if the
   *     tunnel is
   * @throws IllegalArgumentException for a port out of range or a blank host
   */
  public TcpForward forwardTcp(int localPort, String remoteHost, int remotePort) {
    return tunnel.forwardTcp(localPort, remoteHost, remotePort);
  }

  /**
   * Runs {@code command} on the remote host over this tunnel's SSH connection and returns a
   * local connection joined to its stdin and stdout, with the tunnel's per-connection flow
   * control: what the command prints is read from it, what is written to it feeds the command,
   * and {@code shutdownOutput()} (or closing it) gives the command end of input. Its stderr is
   * dropped. Use it for streaming helpers such as {@code cat FIFO}; it closes with the tunnel.
   *
   * @throws TunnelException REMOTE_SOCKET_UNAVAILABLE if the server refuses the exec channel,
   *     CLOSED if the tunnel is
   */
  public SocketChannel openCommand(String command) {
    return tunnel.openCommand(Objects.requireNonNull(command, "command"));
  }

  /** The TCP forwards open on this tunnel now. */
  public List<TcpForward> tcpForwards() {
    return tunnel.tcpForwards();
  }

  @Override
  public void close() {
    tunnel.close();
  }

  @Override
  public String toString() {
    return "SocketTunnel[" + id() + " " + (remoteSocket().isEmpty()
        ? remote() + " (TCP forwards)" : uri() + " -> " + remote() + ":" + remoteSocket()) + "]";
  }
}
