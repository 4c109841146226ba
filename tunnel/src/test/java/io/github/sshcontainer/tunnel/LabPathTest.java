package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Prerequisites;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The lab's sshd gives its sessions Debian's PATH and the tests run with it: what a remote
 * command or a test runs is what {@code scripts/install-deps.sh} installed, never a program
 * that only this machine has under /usr/local (the Docker CLI that dial-stdio runs, say).
 */
class LabPathTest {
  @Test
  void remoteSessionsAndTestsRunWithDebiansPath() {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      RemoteCommandResult r = t.run("echo \"$PATH\"", Duration.ofSeconds(30), 4096);
      String path = r.stdoutText().strip();
      // the login user's shell start-up files may add their own directories in front
      assertTrue(path.endsWith(Prerequisites.DEBIAN_PATH), path);
      assertFalse(path.contains("/usr/local/"), path);
    }
    assertEquals(Prerequisites.DEBIAN_PATH, System.getenv("PATH"));
  }
}
