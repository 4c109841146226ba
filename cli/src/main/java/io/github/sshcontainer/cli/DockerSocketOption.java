package io.github.sshcontainer.cli;

import io.github.sshcontainer.tunnel.TunnelOptions;
import picocli.CommandLine.Option;

/** {@code --remote-socket} for the Docker commands; discovered on the remote host if omitted. */
final class DockerSocketOption {
  @Option(names = "--remote-socket", paramLabel = "PATH",
      description = "Remote Docker socket (default: found on the remote host: its "
          + "DOCKER_HOST, rootless or system Docker, Podman).")
  String remoteSocket;

  TunnelOptions.Builder apply(TunnelOptions.Builder b) {
    return remoteSocket == null ? b : b.remoteSocket(remoteSocket);
  }
}
