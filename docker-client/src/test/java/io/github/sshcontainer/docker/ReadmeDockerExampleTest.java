package io.github.sshcontainer.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's Docker quick start is this code, run against the lab. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadmeDockerExampleTest {

  @Test
  void readmeDockerQuickStartRuns() throws Exception {
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
    ReadmeSnippets.assertShown(
        Path.of("src/test/java/io/github/sshcontainer/docker/ReadmeDockerExampleTest.java"),
        "docker", Path.of(".."));
  }
}
