package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Version;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.PodmanDaemon;
import io.github.sshcontainer.lab.Registry;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Podman as the remote daemon, through its Docker-compatible API: found at
 * /run/podman/podman.sock on a host that has no Docker, then used as Docker is.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PodmanTest {
  @TempDir static Path tmp;
  private static PodmanDaemon podman;
  private static Sshd sshd;
  private static TunnelOptions options;
  private static DockerClient docker;

  @BeforeAll
  static void connect() throws Exception {
    podman = lab().podman();
    // a host whose /run has Podman's socket and no Docker socket
    sshd = lab().startSshdWithOwnRun("podman-" + System.nanoTime(),
        Map.of("podman/podman.sock", podman.socket()));
    Path kh = Files.writeString(tmp.resolve("kh"),
        Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
    options = TunnelOptions.builder("ssh://" + lab().user() + "@127.0.0.1:" + sshd.port())
        .identityFile(lab().clientKey()).knownHosts(kh).noSshConfig().useAgent(false).build();
    docker = SshDocker.connect(options);
  }

  @AfterAll
  static void close() throws Exception {
    if (docker != null) {
      docker.close();
    }
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void itsSocketIsDiscoveredAndItAnswersAsPodman() {
    try (SocketTunnel t = SocketTunnel.open(SshDocker.dockerDefaults(options))) {
      assertEquals("/run/podman/podman.sock", t.remoteSocket());
    }
    docker.pingCmd().exec();
    Version v = docker.versionCmd().exec();
    assertTrue(v.getComponents().stream().anyMatch(c -> c.getName().equals("Podman Engine")),
        "components: " + v.getComponents());
    assertTrue(v.getApiVersion() != null && !v.getApiVersion().isEmpty());
  }

  @Test
  void runWaitsForTheExitCodeAndKeepsStdoutAndStderrApart() throws Exception {
    String id = docker.createContainerCmd(busybox().build().image())
        .withCmd("sh", "-c", "echo to-out; echo to-err >&2; exit 7")
        .withNetworkDisabled(true).exec().getId();
    try {
      docker.startContainerCmd(id).exec();
      int code = docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
      assertEquals(7, code);
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      docker.logContainerCmd(id).withStdOut(true).withStdErr(true)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
              (f.getStreamType() == StreamType.STDERR ? err : out)
                  .append(new String(f.getPayload(), StandardCharsets.UTF_8));
            }
          }).awaitCompletion(30, TimeUnit.SECONDS);
      assertEquals("to-out\n", out.toString());
      assertEquals("to-err\n", err.toString());
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void execWithStdinToItsEndOnAnOnDemandContainerThatIsRemovedAfter() {
    String id;
    try (OnDemandContainer box = OnDemandContainer.launch(docker, busybox().build())) {
      id = box.id();
      byte[] data = new byte[1 << 20];
      new Random(5).nextBytes(data);
      ExecResult wc = box.exec(ExecSpec.of("wc", "-c").stdin(new ByteArrayInputStream(data))
          .build());
      assertEquals(0, wc.exitCode());
      assertEquals(String.valueOf(data.length), wc.stdout().trim());
      ExecResult mixed = box.exec(ExecSpec.of("sh", "-c", "echo o; echo e >&2; exit 3").build());
      assertEquals(3, mixed.exitCode());
      assertEquals("o\n", mixed.stdout());
      assertEquals("e\n", mixed.stderr());
    }
    assertTrue(docker.listContainersCmd().withShowAll(true).exec().stream()
        .noneMatch(c -> c.getId().equals(id)), "the on-demand container is removed");
  }

  @Test
  void followedLogsArriveWhileTheContainerRuns() throws Exception {
    String id = docker.createContainerCmd(busybox().build().image())
        .withCmd("sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done")
        .withNetworkDisabled(true).exec().getId();
    try {
      docker.startContainerCmd(id).exec();
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      docker.logContainerCmd(id).withStdOut(true).withFollowStream(true)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
              seen.writeBytes(f.getPayload());
            }
          }).awaitCompletion(30, TimeUnit.SECONDS);
      assertEquals("line 1\nline 2\nline 3\n", seen.toString(StandardCharsets.UTF_8));
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void archiveCopyBothWays() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker, busybox().build())) {
      byte[] content = "copied through podman\n".getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream tar = new ByteArrayOutputStream();
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
        TarArchiveEntry entry = new TarArchiveEntry("note.txt");
        entry.setSize(content.length);
        out.putArchiveEntry(entry);
        out.write(content);
        out.closeArchiveEntry();
      }
      docker.copyArchiveToContainerCmd(box.id()).withRemotePath("/tmp")
          .withTarInputStream(new ByteArrayInputStream(tar.toByteArray())).exec();
      ExecResult cat = box.exec(ExecSpec.of("cat", "/tmp/note.txt").build());
      assertEquals("copied through podman\n", cat.stdout());
      try (TarArchiveInputStream back = new TarArchiveInputStream(
          docker.copyArchiveFromContainerCmd(box.id(), "/tmp/note.txt").exec())) {
        assertEquals("note.txt", back.getNextEntry().getName());
        assertEquals("copied through podman\n",
            new String(back.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void attachWithStdinSeesTheContainersOutput() throws Exception {
    String id = docker.createContainerCmd(busybox().build().image())
        .withCmd("sh", "-c", "read line; echo got $line")
        .withStdinOpen(true).withStdInOnce(true).withAttachStdin(true).withAttachStdout(true)
        .withNetworkDisabled(true).exec().getId();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ResultCallback.Adapter<Frame> attached = docker.attachContainerCmd(id)
          .withStdIn(new ByteArrayInputStream("hello\n".getBytes(StandardCharsets.UTF_8)))
          .withStdOut(true).withFollowStream(true)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame f) {
              out.writeBytes(f.getPayload());
            }
          });
      attached.awaitStarted(30, TimeUnit.SECONDS);
      docker.startContainerCmd(id).exec();
      assertEquals(0, docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS));
      attached.awaitCompletion(30, TimeUnit.SECONDS);
      assertEquals("got hello\n", out.toString(StandardCharsets.UTF_8));
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void pullsFromARegistryWithProgressAndTheSameTypedErrors() {
    Registry open = lab().registry();
    String image = open.address() + "/" + Lab.REGISTRY_IMAGE;
    List<ContainerSpec.PullProgress> events =
        new CopyOnWriteArrayList<>();
    try (OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(image)
        .networkMode("none").pullPolicy(PullPolicy.ALWAYS)
        .credentials(DockerCredentials.none()).pullListener(events::add).build())) {
      assertEquals("ok\n", box.exec(ExecSpec.of("echo", "ok").build()).stdout());
    }
    // Podman's pull stream differs from Docker's: per-layer steps, no byte counts
    assertTrue(events.stream().anyMatch(e -> e.status().equals("Download complete")),
        "podman reports its layers: " + events);
    Registry locked = lab().privateRegistry();
    String privateImage = locked.address() + "/" + Lab.REGISTRY_IMAGE;
    RemoteDockerException e = Assertions.assertThrows(
        RemoteDockerException.class, () -> OnDemandContainer.launch(docker,
            ContainerSpec.of(privateImage).networkMode("none").pullPolicy(PullPolicy.ALWAYS)
                .registryAuth(RegistryAuth.basic(locked.user(), "wrong-password")).build()));
    assertEquals(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED, e.reason(), e.getMessage());
    try (OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(privateImage)
        .networkMode("none").pullPolicy(PullPolicy.ALWAYS)
        .registryAuth(RegistryAuth.basic(locked.user(), locked.password())).build())) {
      assertEquals("ok\n", box.exec(ExecSpec.of("echo", "ok").build()).stdout());
    }
  }

  @Test
  void aPlainHttpRegistryPodmanWasNotToldAboutSaysWhatToConfigure() {
    try (Registry other = Registry.start(
        tmp.resolve("other-registry"), null, null)) {
      String image = other.pushFresh(lab().docker(), "sshc/other:1");
      RemoteDockerException e = Assertions.assertThrows(
          RemoteDockerException.class, () -> OnDemandContainer.launch(docker,
              ContainerSpec.of(image).networkMode("none").credentials(DockerCredentials.none())
                  .build()));
      assertEquals(RemoteDockerException.Reason.PULL_FAILED, e.reason());
      assertTrue(e.getMessage().contains("location=\"" + other.address() + "\" insecure=true"),
          e.getMessage());
    }
  }

  @Test
  void aMissingImageIsTypedUnderPullPolicyNever() {
    RemoteDockerException e = Assertions.assertThrows(
        RemoteDockerException.class, () -> OnDemandContainer.launch(docker,
            ContainerSpec.of("sshc-lab/absent:1").networkMode("none")
                .pullPolicy(PullPolicy.NEVER).build()));
    assertEquals(RemoteDockerException.Reason.IMAGE_NOT_FOUND, e.reason());
    assertFalse(e.getMessage().isEmpty());
  }
}
