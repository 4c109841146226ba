package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Opens {@code direct-streamlocal@openssh.com} channels to the remote socket and explains why one
 * could not be opened.
 */
final class RemoteChannels {
  /** SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 section 5.1). */
  private static final int ADMINISTRATIVELY_PROHIBITED = 1;
  private static final int CONNECT_FAILED = 2;
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
  /** A channel's first window: OpenSSH's default (64 packets of 32 KiB). */
  static final int INITIAL_WINDOW = 2 * 1024 * 1024;
  /** What JSch opens direct-streamlocal and exec channels with when it cannot be tuned. */
  private static final int JSCH_FIXED_WINDOW = 128 * 1024;

  record Opened(com.jcraft.jsch.Channel channel, Inbound inbound) {
    /** Still usable as a fresh connection: open, and nothing closed it meanwhile. */
    boolean usable() {
      return channel.isConnected() && !channel.isClosed() && !channel.isEOF()
          && !inbound.remoteEof();
    }

    void discard() {
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
  private volatile boolean dialStdio;
  private volatile boolean forwardingRefused;

  RemoteChannels(String remoteSocket, int window, int packet, Duration timeout, String where) {
    this.remoteSocket = remoteSocket;
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
    ChannelExec exec = null;
    try {
      exec = (ChannelExec) session.openChannel("exec");
      if (exec == null) {
        throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
            + " is closing; cannot run a command");
      }
      exec.setCommand(command);
      InputStream in = exec.getInputStream();
      exec.connect((int) PROBE_DEADLINE.toMillis());
      long deadline = System.nanoTime() + PROBE_DEADLINE.toNanos();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[1024];
      while (out.size() < 64 * 1024) {
        if (in.available() > 0) {
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          out.write(buf, 0, n);
        } else if (exec.isClosed()) {
          break;
        } else if (System.nanoTime() > deadline) {
          throw new TunnelException(Reason.TIMED_OUT, "a command on " + where
              + " did not finish within " + PROBE_DEADLINE.toMillis() + " ms");
        } else {
          Thread.sleep(5);
        }
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (JSchException e) {
      throw new TunnelException(session.isConnected() ? Reason.REMOTE_SOCKET_UNAVAILABLE
          : Reason.CLOSED, "the SSH server " + where + " refused to run a command: "
          + e.getMessage(), e);
    } catch (java.io.IOException e) {
      throw new TunnelException(Reason.CLOSED, "reading a command's output from " + where
          + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TunnelException(Reason.CLOSED, "interrupted running a command on " + where, e);
    } finally {
      if (exec != null) {
        exec.disconnect();
      }
    }
  }

  /** From now on, connections run {@code docker system dial-stdio} on exec channels. */
  void useDialStdio() {
    dialStdio = true;
  }

  boolean dialStdio() {
    return dialStdio;
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
    if (dialStdio) {
      return openDialStdio(session);
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
   * Sets the window the channel opens with and its inbound queue. The window starts at {@link
   * #INITIAL_WINDOW} (OpenSSH's) and grows to the configured size while the local client keeps
   * up; without {@link ChannelTuning} it stays at JSch's fixed one.
   */
  private Inbound tune(com.jcraft.jsch.Channel ch, Session session) {
    int initial = Math.min(window, INITIAL_WINDOW);
    ChannelTuning.apply(ch, initial, packet);
    Inbound in = ChannelTuning.available() ? new Inbound(ch, session, initial, window)
        : new Inbound(ch, session, JSCH_FIXED_WINDOW, JSCH_FIXED_WINDOW);
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
          + remoteSocket + ": set 'AllowStreamLocalForwarding yes' (and no "
          + "'DisableForwarding yes' or restrict/no-port-forwarding on the key) in sshd_config "
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
            + "(and no 'DisableForwarding yes', no restrict/no-port-forwarding on the key) in "
            + "sshd_config on the host; otherwise the daemon is not accepting connections";
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
   * The Docker CLI's way in: {@code docker system dial-stdio} on the remote host, its stdin and
   * stdout joined to the local connection. The process's exit (no docker CLI, no daemon) shows
   * within a short grace period and is reported with its exit status.
   */
  private Opened openDialStdio(Session session) {
    ChannelExec exec;
    try {
      exec = (ChannelExec) session.openChannel("exec");
      if (exec == null) { // JSch's answer while the session is disconnecting
        throw new JSchException("session is disconnecting");
      }
    } catch (JSchException e) {
      throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
          + " is down; cannot start dial-stdio", e);
    }
    String p = "'" + remoteSocket.replace("'", "'\\''") + "'";
    exec.setCommand("docker --host unix://" + p + " system dial-stdio");
    Inbound sink = tune(exec, session);
    try {
      exec.connect((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (JSchException e) {
      throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "the SSH server " + where
          + " refused an exec channel for `docker system dial-stdio`: " + e.getMessage(), e);
    }
    return new Opened(exec, sink);
  }

  /** Waits a moment: a dial-stdio that cannot work exits at once. */
  void checkDialStdio(Opened o) {
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
      throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "`docker system dial-stdio`"
          + " for " + remoteSocket + " on " + where + " exited with status "
          + exec.getExitStatus() + "; is the docker CLI installed there and the daemon running?");
    }
  }

  /**
   * Asks the remote shell what is at the socket path, to tell a missing socket from a denied
   * one (the SSH open-failure message says neither). Best effort: "" when it cannot tell.
   */
  private String probe(Session session) {
    String p = "'" + remoteSocket.replace("'", "'\\''") + "'";
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
