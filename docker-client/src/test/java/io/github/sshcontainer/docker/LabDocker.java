package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.time.Duration;

/** Options and clients that reach the lab's dockerd through the lab's sshd. */
final class LabDocker {
  private LabDocker() {}

  static Lab lab() {
    return Lab.shared();
  }

  static DockerDaemon daemon() {
    return lab().docker();
  }

  static TunnelOptions.Builder options() {
    Lab lab = lab();
    return TunnelOptions.builder(lab.destination())
        .identityFile(lab.clientKey())
        .knownHosts(lab.knownHosts())
        .noSshConfig()
        .useAgent(false)
        .connectTimeout(Duration.ofSeconds(10))
        .remoteSocket(daemon().socket().toString());
  }

  static DockerClient client() {
    return SshDocker.connect(options().build());
  }

  /** A busybox container spec with no network (the lab's dockerd has no bridge). */
  static ContainerSpec.Builder busybox() {
    return ContainerSpec.of(DockerDaemon.BUSYBOX).networkMode("none")
        .pullPolicy(PullPolicy.NEVER);
  }
}
