package io.github.sshcontainer.cli;

/** One clear line for an error. */
final class Errors {
  private Errors() {}

  static String oneLine(Throwable e) {
    String msg = e.getMessage();
    if (msg == null || msg.isBlank()) {
      msg = e.getClass().getSimpleName();
    }
    String reason = "";
    if (e instanceof io.github.sshcontainer.tunnel.TunnelException t) {
      reason = "[" + t.reason() + "] ";
    } else if (e instanceof io.github.sshcontainer.docker.RemoteDockerException d) {
      reason = "[" + d.reason() + "] ";
    } else if (e instanceof io.github.sshcontainer.containerd.ContainerdException c) {
      reason = "[" + c.reason() + "] ";
    }
    return reason + msg.replace('\n', ' ').trim();
  }
}
