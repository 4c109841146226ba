package example;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.ExecResult;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.testcontainers.SshDockerClientProviderStrategy;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A new user's project: the README's Docker quick start, as written, against the lab. */
class FirstContactTest {

  @Test
  void theReadmesDockerQuickStartRunsFromAProjectOfItsOwn() throws Exception {
    Lab lab = Lab.shared();
    String destination = lab.destination();
    Path key = lab.clientKey();
    Path knownHosts = lab.knownHosts();
    String dockerSocket = lab.docker().socket().toString();
    String image = DockerDaemon.BUSYBOX;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, UTF_8);

    // README:begin docker
    TunnelOptions options = TunnelOptions.builder(destination) // e.g. "ssh://me@build-host"
        .identityFile(key)
        .knownHosts(knownHosts)
        .remoteSocket(dockerSocket)                            // default: found on the host
        .build();
    try (DockerClient docker = SshDocker.connect(options);    // closing it closes the tunnel
         OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(image)
             .pullPolicy(PullPolicy.IF_NOT_PRESENT).networkMode("none").build())) {
      ExecResult result = box.exec(ExecSpec.of("sh", "-c", "cat; echo done >&2; exit 3")
          .stdin(new ByteArrayInputStream("hello\n".getBytes(UTF_8))).build());
      out.println(result.stdout() + result.stderr() + "exit " + result.exitCode());
    } // the container is removed, the tunnel closed
    // README:end docker

    assertEquals("hello\ndone\nexit 3\n", captured.toString(UTF_8));
    ReadmeSnippets.assertShown(Path.of("src/test/java/example/FirstContactTest.java"), "docker",
        Path.of(".."));
  }

  @Test
  void theContainerdAndTestcontainersArtifactsResolveWithoutVersions() {
    assertEquals("/run/containerd/containerd.sock", SshContainerd.CONTAINERD_SOCKET);
    assertTrue(new SshDockerClientProviderStrategy().getDescription()
        .startsWith("remote Docker over SSH"));
  }
}
