package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelDirectTCPIP;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Opens the tunnel's channels: {@code direct-streamlocal@openssh.com} to the remote socket (or
 * the socket command on an exec channel, once the tunnel uses it), {@code direct-tcpip} for TCP
 * forwards, and exec channels for {@link #openCommand}, each with its window tuned and its
 * inbound queue set. Why one could not be opened is {@link ChannelOpenFailures}'; how many exec
 * channels each SSH connection may hold is {@link SessionSlots}'.
 */
final class RemoteChannels {
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
  private static final Duration COMMAND_CHECK = Duration.ofMillis(500);
  /** A channel's first window: OpenSSH's default (64 packets of 32 KiB). */
  static final int INITIAL_WINDOW = 2 * 1024 * 1024;
  /** What JSch opens direct-streamlocal and exec channels with when it cannot be tuned. */
  private static final int JSCH_FIXED_WINDOW = 128 * 1024;

  /**
   * An open channel and its inbound queue; {@code release} gives back its place on a session
   * that limits session channels (idempotent; nothing for stream-local channels).
   */
  record Opened(Channel channel, Inbound inbound, Runnable release) {
    Opened(Channel channel, Inbound inbound) {
      this(channel, inbound, () -> { });
    }

    /** Still usable as a fresh connection: open, and nothing closed it meanwhile. */
    boolean usable() {
      return channel.isConnected() && !channel.isClosed() && !channel.isEOF()
          && !inbound.remoteEof();
    }

    void discard() {
      release.run();
      inbound.discard();
      try {
        channel.disconnect();
      } catch (RuntimeException ignored) {
        // session may be gone
      }
    }
  }

  private volatile String remoteSocket;
  private final int window;
  private final int packet;
  private final Duration timeout;
  private final String where;
  private final SocketCommand command;
  private volatile boolean viaCommand;
  private final ChannelOpenFailures failures;
  /** Exec channels per SSH connection (the socket command needs one per local connection). */
  private final SessionSlots slots;

  RemoteChannels(String remoteSocket, SocketCommand command, int window, int packet,
      Duration timeout, String where) {
    this.remoteSocket = remoteSocket;
    this.command = command;
    this.window = window;
    this.packet = packet;
    this.timeout = timeout;
    this.where = where;
    this.failures = new ChannelOpenFailures(where, timeout);
    this.slots = new SessionSlots(where);
  }

  String remoteSocket() {
    return remoteSocket;
  }

  /** Points later channels at another remote socket (discovery, before any connection). */
  void retarget(String path) {
    this.remoteSocket = path;
  }

  /**
   * Runs a short command on the remote host and returns its stdout, waiting at most a few
   * seconds.
   *
   * @throws TunnelException TIMED_OUT if it does not finish in time, CLOSED if the session is
   *     down, REMOTE_SOCKET_UNAVAILABLE if the server refuses the exec channel
   */
  String run(Session session, String command) {
    return RemoteExec.run(session, where, command, PROBE_DEADLINE, 64 * 1024).stdoutText();
  }

  /**
   * Where to get another SSH connection when the server refuses more session channels on one
   * (OpenSSH's MaxSessions, 10 by default): the command fallback needs one per connection.
   */
  void extraSessions(Supplier<Session> supplier) {
    slots.extraSessions(supplier);
  }

  /** From now on, connections run the {@link SocketCommand} on exec channels. */
  void useCommand() {
    if (command == null) {
      throw new IllegalStateException("no socket command to use");
    }
    viaCommand = true;
  }

  /** True once connections run the command instead of stream-local forwarding. */
  boolean viaCommand() {
    return viaCommand;
  }

  /** True when a command fallback is configured. */
  boolean hasCommand() {
    return command != null;
  }

  /** The command line for the current remote socket, for messages. */
  String commandLine() {
    return command == null ? "" : command.command(remoteSocket);
  }

  /** True once an open failed because the server refuses stream-local forwarding. */
  boolean forwardingRefused() {
    return failures.forwardingRefused();
  }

  /**
   * Opens one channel, waiting at most the connect timeout.
   *
   * @throws TunnelException REMOTE_SOCKET_UNAVAILABLE, TIMED_OUT or CLOSED
   */
  Opened open(Session session) {
    if (viaCommand) {
      return openCommand(session);
    }
    ChannelDirectStreamLocal ch;
    try {
      ch = (ChannelDirectStreamLocal) session.openChannel("direct-streamlocal@openssh.com");
      if (ch == null) { // JSch's answer while the session is disconnecting
        throw new JSchException("session is disconnecting");
      }
    } catch (JSchException e) {
      throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " is down; cannot open " + remoteSocket, e);
    }
    ch.setSocketPath(remoteSocket);
    Inbound sink = tune(ch, session);
    try {
      ch.connect((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (JSchException e) {
      throw failures.streamLocal(session, ch, e, remoteSocket);
    }
    return new Opened(ch, sink);
  }

  /**
   * Opens one {@code direct-tcpip} channel to {@code host:port} as the remote host sees them,
   * waiting at most the connect timeout.
   *
   * @param origin the local client's address, reported to the server as the originator
   * @throws TunnelException REMOTE_PORT_UNAVAILABLE, TIMED_OUT or CLOSED
   */
  Opened openTcp(Session session, String host, int port, InetSocketAddress origin) {
    ChannelDirectTCPIP ch;
    try {
      ch = (ChannelDirectTCPIP) session.openChannel("direct-tcpip");
      if (ch == null) {
        throw new JSchException("session is disconnecting");
      }
    } catch (JSchException e) {
      throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " is down; cannot open " + host + ":" + port, e);
    }
    ch.setHost(host);
    ch.setPort(port);
    ch.setOrgIPAddress(origin.getAddress().getHostAddress());
    ch.setOrgPort(origin.getPort());
    Inbound sink = tune(ch, session);
    try {
      ch.connect((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (JSchException e) {
      throw failures.tcp(session, ch, e, host, port);
    }
    return new Opened(ch, sink);
  }

  /**
   * Sets the window the channel opens with and its inbound queue. The window starts at {@link
   * #INITIAL_WINDOW} (OpenSSH's) and grows to the configured size while the local client keeps
   * up; without {@link ChannelTuning} it stays at JSch's fixed one.
   */
  private Inbound tune(Channel ch, Session session) {
    int initial = Math.min(window, INITIAL_WINDOW);
    ChannelTuning.apply(ch, initial, packet);
    boolean gated = WindowGate.available();
    Inbound in = ChannelTuning.available() ? new Inbound(ch, session, initial, window, gated)
        : new Inbound(ch, session, JSCH_FIXED_WINDOW, JSCH_FIXED_WINDOW, gated);
    ch.setOutputStream(in);
    return in;
  }

  /**
   * The way in without stream-local forwarding: the {@link SocketCommand} on the remote host, its
   * stdin and stdout joined to the local connection. A command that cannot work (not installed,
   * no daemon) exits at once; {@link #checkCommand} reports it with its exit status.
   */
  private Opened openCommand(Session primary) {
    return openCommand(primary, commandLine());
  }

  /**
   * Runs {@code command} on an exec channel, its stdin and stdout to be joined to a local
   * connection; takes another SSH connection when the server's MaxSessions is reached.
   */
  Opened openCommand(Session primary, String command) {
    for (int attempt = 1; ; attempt++) {
      Session session = slots.reserve(primary);
      ChannelExec exec;
      try {
        exec = (ChannelExec) session.openChannel("exec");
        if (exec == null) { // JSch's answer while the session is disconnecting
          throw new JSchException("session is disconnecting");
        }
      } catch (JSchException e) {
        slots.release(session);
        throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
            + " is down; cannot run `" + command + "`", e);
      }
      exec.setCommand(command);
      Inbound sink = tune(exec, session);
      try {
        exec.connect((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      } catch (JSchException e) {
        // a refusal (OpenSSH says "connect failed") while this connection holds other
        // sessions is its MaxSessions; a first refusal is the server refusing exec at all
        boolean full = slots.release(session) > 0 && session.isConnected()
            && exec.getExitStatus() > 0;
        if (full && slots.canGrow() && attempt < 4) {
          slots.learnLimit(session);
          continue; // on a session with room, or a new one
        }
        String hint = full ? " (the server limits sessions per connection: raise MaxSessions"
            + " in sshd_config on the host)" : "";
        throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
            + " refused an exec channel for `" + command + "`: " + e.getMessage() + hint,
            e);
      }
      AtomicBoolean released = new AtomicBoolean();
      return new Opened(exec, sink, () -> {
        if (released.compareAndSet(false, true)) {
          slots.release(session);
        }
      });
    }
  }

  /** Waits a moment: a command that cannot work exits at once. */
  void checkCommand(Opened o) {
    if (!(o.channel() instanceof ChannelExec exec)) {
      return;
    }
    long end = System.nanoTime() + COMMAND_CHECK.toNanos();
    while (System.nanoTime() < end && !exec.isClosed()) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (exec.isClosed()) {
      throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "`" + commandLine()
          + "` on " + where + " exited with status " + exec.getExitStatus()
          + "; is that program installed there and the daemon behind " + remoteSocket
          + " running?");
    }
  }
}
