package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Live sessions against the lab's dockerd (Docker 20.10), over SSH. */
class DockerSessionsTest extends InteractiveSessionsContract {
  private static DockerClient docker;

  @BeforeAll
  static void connect() {
    docker = LabDocker.client();
  }

  @AfterAll
  static void close() throws Exception {
    docker.close();
  }

  @Override
  DockerClient docker() {
    return docker;
  }

  @Test
  void signallingAnExecInAnImageWithoutAShellIsATypedErrorSayingWhatToAdd() {
    String image = LabDocker.daemon().noShellImage();
    try (OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(image)
        .networkMode("none").pullPolicy(PullPolicy.NEVER)
        .idleCommand(List.of("/bin/busybox", "sleep", "3600"))
        .stopTimeout(Duration.ofSeconds(1)).build());
        ExecSession s = box.start(ExecSpec.of("/bin/busybox", "sleep", "600")
            .stopTimeout(Duration.ofSeconds(1)).build())) {
      RemoteDockerException e = assertThrows(RemoteDockerException.class,
          () -> s.signal("TERM"));
      assertEquals(RemoteDockerException.Reason.UNSUPPORTED, e.reason(), e.toString());
      assertTrue(e.getMessage().contains("/bin/sh") && e.getMessage().contains("busybox"),
          e.getMessage());
    }
  }
}
