package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Prerequisites;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lab's sshd gives its sessions Debian's PATH and a HOME of its own, and the tests run with
 * Debian's PATH: what a remote command or a test runs is what {@code scripts/install-deps.sh}
 * installed, never a program that only this machine has under /usr/local (the Docker CLI that
 * dial-stdio runs, say), and no start-up file of the login user's shell runs.
 */
class LabPathTest {
  @Test
  void remoteSessionsAndTestsRunWithDebiansPath() {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      RemoteCommandResult r = t.run("echo \"$PATH\"; echo \"$HOME\"", Duration.ofSeconds(30),
          4096);
      List<String> lines = r.stdoutText().lines().toList();
      assertEquals(Prerequisites.DEBIAN_PATH, lines.get(0), "no ~/.bashrc added to it");
      assertTrue(lines.get(1).startsWith(lab().dir().toString()), "the lab's HOME: " + lines);
    }
    assertEquals(Prerequisites.DEBIAN_PATH, System.getenv("PATH"));
  }
}
