package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.daemon;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker over the sshd configurations hardened hosts have. Each runs the same work: ping, a
 * container, an exec with stdin to its end, and 16 requests at once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HardenedHostsTest {
  @TempDir Path tmp;

  private TunnelOptions.Builder optionsFor(Sshd sshd, String user) throws Exception {
    Path kh = tmp.resolve("kh-" + sshd.port());
    Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
    return TunnelOptions.builder("ssh://" + user + "@127.0.0.1:" + sshd.port())
        .identityFile(lab().clientKey()).knownHosts(kh).noSshConfig().useAgent(false);
  }

  private static Sshd start(String name, String... config) {
    List<String> lines = new ArrayList<>(List.of(config));
    lines.add("LogLevel DEBUG1");
    return lab().startSshd(name + "-" + System.nanoTime(), lab().hostKey(), lines);
  }

  /** The same work on every variant. */
  private static void everydayWork(DockerClient docker) throws Exception {
    docker.pingCmd().exec();
    try (OnDemandContainer box = OnDemandContainer.launch(docker, busybox().build())) {
      String text = "through a hardened host\n".repeat(2000);
      ExecResult r = box.exec(ExecSpec.of("cat").stdin(new ByteArrayInputStream(
          text.getBytes(StandardCharsets.UTF_8))).build());
      assertEquals(0, r.exitCode());
      assertEquals(text, r.stdout());
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          calls.add(pool.submit(() -> docker.listContainersCmd().exec().size()));
        }
        for (Future<Integer> call : calls) {
          assertTrue(call.get(60, TimeUnit.SECONDS) >= 1, "the on-demand container is listed");
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Runs the work, adding the sshd's log to a failure. */
  private static void withLog(Sshd sshd, ThrowingRunnable work) throws Exception {
    try {
      work.run();
    } catch (Exception | AssertionError e) {
      e.addSuppressed(new AssertionError("sshd log:\n" + log(sshd)));
      throw e;
    }
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static String log(Sshd sshd) throws Exception {
    return Files.readString(sshd.logFile());
  }

  @Test
  void allowTcpForwardingNoIsServedThroughDialStdio() throws Exception {
    // OpenSSH refuses direct-streamlocal too when TCP forwarding is off
    try (Sshd sshd = start("notcp", "AllowTcpForwarding no")) {
      withLog(sshd, () -> {
        try (DockerClient docker = SshDocker.connect(optionsFor(sshd, lab().user())
            .remoteSocket(daemon().socket().toString()).build())) {
          everydayWork(docker);
        }
      });
      assertTrue(log(sshd).contains("but the request was denied"), "forwarding was refused");
      assertTrue(log(sshd).contains("request exec"), "an exec channel (docker system dial-stdio) "
          + "carried it:\n" + log(sshd).lines().filter(l -> l.contains("exec")).toList());
    }
  }

  @Test
  void dialStdioBeyondMaxSessions() throws Exception {
    // each dial-stdio connection is a session channel; 16 at once exceed MaxSessions 3
    try (Sshd sshd = start("nofwdmax", "AllowStreamLocalForwarding no", "MaxSessions 3")) {
      withLog(sshd, () -> {
        try (DockerClient docker = SshDocker.connect(optionsFor(sshd, lab().user())
            .remoteSocket(daemon().socket().toString()).build())) {
          everydayWork(docker);
        }
      });
      assertTrue(log(sshd).contains("request exec"), "an exec channel (docker system dial-stdio) "
          + "carried it:\n" + log(sshd).lines().filter(l -> l.contains("exec")).toList());
    }
  }

  @Test
  void aNonRootUserInTheDockerGroup() throws Exception {
    String user = lab().dockerGroupUser();
    Path socket = daemon().socket();
    assertEquals("rw-rw----", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(socket)), "only root and the group may use the socket");
    String group = Files.readAttributes(socket,
        PosixFileAttributes.class).group().getName();
    assertTrue(Files.readAllLines(Path.of("/etc/group")).stream().anyMatch(l ->
        l.startsWith(group + ":") && List.of(l.substring(l.lastIndexOf(':') + 1).split(","))
            .contains(user)), user + " is a member of " + group);
    assertFalse(Files.readAllLines(Path.of("/etc/passwd")).stream()
        .anyMatch(l -> l.startsWith(user + ":x:0:")), user + " is not root");
    try (Sshd sshd = start("group")) {
      withLog(sshd, () -> {
        try (DockerClient docker = SshDocker.connect(optionsFor(sshd, user)
            .remoteSocket(daemon().socket().toString()).build())) {
          everydayWork(docker);
        }
      });
      assertTrue(log(sshd).contains("Accepted publickey for " + user), log(sshd));
    }
  }

  @Test
  void maxSessionsOneWithSocketDiscovery() throws Exception {
    // discovery runs a command (a session channel); the forwarded connections are not sessions
    try (Sshd sshd = start("maxs", "MaxSessions 1")) {
      TunnelOptions o = optionsFor(sshd, lab().user()).remoteSocket(RemoteSocket.firstOf(
          "/tmp/sshc-none/docker.sock", daemon().socket().toString())).build();
      withLog(sshd, () -> {
        try (DockerClient docker = SshDocker.connect(o)) {
          everydayWork(docker);
        }
      });
    }
  }

  @Test
  void noSftpSubsystem() throws Exception {
    try (Sshd sshd = start("nosftp", "Subsystem none /bin/false")) {
      withLog(sshd, () -> {
        try (DockerClient docker = SshDocker.connect(optionsFor(sshd, lab().user())
            .remoteSocket(daemon().socket().toString()).build())) {
          everydayWork(docker);
        }
      });
      assertFalse(log(sshd).contains("subsystem request for sftp"), "sftp was never asked for");
    }
  }
}
