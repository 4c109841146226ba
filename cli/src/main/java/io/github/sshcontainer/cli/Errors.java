package io.github.sshcontainer.cli;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.tunnel.TunnelException;

/** One clear line for an error. */
final class Errors {
  private Errors() {}

  static String oneLine(Throwable e) {
    String msg = e.getMessage();
    if (msg == null || msg.isBlank()) {
      msg = e.getClass().getSimpleName();
    }
    String reason = "";
    if (e instanceof TunnelException t) {
      reason = "[" + t.reason() + "] ";
    } else if (e instanceof RemoteDockerException d) {
      reason = "[" + d.reason() + "] ";
    } else if (e instanceof ContainerdException c) {
      reason = "[" + c.reason() + "] ";
    }
    return reason + msg.replace('\n', ' ').trim();
  }
}
