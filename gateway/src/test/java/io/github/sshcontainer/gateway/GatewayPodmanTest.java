package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway on Podman's Docker API instead of Docker's, both modes. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayPodmanTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  @Test
  void execStdinAndExitCodesWorkOnPodmanInBothModes() throws Exception {
    for (DockerBackendOptions.Mode mode : DockerBackendOptions.Mode.values()) {
      DockerClient podman = SshDocker.connect(LabGateway.dockerHost()
          .remoteSocket(lab().podman().socket().toString()).build());
      try (LabGateway g = LabGateway.start(tmp.resolve("gw-" + mode), podman,
          DockerBackendOptions.builder(busybox().build()).mode(mode).build(), o -> o)) {
        OpenSshClient c = g.client("podman");
        OpenSshClient.Result r = c.ssh("echo hi; exit 7", null, SOON);
        assertEquals(7, r.code(), mode + ": " + r.err());
        assertEquals("hi\n", r.out());
        byte[] data = new byte[1 << 20];
        new Random(2).nextBytes(data);
        OpenSshClient.Result sum = c.ssh("sha256sum", data, SOON);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(data)), sum.out().trim().split("\\s+")[0], mode + ": " + sum.err());
      }
    }
  }
}
