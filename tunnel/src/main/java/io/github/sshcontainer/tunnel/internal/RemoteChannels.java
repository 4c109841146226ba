package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens {@code direct-streamlocal@openssh.com} channels to the remote socket and explains why one
 * could not be opened.
 */
final class RemoteChannels {
  private static final Logger log = LoggerFactory.getLogger(
      RemoteChannels.class);
  /** SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 section 5.1). */
  private static final int ADMINISTRATIVELY_PROHIBITED = 1;
  private static final int CONNECT_FAILED = 2;
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
  /** A channel's first window: OpenSSH's default (64 packets of 32 KiB). */
  static final int INITIAL_WINDOW = 2 * 1024 * 1024;
  /** What JSch opens direct-streamlocal and exec channels with when it cannot be tuned. */
  private static final int JSCH_FIXED_WINDOW = 128 * 1024;

  /**
   * An open channel and its inbound queue; {@code release} gives back its place on a session
   * that limits session channels (idempotent; nothing for stream-local channels).
   */
  record Opened(com.jcraft.jsch.Channel channel, Inbound inbound, Runnable release) {
    Opened(com.jcraft.jsch.Channel channel, Inbound inbound) {
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
  private volatile boolean forwardingRefused;
  /** Connects another session when the server's MaxSessions is reached; null: cannot. */
  private volatile Supplier<Session> extraSessions;
  /** Exec channels held per session, and the limit learned from a refusal (command mode). */
  private final Map<Session, int[]> execSlots = new LinkedHashMap<>();
  private static final int LIVE = 0;
  private static final int LIMIT = 1;

  RemoteChannels(String remoteSocket, SocketCommand command, int window, int packet,
      Duration timeout, String where) {
    this.remoteSocket = remoteSocket;
    this.command = command;
    this.window = window;
    this.packet = packet;
    this.timeout = timeout;
    this.where = where;
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
    this.extraSessions = supplier;
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
    return forwardingRefused;
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
      throw explain(session, ch, e);
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
  Opened openTcp(Session session, String host, int port, java.net.InetSocketAddress origin) {
    com.jcraft.jsch.ChannelDirectTCPIP ch;
    try {
      ch = (com.jcraft.jsch.ChannelDirectTCPIP) session.openChannel("direct-tcpip");
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
      if (!session.isConnected()) {
        throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
            + " closed while opening " + host + ":" + port, e);
      }
      int code = ch.getExitStatus();
      if (code == ADMINISTRATIVELY_PROHIBITED) {
        throw new TunnelException(Reason.REMOTE_PORT_UNAVAILABLE, "the SSH server " + where
            + " refuses TCP forwarding to " + host + ":" + port + " (administratively "
            + "prohibited): set 'AllowTcpForwarding yes' (and no 'PermitOpen' list without it,"
            + " no 'DisableForwarding yes') in sshd_config on the host", e);
      }
      if (code == CONNECT_FAILED) {
        throw new TunnelException(Reason.REMOTE_PORT_UNAVAILABLE, "nothing accepts "
            + "connections at " + host + ":" + port + " as seen from " + where
            + ", or the SSH server refuses to forward there", e);
      }
      throw new TunnelException(Reason.TIMED_OUT, "opening a channel to " + host + ":" + port
          + " on " + where + " got no answer within " + timeout.toMillis() + " ms", e);
    }
    return new Opened(ch, sink);
  }

  /**
   * Sets the window the channel opens with and its inbound queue. The window starts at {@link
   * #INITIAL_WINDOW} (OpenSSH's) and grows to the configured size while the local client keeps
   * up; without {@link ChannelTuning} it stays at JSch's fixed one.
   */
  private Inbound tune(com.jcraft.jsch.Channel ch, Session session) {
    int initial = Math.min(window, INITIAL_WINDOW);
    ChannelTuning.apply(ch, initial, packet);
    boolean gated = WindowGate.available();
    Inbound in = ChannelTuning.available() ? new Inbound(ch, session, initial, window, gated)
        : new Inbound(ch, session, JSCH_FIXED_WINDOW, JSCH_FIXED_WINDOW, gated);
    ch.setOutputStream(in);
    return in;
  }

  private TunnelException explain(Session session, ChannelDirectStreamLocal ch, JSchException e) {
    if (!session.isConnected()) {
      return new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " closed while opening " + remoteSocket, e);
    }
    int code = ch.getExitStatus();
    if (code == ADMINISTRATIVELY_PROHIBITED) {
      forwardingRefused = true;
      return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
          + " refuses to forward to Unix sockets (administratively prohibited) for "
          + remoteSocket + ": set 'AllowStreamLocalForwarding yes' and 'AllowTcpForwarding "
          + "yes' (OpenSSH refuses socket forwarding too when TCP forwarding is off), and no "
          + "'DisableForwarding yes' or restrict/no-port-forwarding on the key, in sshd_config "
          + "on the host", e);
    }
    if (code == CONNECT_FAILED) {
      String state = probe(session);
      String detail = switch (state) {
        case "missing" -> "it does not exist: is the daemon running there, and is the path "
            + "right? (rootless Docker uses /run/user/<uid>/docker.sock)";
        case "not-a-socket" -> "it exists but is not a Unix socket";
        case "permission-denied" -> "the SSH user may not open it: add the user to the "
            + "socket's group (e.g. `usermod -aG docker USER`) or use a socket the user owns";
        // OpenSSH answers "connect failed", not "prohibited", when it refuses the forward
        case "present" -> refused() + "it exists and the SSH user may open it, so the SSH server most "
            + "likely refuses to forward to Unix sockets: set 'AllowStreamLocalForwarding yes' "
            + "and 'AllowTcpForwarding yes' (OpenSSH refuses socket forwarding too when TCP "
            + "forwarding is off), and no 'DisableForwarding yes' or "
            + "restrict/no-port-forwarding on the key, in sshd_config on the host; otherwise the"
            + " daemon is not accepting connections";
        default -> "it is missing or the SSH user may not open it (the check on the host "
            + "gave: " + state + "); check with `ssh "
            + where + " ls -l " + remoteSocket + "`";
      };
      return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the remote socket "
          + remoteSocket + " on " + where + " cannot be opened: " + detail, e);
    }
    if (code == -1 || String.valueOf(e.getMessage()).contains("not opened")) {
      return new TunnelException(Reason.TIMED_OUT, "opening a channel to " + remoteSocket
          + " on " + where + " got no answer within " + timeout.toMillis()
          + " ms; the server or the link may be overloaded", e);
    }
    return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
        + " refused a channel to " + remoteSocket + " (reason code " + code + ")", e);
  }

  private String refused() {
    forwardingRefused = true;
    return "";
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
      Session session = reserveSlot(primary);
      ChannelExec exec;
      try {
        exec = (ChannelExec) session.openChannel("exec");
        if (exec == null) { // JSch's answer while the session is disconnecting
          throw new JSchException("session is disconnecting");
        }
      } catch (JSchException e) {
        releaseSlot(session);
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
        boolean full = releaseSlot(session) > 0 && session.isConnected()
            && exec.getExitStatus() > 0;
        if (full && extraSessions != null && attempt < 4) {
          learnLimit(session);
          continue; // on a session with room, or a new one
        }
        String hint = full ? " (the server limits sessions per connection: raise MaxSessions"
            + " in sshd_config on the host)" : "";
        throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
            + " refused an exec channel for `" + command + "`: " + e.getMessage() + hint,
            e);
      }
      AtomicBoolean released =
          new AtomicBoolean();
      return new Opened(exec, sink, () -> {
        if (released.compareAndSet(false, true)) {
          releaseSlot(session);
        }
      });
    }
  }

  /**
   * The session the next exec channel goes on: {@code primary} while it has room, else an extra
   * connection with room, else a new one. Takes the place before returning.
   */
  private Session reserveSlot(Session primary) {
    synchronized (execSlots) {
      execSlots.keySet().removeIf(s -> s != primary && !s.isConnected());
      for (Session s : candidates(primary)) {
        int[] slot = execSlots.computeIfAbsent(s, k -> new int[] {0, Integer.MAX_VALUE});
        if (slot[LIVE] < slot[LIMIT]) {
          slot[LIVE]++;
          return s;
        }
      }
    }
    Supplier<Session> more = extraSessions;
    Session extra = more == null ? null : more.get();
    if (extra == null) {
      return primary; // the caller's session: nothing else to try
    }
    synchronized (execSlots) {
      execSlots.put(extra, new int[] {1, Integer.MAX_VALUE});
    }
    return extra;
  }

  private List<Session> candidates(Session primary) {
    List<Session> list = new ArrayList<>();
    list.add(primary);
    for (Session s : execSlots.keySet()) {
      if (s != primary) {
        list.add(s);
      }
    }
    return list;
  }

  /** Gives back a place; returns how many channels the session still holds. */
  private int releaseSlot(Session session) {
    synchronized (execSlots) {
      int[] slot = execSlots.get(session);
      if (slot == null) {
        return 0;
      }
      slot[LIVE] = Math.max(0, slot[LIVE] - 1);
      return slot[LIVE];
    }
  }

  /** The server refused one more: what the session holds now is its limit. */
  private void learnLimit(Session session) {
    synchronized (execSlots) {
      int[] slot = execSlots.get(session);
      if (slot != null) {
        slot[LIMIT] = Math.max(1, slot[LIVE]);
        log.debug("{}: the server allows {} session channels per connection", where,
            slot[LIMIT]);
      }
    }
  }

  /** Waits a moment: a command that cannot work exits at once. */
  void checkCommand(Opened o) {
    if (!(o.channel() instanceof ChannelExec exec)) {
      return;
    }
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);
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

  /**
   * Asks the remote shell what is at the socket path, to tell a missing socket from a denied
   * one (the SSH open-failure message says neither). Best effort: "" when it cannot tell.
   */
  private String probe(Session session) {
    String p = SocketCommand.quote(remoteSocket);
    try {
      return probeWith(session, p);
    } catch (TunnelException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private String probeWith(Session session, String p) {
    return run(session, "if [ ! -e " + p + " ]; then echo missing; elif [ ! -S " + p
        + " ]; then echo not-a-socket; elif [ ! -r " + p + " ] || [ ! -w " + p
        + " ]; then echo permission-denied; else echo present; fi").trim();
  }

}
