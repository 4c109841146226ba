package io.github.sshcontainer.containerd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's containerd quick start is this code, run against the lab. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadmeContainerdExampleTest {

  @Test
  void readmeContainerdQuickStartRuns() throws Exception {
    Lab lab = Lab.shared();
    String destination = lab.destination();
    Path key = lab.clientKey();
    Path knownHosts = lab.knownHosts();
    String containerdSocket = lab.containerd().socket().toString();
    Path imageTar = lab.busyboxTar();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, UTF_8);

    // README:begin containerd
    TunnelOptions options = TunnelOptions.builder(destination)
        .identityFile(key)
        .knownHosts(knownHosts)
        .remoteSocket(containerdSocket)               // default: /run/containerd/containerd.sock
        .build();
    try (ContainerdClient ctr = SshContainerd.connect(options, "default");
         InputStream archive = Files.newInputStream(imageTar)) { // e.g. from `docker save`
      String image = ctr.importImage(archive).get(0).name();
      TaskResult result = ctr.run(RunSpec.of(image).args("sh", "-c", "echo hi; exit 3").build());
      out.println(result.output() + "exit " + result.exitStatus());
    } // task, container, snapshot and log file are gone; channel and tunnel closed
    // README:end containerd

    assertEquals("hi\nexit 3\n", captured.toString(UTF_8));
    ReadmeSnippets.assertShown(Path.of(
        "src/test/java/io/github/sshcontainer/containerd/ReadmeContainerdExampleTest.java"),
        "containerd", Path.of(".."));
  }
}
