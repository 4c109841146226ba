package io.github.sshcontainer.docker.internal;

import io.github.sshcontainer.tunnel.TunnelException;

/**
 * What a Docker user should know when the tunnel cannot open the daemon's socket. The tunnel
 * tells what is at the path (missing, denied, nothing answering) in any daemon's terms; this adds
 * Docker's: the {@code docker} group, rootless Docker's and Podman's sockets.
 */
public final class DockerHints {
  static final String DENIED = " For Docker: add the SSH user to the docker group on the host "
      + "(`usermod -aG docker USER`, then log in again), or use rootless Docker's socket "
      + "/run/user/<uid>/docker.sock.";
  static final String MISSING = " For Docker: start the daemon (`systemctl start docker`); "
      + "rootless Docker listens on /run/user/<uid>/docker.sock, Podman on "
      + "/run/podman/podman.sock or /run/user/<uid>/podman/podman.sock.";
  static final String NONE_ANSWERS = " For Docker: is the daemon running there, and is the "
      + "SSH user in the docker group (`usermod -aG docker USER`)?";

  private DockerHints() {}

  /** {@code e} with Docker's hint added when its message says what is at the socket path. */
  public static TunnelException explain(TunnelException e) {
    if (e.reason() != TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE) {
      return e;
    }
    String message = String.valueOf(e.getMessage());
    String hint;
    if (message.contains("may not open it")) {
      hint = DENIED;
    } else if (message.contains("does not exist")) {
      hint = MISSING;
    } else if (message.contains("no remote socket answers")) {
      hint = NONE_ANSWERS;
    } else {
      return e; // sshd refusing to forward: the tunnel's message says what to set
    }
    TunnelException explained = new TunnelException(e.reason(), message + hint, e.getCause());
    explained.setStackTrace(e.getStackTrace());
    return explained;
  }
}
