package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.time.Duration;

/**
 * Why a channel could not be opened, as a reason and a message that says what to do. The SSH
 * open-failure reason says little (OpenSSH answers "connect failed" both for a missing socket
 * and for one it refuses to forward to), so for a Unix socket a short command on the remote host
 * looks at the path: missing, not a socket, denied, or present.
 */
final class ChannelOpenFailures {
  /** SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 section 5.1). */
  private static final int ADMINISTRATIVELY_PROHIBITED = 1;
  private static final int CONNECT_FAILED = 2;
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
  private static final String ALLOW_FORWARDING = "set 'AllowStreamLocalForwarding yes' and "
      + "'AllowTcpForwarding yes' (OpenSSH refuses socket forwarding too when TCP forwarding is "
      + "off), and no 'DisableForwarding yes' or restrict/no-port-forwarding on the key, in "
      + "sshd_config on the host";

  private final String where;
  private final Duration timeout;
  private volatile boolean forwardingRefused;

  /** @param where {@code user@host:port}, for messages */
  ChannelOpenFailures(String where, Duration timeout) {
    this.where = where;
    this.timeout = timeout;
  }

  /** True once an open failed because the server refuses stream-local forwarding. */
  boolean forwardingRefused() {
    return forwardingRefused;
  }

  /** A stream-local channel to {@code remoteSocket} failed to open. */
  TunnelException streamLocal(Session session, Channel ch, JSchException e,
      String remoteSocket) {
    if (!session.isConnected()) {
      return new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " closed while opening " + remoteSocket, e);
    }
    int code = ch.getExitStatus(); // JSch keeps the open-failure reason there
    if (code == ADMINISTRATIVELY_PROHIBITED) {
      forwardingRefused = true;
      return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
          + " refuses to forward to Unix sockets (administratively prohibited) for "
          + remoteSocket + ": " + ALLOW_FORWARDING, e);
    }
    if (code == CONNECT_FAILED) {
      return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the remote socket "
          + remoteSocket + " on " + where + " cannot be opened: "
          + connectFailed(session, remoteSocket), e);
    }
    if (code == -1 || String.valueOf(e.getMessage()).contains("not opened")) {
      return new TunnelException(Reason.TIMED_OUT, "opening a channel to " + remoteSocket
          + " on " + where + " got no answer within " + timeout.toMillis()
          + " ms; the server or the link may be overloaded", e);
    }
    return new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
        + " refused a channel to " + remoteSocket + " (reason code " + code + ")", e);
  }

  /** What the remote host says about the path, after a "connect failed". */
  private String connectFailed(Session session, String remoteSocket) {
    String state = probe(session, remoteSocket);
    return switch (state) {
      // what a daemon's users should know (Docker's group, rootless paths) its client adds
      case "missing" -> "it does not exist: is the daemon running there, and is the path "
          + "right?";
      case "not-a-socket" -> "it exists but is not a Unix socket";
      case "permission-denied" -> "the SSH user may not open it: add the user to the "
          + "socket's group or use a socket the user owns";
      // OpenSSH answers "connect failed", not "prohibited", when it refuses the forward
      case "present" -> refused() + "it exists and the SSH user may open it, so the SSH server "
          + "most likely refuses to forward to Unix sockets: " + ALLOW_FORWARDING
          + "; otherwise the daemon is not accepting connections";
      default -> "it is missing or the SSH user may not open it (the check on the host "
          + "gave: " + state + "); check with `ssh " + where + " ls -l " + remoteSocket + "`";
    };
  }

  private String refused() {
    forwardingRefused = true;
    return "";
  }

  /** A {@code direct-tcpip} channel to {@code host:port} failed to open. */
  TunnelException tcp(Session session, Channel ch, JSchException e, String host, int port) {
    if (!session.isConnected()) {
      return new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " closed while opening " + host + ":" + port, e);
    }
    int code = ch.getExitStatus();
    if (code == ADMINISTRATIVELY_PROHIBITED) {
      return new TunnelException(Reason.REMOTE_PORT_UNAVAILABLE, "the SSH server " + where
          + " refuses TCP forwarding to " + host + ":" + port + " (administratively "
          + "prohibited): set 'AllowTcpForwarding yes' (and no 'PermitOpen' list without it,"
          + " no 'DisableForwarding yes') in sshd_config on the host", e);
    }
    if (code == CONNECT_FAILED) {
      return new TunnelException(Reason.REMOTE_PORT_UNAVAILABLE, "nothing accepts "
          + "connections at " + host + ":" + port + " as seen from " + where
          + ", or the SSH server refuses to forward there", e);
    }
    return new TunnelException(Reason.TIMED_OUT, "opening a channel to " + host + ":" + port
        + " on " + where + " got no answer within " + timeout.toMillis() + " ms", e);
  }

  /**
   * Asks the remote shell what is at the socket path, to tell a missing socket from a denied
   * one. Best effort: "unknown (…)" when it cannot tell.
   */
  private String probe(Session session, String remoteSocket) {
    String p = SocketCommand.quote(remoteSocket);
    try {
      return RemoteExec.run(session, where, "if [ ! -e " + p + " ]; then echo missing; elif [ ! "
          + "-S " + p + " ]; then echo not-a-socket; elif [ ! -r " + p + " ] || [ ! -w " + p
          + " ]; then echo permission-denied; else echo present; fi", PROBE_DEADLINE, 64 * 1024)
          .stdoutText().trim();
    } catch (TunnelException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }
}
