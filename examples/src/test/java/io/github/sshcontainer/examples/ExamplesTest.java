package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each example runs against the lab, as the demo host runs them. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExamplesTest {

  private static DemoSettings settings() throws Exception {
    Lab lab = Lab.shared();
    return DemoSettings.from(new String[] {lab.destination()}, Map.of(
        "SSHC_KEY", lab.clientKey().toString(),
        "SSHC_KNOWN_HOSTS", lab.knownHosts().toString(),
        "SSHC_DOCKER_SOCKET", lab.docker().socket().toString(),
        "SSHC_CONTAINERD_SOCKET", lab.containerd().socket().toString(),
        "SSHC_IMAGE_TAR", lab.busyboxTar().toString(),
        "SSHC_IMAGE", DockerDaemon.BUSYBOX));
  }

  private interface Example {
    void run(DemoSettings s, PrintStream out) throws Exception;
  }

  private static List<String> output(Example e) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    e.run(settings(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void tunnelExamplePrintsDockerHostAndTheDaemonsVersion() throws Exception {
    List<String> out = output(TunnelExample::run);
    assertTrue(out.get(0).startsWith("DOCKER_HOST=unix:///"), out.toString());
    assertEquals("HTTP/1.0 200 OK", out.get(1));
    assertTrue(out.get(2).contains("\"ApiVersion\""), out.toString());
  }

  @Test
  void dockerExampleExecsAndPrintsTheExitCode() throws Exception {
    List<String> out = output(DockerExample::run);
    assertTrue(out.contains("image: " + DockerDaemon.BUSYBOX), out.toString());
    assertTrue(out.stream().anyMatch(l -> l.startsWith("hello from ")), out.toString());
    assertEquals("exit code: 3", out.get(out.size() - 1));
  }

  @Test
  void containerdExampleImportsAndRunsATask() throws Exception {
    List<String> out = output(ContainerdExample::run);
    assertTrue(out.get(0).startsWith("containerd 1."), out.toString());
    assertTrue(out.contains("imported: docker.io/sshc-lab/busybox:1"), out.toString());
    assertTrue(out.contains("hello from a task"), out.toString());
    assertEquals("exit status: 4", out.get(out.size() - 1));
  }

  @Test
  void settingsWithoutDestinationSayWhatToDo() {
    IllegalArgumentException e = Assertions.assertThrows(
        IllegalArgumentException.class, () -> DemoSettings.from(new String[0], Map.of(),
            Path.of("/nonexistent/demo.env")));
    assertTrue(e.getMessage().contains("scripts/demo.sh"), e.getMessage());
  }

  @Test
  void settingsComeFromTheDemoHostsEnvFile() throws Exception {
    Path env = Files.createTempFile("demo", ".env");
    try {
      Files.writeString(env, "SSHC_DEST=ssh://u@h:2\nSSHC_KEY=/k\n");
      DemoSettings s = DemoSettings.from(new String[0], Map.of("SSHC_KEY", "/other"), env);
      assertEquals("ssh://u@h:2", s.destination());
      assertEquals(Path.of("/other"), s.key(), "the environment wins");
    } finally {
      Files.deleteIfExists(env);
    }
  }
}
