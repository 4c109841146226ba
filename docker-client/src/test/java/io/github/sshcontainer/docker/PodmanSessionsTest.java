package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;

import com.github.dockerjava.api.DockerClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The same live sessions against Podman 4.3's Docker API, over SSH. */
class PodmanSessionsTest extends InteractiveSessionsContract {
  private static DockerClient docker;

  @BeforeAll
  static void connect() {
    docker = SshDocker.connect(LabDocker.options()
        .remoteSocket(lab().podman().socket().toString()).build());
  }

  @AfterAll
  static void close() throws Exception {
    docker.close();
  }

  @Override
  DockerClient docker() {
    return docker;
  }
}
