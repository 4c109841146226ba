package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A login's container has only what a login needs: no new privileges, the capabilities of
 * {@link DockerBackendOptions#LOGIN_CAPABILITIES} and no raw sockets, in both modes, on Docker
 * and on Podman; an operator can loosen each.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayConfinementTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  /** CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7. */
  private static final String LOGIN_CAP_EFF = "00000000000000fb";
  private static final String STATUS = "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status";
  @TempDir Path tmp;

  /**
   * A setuid-root copy of busybox run by nobody as {@code su root}: busybox's su runs only
   * when the setuid bit made it root (it then asks for root's password), and says "must be
   * suid to work properly" when it did not.
   */
  private static final String SETUID = "mkdir -p /tmp/suid && cp /bin/busybox /tmp/suid/"
      + " && chmod 4755 /tmp/suid/busybox && su nobody -s /bin/sh -c "
      + "'/tmp/suid/busybox su root -c id </dev/null' 2>&1; true";

  private static void assertConfined(OpenSshClient c, String where) {
    OpenSshClient.Result setuid = c.ssh(SETUID, null, SOON);
    assertTrue(setuid.out().contains("must be suid to work properly"),
        "a setuid binary gains nothing: " + where + ": " + setuid.out() + setuid.err());
    OpenSshClient.Result status = c.ssh(STATUS, null, SOON);
    assertEquals(0, status.code(), where + ": " + status.err());
    assertTrue(status.out().contains("NoNewPrivs:\t1"), where + ": " + status.out());
    assertTrue(status.out().contains("CapEff:\t" + LOGIN_CAP_EFF), where + ": " + status.out());
    assertTrue(status.out().contains("CapBnd:\t" + LOGIN_CAP_EFF), where + ": " + status.out());
    // a raw socket needs NET_RAW
    OpenSshClient.Result ping = c.ssh("ping -c 1 -W 1 127.0.0.1", null, SOON);
    assertNotEquals(0, ping.code(), where + ": " + ping.out());
    assertTrue(ping.err().toLowerCase().contains("permitted")
        || ping.err().toLowerCase().contains("permission"), where + ": " + ping.err());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void onDockerALoginHasNoNewPrivilegesTheLoginCapabilitiesAndNoRawSockets(Mode mode)
      throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw-" + mode), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).mode(mode).build(), o -> o)) {
      assertConfined(g.client("confined"), "docker " + mode);
    }
  }

  @Test
  void onPodmanTooInBothModes() throws Exception {
    for (Mode mode : Mode.values()) {
      DockerClient podman = SshDocker.connect(LabGateway.dockerHost()
          .remoteSocket(lab().podman().socket().toString()).build());
      try (LabGateway g = LabGateway.start(tmp.resolve("podman-" + mode), podman,
          DockerBackendOptions.builder(busybox().build()).mode(mode).build(), o -> o)) {
        assertConfined(g.client("confined"), "podman " + mode);
      }
    }
  }

  @Test
  void anOperatorCanLoosenEachDefault() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("loose"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).capAdd("NET_RAW").capDrop("KILL")
            .noNewPrivileges(false).build(), o -> o)) {
      OpenSshClient.Result status = g.client("loose").ssh(STATUS, null, SOON);
      assertTrue(status.out().contains("NoNewPrivs:\t0"), status.out());
      OpenSshClient.Result setuid = g.client("loose").ssh(SETUID, null, SOON);
      assertTrue(!setuid.out().contains("must be suid") && setuid.out().contains("assword"),
          "without no-new-privileges the setuid su runs as root and asks for the password: "
          + setuid.out() + setuid.err());
      // NET_RAW is bit 13 (0x2000); KILL, bit 5 (0x20), is gone: 0xfb - 0x20 + 0x2000
      assertTrue(status.out().contains("CapEff:\t00000000000020db"), status.out());
      OpenSshClient.Result ping = g.client("loose").ssh("ping -c 1 -W 1 127.0.0.1", null, SOON);
      assertEquals(0, ping.code(), ping.out() + ping.err());
    }
  }
}
