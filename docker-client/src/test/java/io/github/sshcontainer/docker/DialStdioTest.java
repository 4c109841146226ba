package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static io.github.sshcontainer.docker.LabDocker.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** With stream-local forwarding off, connections go through `docker system dial-stdio`. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DialStdioTest {
  @TempDir Path tmp;

  @Test
  void forwardingRefusedFallsBackToDialStdioAndEverythingStillWorks() throws Exception {
    lab().docker();
    try (Sshd sshd = lab().startSshd("nofwd-d-" + System.nanoTime(), lab().hostKey(),
        List.of("AllowStreamLocalForwarding no"))) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
      TunnelOptions.Builder o = options().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port()));
      TunnelException refused = assertThrows(TunnelException.class, () -> SocketTunnel.open(
          o.forwarding(TunnelOptions.Forwarding.STREAM_LOCAL).build()).close());
      assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, refused.reason());
      try (SocketTunnel tunnel = SocketTunnel.open(SshDocker.dockerDefaults(
          o.forwarding(TunnelOptions.Forwarding.AUTO).build()));
          DockerClient docker = SshDocker.connect(tunnel)) {
        assertEquals(TunnelOptions.Forwarding.COMMAND, tunnel.forwarding());
        assertTrue(docker.versionCmd().exec().getApiVersion().startsWith("1."));
        try (OnDemandContainer c = OnDemandContainer.launch(docker, busybox().build())) {
          ExecResult r = c.exec(ExecSpec.of("wc", "-c").stdin(new ByteArrayInputStream(
              new byte[123_456])).build());
          assertEquals("123456", r.stdout().trim(), "stdin's end crosses dial-stdio too");
        }
      }
    }
  }
}
