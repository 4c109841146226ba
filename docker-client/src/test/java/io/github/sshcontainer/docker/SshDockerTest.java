package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.client;
import static io.github.sshcontainer.docker.LabDocker.daemon;
import static io.github.sshcontainer.docker.LabDocker.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Version;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelException;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** docker-java through the tunnel against the lab's real dockerd. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SshDockerTest {
  @TempDir Path tmp;

  @Test
  void pingVersionAndInfoAnswer() throws Exception {
    try (DockerClient docker = client()) {
      docker.pingCmd().exec();
      Version v = docker.versionCmd().exec();
      assertTrue(v.getApiVersion().startsWith("1."), v.getApiVersion());
      Info info = docker.infoCmd().exec();
      assertTrue(info.getImages() >= 1, "the lab's busybox image is there: " + info.getImages());
    }
  }

  @Test
  void closingTheClientClosesItsTunnelButNotACallersTunnel() throws Exception {
    long before = tunnelThreads();
    DockerClient owned = client();
    owned.pingCmd().exec();
    owned.close();
    assertEquals(before, tunnelThreads(), "the owned tunnel's threads are gone");

    try (SocketTunnel tunnel = SocketTunnel.open(options().build())) {
      DockerClient borrowed = SshDocker.connect(tunnel);
      borrowed.pingCmd().exec();
      borrowed.close();
      assertTrue(tunnel.isOpen(), "a caller's tunnel stays open");
      tunnel.checkRemote();
    }
  }

  private static long tunnelThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("ssh-container-")
            && !t.getName().contains("docker-stdin")).count();
  }

  @Test
  void containerLifecycleWithStreamedLogs() throws Exception {
    try (DockerClient docker = client()) {
      String id = docker.createContainerCmd(DockerDaemon.BUSYBOX)
          .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
          .withCmd("sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.1; done; sleep 60")
          .exec().getId();
      try {
        docker.startContainerCmd(id).exec();
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        ResultCallback.Adapter<Frame> follow = new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Frame f) {
            logs.writeBytes(f.getPayload());
          }
        };
        docker.logContainerCmd(id).withStdOut(true).withFollowStream(true).exec(follow);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!logs.toString(StandardCharsets.UTF_8).contains("line 3")
            && System.nanoTime() < end) {
          Thread.sleep(20);
        }
        assertEquals("line 1\nline 2\nline 3\n", logs.toString(StandardCharsets.UTF_8),
            "logs arrive while the container still runs");
        assertTrue(docker.inspectContainerCmd(id).exec().getState().getRunning());
        docker.stopContainerCmd(id).withTimeout(1).exec();
        assertTrue(follow.awaitCompletion(20, TimeUnit.SECONDS), "log stream ends with it");
        assertFalse(docker.inspectContainerCmd(id).exec().getState().getRunning());
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
      assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(id).exec());
    }
  }

  @Test
  void copiesAFileInAndOutWithTheArchiveApi() throws Exception {
    byte[] content = "copied over ssh\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
    try (DockerClient docker = client();
        OnDemandContainer c = OnDemandContainer.launch(docker, busybox().build())) {
      Path tar = tmp.resolve("in.tar");
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
        TarArchiveEntry e = new TarArchiveEntry("hello.txt");
        e.setSize(content.length);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
      }
      try (InputStream in = Files.newInputStream(tar)) {
        docker.copyArchiveToContainerCmd(c.id()).withRemotePath("/tmp").withTarInputStream(in)
            .exec();
      }
      ExecResult wc = c.exec(ExecSpec.of("wc", "-c", "/tmp/hello.txt").build());
      assertEquals(content.length + " /tmp/hello.txt", wc.stdout().trim());
      try (TarArchiveInputStream back = new TarArchiveInputStream(
          docker.copyArchiveFromContainerCmd(c.id(), "/tmp/hello.txt").exec())) {
        TarArchiveEntry e = back.getNextEntry();
        assertEquals("hello.txt", e.getName());
        assertArrayEquals(content, back.readAllBytes());
      }
    }
  }

  @Test
  void savesAndLoadsAnImageOver100MiBIntact() throws Exception {
    String big = daemon().bigImage();
    String expected = daemon().bigSha256();
    Path saved = tmp.resolve("big.tar");
    try (DockerClient docker = client()) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (InputStream in = docker.saveImageCmd(big).exec();
          OutputStream out = new DigestOutputStream(Files.newOutputStream(saved), md)) {
        in.transferTo(out);
      }
      assertTrue(Files.size(saved) > 100L << 20, "saved " + Files.size(saved) + " bytes");
      docker.removeImageCmd(big).withForce(true).exec();
      assertThrows(NotFoundException.class, () -> docker.inspectImageCmd(big).exec());
      try (InputStream in = Files.newInputStream(saved)) {
        docker.loadImageCmd(in).exec();
      }
      docker.inspectImageCmd(big).exec();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int code = OnDemandContainer.runOnce(docker, ContainerSpec.of(big).networkMode("none")
          .pullPolicy(PullPolicy.NEVER).command("sha256sum", "/big.bin").build(), out,
          new ByteArrayOutputStream());
      assertEquals(0, code);
      assertEquals(expected, out.toString(StandardCharsets.UTF_8).split("\\s+")[0],
          "the 110 MiB file inside survived save and load through the tunnel");
      // the saved stream itself is the daemon's: a second save gives the same bytes
      MessageDigest again = MessageDigest.getInstance("SHA-256");
      try (InputStream in = docker.saveImageCmd(big).exec()) {
        in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), again));
      }
      assertEquals(HexFormat.of().formatHex(md.digest()),
          HexFormat.of().formatHex(again.digest()));
    }
  }

  @Test
  void pingsWithADeadlineAndReportsAMissingDaemon() {
    Duration deadline = Duration.ofMillis(800);
    TunnelException e = assertThrows(
        TunnelException.class,
        () -> SshDocker.connect(options().remoteSocket("/tmp/sshc-no-daemon/docker.sock")
            .build(), deadline));
    assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE,
        e.reason());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }
}
