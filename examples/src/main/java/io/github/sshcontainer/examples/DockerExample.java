package io.github.sshcontainer.examples;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import io.github.sshcontainer.docker.DockerExec;
import io.github.sshcontainer.docker.ExecResult;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.PrintStream;

/**
 * Connects to a remote Docker, lists images, starts a container from a local image, execs in it,
 * prints the output and exit code, and removes it.
 */
public final class DockerExample {
  public static void main(String[] args) throws Exception {
    run(DemoSettings.from(args, System.getenv()), System.out);
  }

  public static void run(DemoSettings s, PrintStream out) throws Exception {
    TunnelOptions.Builder options = TunnelOptions.builder(s.destination())
        .remoteSocket(s.dockerSocket());
    if (s.key() != null) {
      options.identityFile(s.key());
    }
    if (s.knownHosts() != null) {
      options.knownHosts(s.knownHosts());
    }
    try (DockerClient docker = SshDocker.connect(options.build())) {
      docker.listImagesCmd().exec().forEach(i -> out.println("image: "
          + String.join(",", i.getRepoTags() == null ? new String[0] : i.getRepoTags())));
      String id = docker.createContainerCmd(s.image()).withCmd("sleep", "300")
          .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none")).exec().getId();
      try {
        docker.startContainerCmd(id).exec();
        ExecResult r = DockerExec.run(docker, id,
            ExecSpec.of("sh", "-c", "echo hello from $(hostname); exit 3").build());
        out.print(r.stdout());
        out.println("exit code: " + r.exitCode());
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
    }
  }
}
