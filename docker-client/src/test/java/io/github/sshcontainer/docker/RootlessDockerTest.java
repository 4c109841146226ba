package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.RootlessDocker;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rootless Docker: a non-root user's own daemon at /run/user/&lt;uid&gt;/docker.sock, found
 * when no socket is given, and used as Docker is.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RootlessDockerTest {

  @Test
  void theUsersRootlessDaemonIsFoundAndRunsContainers() throws Exception {
    RootlessDocker rootless = lab().rootlessDocker();
    TunnelOptions o = TunnelOptions.builder("ssh://" + rootless.user() + "@" + lab().host()
        + ":" + lab().port()).identityFile(lab().clientKey()).knownHosts(lab().knownHosts())
        .noSshConfig().useAgent(false).build();
    try (SocketTunnel t = SocketTunnel.open(SshDocker.dockerDefaults(o))) {
      assertEquals("/run/user/" + rootless.uid() + "/docker.sock", t.remoteSocket());
    }
    try (DockerClient docker = SshDocker.connect(o)) {
      assertTrue(docker.infoCmd().exec().getSecurityOptions().stream()
          .anyMatch(s -> s.contains("rootless")), "the daemon runs rootless");
      try (OnDemandContainer box = OnDemandContainer.launch(docker, busybox().build())) {
        ExecResult r = box.exec(ExecSpec.of("sh", "-c", "cat; id -u").stdin(
            new ByteArrayInputStream("from a rootless daemon\n".getBytes(
                StandardCharsets.UTF_8))).build());
        assertEquals(0, r.exitCode());
        // uid 0 in the container is the login user outside it
        assertEquals("from a rootless daemon\n0\n", r.stdout());
      }
    }
  }
}
