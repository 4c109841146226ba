// README:begin docker
package example;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.ExecResult;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;

/** Runs a command, with stdin, in a throwaway container: DockerQuickStart HOST IMAGE. */
public class DockerQuickStart {
  public static void main(String[] args) throws Exception {
    String image = args[1];                                // e.g. "busybox:1.36"
    TunnelOptions options = TunnelOptions.builder(args[0]) // "ssh://me@build-host", an alias
        // .identityFile(Path.of("/home/me/.ssh/deploy")) default: ssh config, agent, ~/.ssh/id_*
        // .knownHosts(Path.of("/etc/ssh/known_hosts"))    default: ssh config, ~/.ssh/known_hosts
        // .remoteSocket("/run/user/1000/docker.sock")     default: found on the host, and logged
        .build();
    try (DockerClient docker = SshDocker.connect(options); // closing it closes the tunnel
         OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(image)
             .pullPolicy(PullPolicy.IF_NOT_PRESENT).networkMode("none").build())) {
      ExecResult result = box.exec(ExecSpec.of("sh", "-c", "cat; echo done >&2; exit 3")
          .stdin(new ByteArrayInputStream("hello\n".getBytes(UTF_8))).build());
      System.out.print(result.stdout() + result.stderr() + "exit " + result.exitCode() + "\n");
    } // the container is removed, the tunnel closed
  }
}
// README:end docker
