package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Keys only, per-user keys, limits with a clear message, a host key that stays. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewaySecurityTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  @Test
  void aWrongKeyIsRefusedLoggedAndCounted() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build())) {
      Path other = tmp.resolve("other_key");
      Keys.generate(other, "");
      OpenSshClient stranger = new OpenSshClient(other, g.knownHosts(), g.server.port(), "bob");
      OpenSshClient.Result r = stranger.ssh("true", null, SOON);
      assertEquals(255, r.code());
      assertTrue(r.err().contains("Permission denied (publickey)"), r.err());
      assertTrue(g.counters.snapshot().failedLogins() >= 1, "" + g.counters.snapshot());
      // no password method is even offered
      OpenSshClient.Result pw = OpenSshClient.run(stranger.ssh(List.of("-o",
          "PreferredAuthentications=password"), "true"), null, SOON);
      assertEquals(255, pw.code());
      assertTrue(pw.err().contains("Permission denied (publickey)"), pw.err());
    }
  }

  @Test
  void perUserKeysAdmitOnlyTheirUserAndAnUnknownUserIsRefused() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("keys"));
    Files.copy(Path.of(lab().clientKey() + ".pub"), dir.resolve("alice"));
    DockerClient docker = SshDocker.connect(LabGateway.dockerHost().build());
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), docker,
        DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.authorizedKeysDir(dir))) {
      assertEquals("ok\n", g.client("alice").ssh("echo ok", null, SOON).out());
      OpenSshClient.Result unknown = g.client("mallory").ssh("true", null, SOON);
      assertEquals(255, unknown.code());
      assertTrue(unknown.err().contains("Permission denied"), unknown.err());
      OpenSshClient.Result traversal = g.client("..").ssh("true", null, SOON);
      assertEquals(255, traversal.code(), "a user name cannot leave the directory");
    }
  }

  @Test
  void theConnectionLimitsAreEnforcedWithAClearMessage() throws Exception {
    DockerClient docker = SshDocker.connect(LabGateway.dockerHost().build());
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), docker,
        DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.maxConnectionsPerUser(1))) {
      OpenSshClient c = g.client("limited");
      Process held = c.start(c.ssh(List.of(), "echo held; sleep 60"), tmp.resolve("held.log"));
      try {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(tmp.resolve("held.log")).contains("held")) {
          assertTrue(System.nanoTime() < end, "the first connection works");
          Thread.sleep(50);
        }
        OpenSshClient.Result second = c.ssh("echo second", null, SOON);
        assertNotEquals(0, second.code());
        assertTrue(second.err().contains("gateway: limited has 1 connections open, the limit "
            + "per user"), second.err());
        assertEquals("other\n", g.client("another").ssh("echo other", null, SOON).out(),
            "another user is not limited by it");
      } finally {
        held.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theHostKeyIsMadeOnceWithMode600AndReused() throws Exception {
    Path dir = tmp.resolve("gw");
    String first;
    try (LabGateway g = LabGateway.start(dir, DockerBackendOptions.builder(busybox().build())
        .build())) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
          dir.resolve("host_key"))));
      first = Files.readString(dir.resolve("host_key.pub"));
    }
    Files.delete(dir.resolve("authorized_keys"));
    try (LabGateway again = LabGateway.start(dir, DockerBackendOptions.builder(
        busybox().build()).build())) {
      assertEquals(first, Files.readString(dir.resolve("host_key.pub")), "the same key");
      assertEquals("same\n", again.client("kh").ssh("echo same", null, SOON).out(),
          "it verifies against the same public key");
    }
  }
}
