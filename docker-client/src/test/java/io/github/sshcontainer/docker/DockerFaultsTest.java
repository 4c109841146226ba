package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;
import static io.github.sshcontainer.docker.LabDocker.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.SshTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Faults under the Docker client; leaks over many clients. */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DockerFaultsTest {
  @TempDir Path tmp;

  @Test
  void sshSessionKilledThenTheSameClientWorksWithoutRebuilding() throws Exception {
    try (Sshd sshd = lab().startSshd("dfault-" + System.nanoTime(), lab().hostKey(), List.of())) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
      try (DockerClient docker = SshDocker.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port())).build())) {
        assertTrue(docker.listImagesCmd().exec().size() >= 1);
        assertTrue(sshd.killSessions() >= 1);
        // pooled connections died with the session; the call must not surface that
        assertTrue(docker.listImagesCmd().exec().size() >= 1);
        docker.pingCmd().exec();
        sshd.restart();
        assertTrue(docker.listContainersCmd().withShowAll(true).exec() != null);
      }
    }
  }

  @Test
  void networkStalledPastKeepaliveFailsTheCallThenTheSameClientRecovers() throws Exception {
    try (Sshd sshd = lab().startSshd("dstall-" + System.nanoTime(), lab().hostKey(), List.of());
        DelayProxy proxy = DelayProxy
            .start(sshd.port(), Duration.ofMillis(1))) {
      Path kh = tmp.resolve("kh-stall");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), proxy.port()) + "\n");
      try (DockerClient docker = SshDocker.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", proxy.port()))
          .keepalive(Duration.ofSeconds(1), 2)
          .connectTimeout(Duration.ofSeconds(3)).build())) {
        docker.pingCmd().exec();
        proxy.freeze(true);
        long t0 = System.nanoTime();
        RemoteDockerException e = assertThrows(RemoteDockerException.class,
            () -> docker.listContainersCmd().exec());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(RemoteDockerException.Reason.DAEMON_UNAVAILABLE, e.reason());
        assertTrue(ms < 20_000, "the call in flight failed after " + ms + " ms");
        proxy.freeze(false);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
          try {
            docker.pingCmd().exec();
            break;
          } catch (RemoteDockerException again) {
            assertTrue(System.nanoTime() < end, "no recovery: " + again);
            Thread.sleep(200);
          }
        }
        assertTrue(docker.listImagesCmd().exec().size() >= 1, "the same client works again");
      }
    }
  }

  @Test
  void whileTheHostIsGoneEachCallFailsWithinTheConnectTimeoutAndWorksOnceItIsBack()
      throws Exception {
    try (Sshd sshd = lab().startSshd("dgone-" + System.nanoTime(), lab().hostKey(), List.of())) {
      Path kh = tmp.resolve("kh-gone");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
      try (DockerClient docker = SshDocker.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port()))
          .connectTimeout(Duration.ofSeconds(3)).build())) {
        docker.pingCmd().exec();
        sshd.close(); // the host refuses from now on
        SocketTunnel tunnel = SshDocker.tunnelOf(docker).orElseThrow();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (tunnel.isConnected() && System.nanoTime() < end) {
          Thread.sleep(20);
        }
        for (int i = 0; i < 3; i++) {
          long t0 = System.nanoTime();
          RemoteDockerException e = assertThrows(RemoteDockerException.class,
              () -> docker.listContainersCmd().exec());
          long ms = (System.nanoTime() - t0) / 1_000_000;
          assertEquals(RemoteDockerException.Reason.DAEMON_UNAVAILABLE, e.reason());
          assertTrue(e.getMessage().contains("is down and being re-established"),
              e.getMessage());
          assertTrue(ms < 3000 + 2000, "call " + i + " failed after " + ms + " ms, not "
              + "within the connect timeout (3 s) + 2 s");
        }
        sshd.restart();
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
          try {
            docker.pingCmd().exec();
            break;
          } catch (RemoteDockerException again) {
            assertTrue(System.nanoTime() < end, "no recovery: " + again);
            Thread.sleep(200);
          }
        }
        assertTrue(docker.listImagesCmd().exec().size() >= 1, "the same client works again");
      }
    }
  }

  @Test
  void aServerAnsweringGarbageIsDaemonUnavailable() {
    RemoteDockerException e = assertThrows(RemoteDockerException.class,
        () -> SshDocker.connect(options().remoteSocket(lab().slam().socket().toString())
            .build(), Duration.ofSeconds(2)));
    assertEquals(RemoteDockerException.Reason.DAEMON_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
  }

  @Test
  void clientCyclesLeakNeitherThreadsNorDescriptorsNorContainers() throws Exception {
    int cycles = Boolean.getBoolean("sshc.long") ? 1_000 : 20;
    SshDocker.connect(options().build()).close();
    Thread.sleep(3_500); // pool threads of earlier tests end
    long fds0 = Lab.openFileDescriptors();
    int managed0;
    try (DockerClient d = SshDocker.connect(options().build())) {
      managed0 = d.listContainersCmd().withShowAll(true).exec().size();
    }
    for (int i = 0; i < cycles; i++) {
      try (DockerClient d = SshDocker.connect(options().build())) {
        d.pingCmd().exec();
      }
    }
    Thread.sleep(300);
    long threads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("ssh-container-")
            && !t.getName().contains("docker-stdin")).count();
    long fds = Lab.openFileDescriptors();
    int managed;
    try (DockerClient d = SshDocker.connect(options().build())) {
      managed = d.listContainersCmd().withShowAll(true).exec().size();
    }
    System.out.printf("FIGURES docker leak: %d client cycles: fds %d -> %d, tunnel threads %d,"
        + " containers %d -> %d%n", cycles, fds0, fds, threads, managed0, managed);
    assertEquals(0, threads);
    assertTrue(fds <= fds0 + 4, "fds " + fds0 + " -> " + fds);
    assertEquals(managed0, managed);
  }

}
