package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;
import static io.github.sshcontainer.docker.LabDocker.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a user sees when the remote Docker side is not there or not theirs. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerErrorsTest {

  @Test
  void sshUserWhoMayNotOpenTheSocketIsTold() {
    String user = lab().unprivilegedUser();
    TunnelException e = assertThrows(TunnelException.class, () -> SshDocker.connect(options()
        .target(SshTarget.of(user, lab().host(), lab().port())).build()));
    assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("may not open it"), e.getMessage());
    assertTrue(e.getMessage().contains("usermod -aG docker"), e.getMessage());
  }

  @Test
  void missingDaemonSocketNamesWhereDockerAndPodmanListen() {
    TunnelException e = assertThrows(TunnelException.class, () -> SshDocker.connect(options()
        .remoteSocket(lab().dir().resolve("no-daemon-here.sock").toString()).build()));
    assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertTrue(e.getMessage().contains("/run/user/<uid>/docker.sock"), e.getMessage());
    assertTrue(e.getMessage().contains("podman.sock"), e.getMessage());
  }

  @Test
  void daemonStoppingMidUseIsExplainedAndTheSameClientWorksAfterItReturns() throws Exception {
    DockerDaemon second = DockerDaemon.start(lab().dir().resolve("d2"));
    try (DockerClient docker = SshDocker.connect(options()
        .remoteSocket(second.socket().toString()).build())) {
      docker.pingCmd().exec();
      second.stop();
      RemoteDockerException e = assertThrows(RemoteDockerException.class,
          () -> docker.listContainersCmd().exec());
      assertEquals(RemoteDockerException.Reason.DAEMON_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains(second.socket().toString()), e.getMessage());
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
      second.restart();
      assertTrue(docker.listImagesCmd().exec().size() >= 1, "works again without rebuilding");
    } finally {
      second.close();
    }
  }
}
