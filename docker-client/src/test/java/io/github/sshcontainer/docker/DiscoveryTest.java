package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.daemon;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** With no remote socket given, Docker's socket is found on the remote host. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiscoveryTest {
  @TempDir Path tmp;

  private TunnelOptions.Builder optionsFor(Sshd sshd) throws Exception {
    Path kh = tmp.resolve("kh-" + sshd.port());
    Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
    return TunnelOptions.builder("ssh://" + lab().user() + "@127.0.0.1:" + sshd.port())
        .identityFile(lab().clientKey()).knownHosts(kh).noSshConfig().useAgent(false);
  }

  @Test
  void theRemoteLoginsDockerHostIsFoundAndUsed() throws Exception {
    String sock = daemon().socket().toString();
    try (Sshd sshd = lab().startSshd("disc-" + System.nanoTime(), lab().hostKey(),
        List.of("SetEnv DOCKER_HOST=unix://" + sock))) {
      TunnelOptions o = optionsFor(sshd).build();
      assertFalse(o.remoteSocket().isPresent());
      try (DockerClient docker = SshDocker.connect(o)) {
        assertTrue(docker.listImagesCmd().exec().size() >= 1);
      }
      try (SocketTunnel t = SocketTunnel.open(SshDocker.dockerDefaults(o))) {
        assertEquals(sock, t.remoteSocket(), "the socket named by the remote DOCKER_HOST");
      }
    }
  }

  @Test
  void nothingAnsweringListsWhatWasTried() throws Exception {
    try (Sshd sshd = lab().startSshd("disc0-" + System.nanoTime(), lab().hostKey(),
        List.of())) {
      TunnelException e = assertThrows(TunnelException.class, () -> SocketTunnel.open(
          optionsFor(sshd).remoteSocket(RemoteSocket.firstOf("$DOCKER_HOST",
              "/tmp/sshc-none/docker.sock", "/run/user/${uid}/docker.sock")).build()));
      assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains("[/tmp/sshc-none/docker.sock, /run/user/"
          + (lab().user().equals("root") ? "0" : "") ), e.getMessage());
      assertTrue(e.getMessage().contains("remote DOCKER_HOST=unset"), e.getMessage());
    }
  }
}
