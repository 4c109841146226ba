package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import io.github.sshcontainer.lab.DockerDaemon;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Containers launched on demand, per connection and per command. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OnDemandContainerTest {

  @Test
  void perConnectionContainerRunsManyCommandsAndIsRemovedOnClose() throws Exception {
    try (DockerClient docker = client()) {
      String id;
      try (OnDemandContainer c = OnDemandContainer.launch(docker, busybox()
          .env("MODE", "per-connection").label("team", "qa").memoryBytes(64L << 20).cpus(0.5)
          .build())) {
        id = c.id();
        assertEquals("per-connection\n", c.exec(ExecSpec.of("sh", "-c", "echo $MODE").build())
            .stdout());
        assertEquals(5, c.exec(ExecSpec.of("sh", "-c", "exit 5").build()).exitCode());
        var inspect = docker.inspectContainerCmd(id).exec();
        assertEquals("qa", inspect.getConfig().getLabels().get("team"));
        assertEquals("true", inspect.getConfig().getLabels().get(OnDemandContainer.MANAGED_LABEL));
        assertEquals(64L << 20, inspect.getHostConfig().getMemory());
        assertEquals("none", inspect.getHostConfig().getNetworkMode());
      }
      assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(id).exec());
    }
  }

  @Test
  void perCommandRunStreamsOutputReturnsTheExitCodeAndLeavesNothing() {
    try (DockerClient docker = client()) {
      int before = managed(docker).size();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = OnDemandContainer.runOnce(docker, busybox()
          .command("sh", "-c", "echo out; echo err >&2; exit 7").build(), out, err);
      assertEquals(7, code);
      assertEquals("out\n", out.toString(StandardCharsets.UTF_8));
      assertEquals("err\n", err.toString(StandardCharsets.UTF_8));
      assertEquals(before, managed(docker).size(), "the container was removed");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void withCreatedLooksIntoTheImageWithoutRunningItAndRemovesTheContainerWhatever()
      throws Exception {
    try (DockerClient docker = client()) {
      int before = managed(docker).size();
      List<String> made = new ArrayList<>();
      String tar = OnDemandContainer.withCreated(docker, busybox().build(), id -> {
        made.add(id);
        assertEquals("created", docker.inspectContainerCmd(id).exec().getState().getStatus(),
            "never started");
        try (InputStream in = docker.copyArchiveFromContainerCmd(id, "/etc/passwd").exec()) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      assertTrue(tar.contains("root:x:0:0:root:/root:/bin/sh\n"), "the image's file: " + tar);
      assertThrows(IllegalStateException.class, () -> OnDemandContainer.withCreated(docker,
          busybox().build(), id -> {
            made.add(id);
            throw new IllegalStateException("the reading failed");
          }));
      assertEquals(2, made.size());
      for (String id : made) {
        assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(id).exec());
      }
      assertEquals(before, managed(docker).size(), "nothing left");
    }
  }

  @Test
  void pullPolicyNeverWithAMissingImageIsAClearError() throws Exception {
    try (DockerClient docker = client()) {
      RemoteDockerException e = assertThrows(RemoteDockerException.class, () ->
          OnDemandContainer.launch(docker, ContainerSpec.of("sshc-lab/absent:9")
              .pullPolicy(PullPolicy.NEVER).build()));
      assertEquals(RemoteDockerException.Reason.IMAGE_NOT_FOUND, e.reason());
      assertTrue(e.getMessage().contains("sshc-lab/absent:9"), e.getMessage());
      assertTrue(e.getMessage().contains("NEVER"), e.getMessage());
    }
  }

  @Test
  void pullWithoutARegistryFailsClearly() throws Exception {
    try (DockerClient docker = client()) {
      RemoteDockerException e = assertThrows(RemoteDockerException.class, () ->
          OnDemandContainer.launch(docker, ContainerSpec.of("sshc-lab/absent:9")
              .pullPolicy(PullPolicy.IF_NOT_PRESENT).pullTimeout(Duration.ofSeconds(60))
              .build()));
      assertEquals(RemoteDockerException.Reason.PULL_FAILED, e.reason());
      assertTrue(e.getMessage().contains("pulling sshc-lab/absent:9"), e.getMessage());
    }
  }

  @Test
  void presentImageIsNotPulledWithIfNotPresent() throws Exception {
    List<ContainerSpec.PullProgress> progress = new ArrayList<>();
    try (DockerClient docker = client();
        OnDemandContainer c = OnDemandContainer.launch(docker, busybox()
            .pullPolicy(PullPolicy.IF_NOT_PRESENT).pullListener(progress::add).build())) {
      assertEquals(0, c.exec(ExecSpec.of("true").build()).exitCode());
      assertEquals(List.of(), progress, "no pull happened");
    }
  }

  @Test
  void orphansOfDeadProgramsOnThisHostAreRemovedAndLiveOnesKept() throws Exception {
    try (DockerClient docker = client();
        OnDemandContainer mine = OnDemandContainer.launch(docker, busybox().build())) {
      // a container left by a JVM on this host that no longer runs
      String deadOwner = OnDemandContainer.ownerLabel().replaceAll(":\\d+:", ":999999999:");
      String orphan = docker.createContainerCmd(DockerDaemon.BUSYBOX)
          .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
          .withCmd("sleep", "600")
          .withLabels(Map.of(OnDemandContainer.MANAGED_LABEL, "true",
              OnDemandContainer.OWNER_LABEL, deadOwner)).exec().getId();
      docker.startContainerCmd(orphan).exec();
      List<String> removed = OnDemandContainer.removeOrphans(docker);
      assertEquals(List.of(orphan), removed);
      assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(orphan).exec());
      assertTrue(docker.inspectContainerCmd(mine.id()).exec().getState().getRunning(),
          "a live program's container is kept");
    }
  }


  /**
   * Every setting of ContainerSpec beyond image and command, each seen twice where it can be:
   * in what the daemon reports, and in what the process inside meets.
   */
  @Test
  void everyContainerSettingReachesTheDaemonAndTheProcessInside(@TempDir Path shared)
      throws Exception {
    Files.writeString(shared.resolve("greeting"), "from the host\n");
    // user 65534 in the container reads it: the temp dir is 0700 root's
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(shared.resolve("greeting"),
        PosixFilePermissions.fromString("rw-r--r--"));
    String name = "sshc-settings-" + System.nanoTime();
    try (DockerClient docker = client();
        OnDemandContainer c = OnDemandContainer.launch(docker, busybox().name(name)
            .platform("linux/amd64").user("65534:65534").workingDir("/scratch")
            .hostname("box1").readOnlyRootfs(true).pidsLimit(64).capDrop("ALL")
            .capAdd("NET_BIND_SERVICE").bind(shared.toString(), "/data", true)
            .tmpfs("/scratch", "rw,size=8m").networkMode("none")
            .customize(cmd -> cmd.withDomainName("lab.test")).build())) {
      var inspect = docker.inspectContainerCmd(c.id()).exec();
      assertEquals("/" + name, inspect.getName());
      assertEquals("65534:65534", inspect.getConfig().getUser());
      assertEquals("lab.test", inspect.getConfig().getDomainName());
      HostConfig host = inspect.getHostConfig();
      assertEquals(Boolean.TRUE, host.getReadonlyRootfs());
      assertEquals(64L, host.getPidsLimit());
      assertEquals(List.of("ALL"), Arrays.stream(host.getCapDrop()).map(Object::toString)
          .toList());
      assertEquals(List.of("NET_BIND_SERVICE"), Arrays.stream(host.getCapAdd())
          .map(Object::toString).toList());
      assertEquals(Boolean.FALSE, host.getPrivileged());
      ExecResult seen = c.exec(ExecSpec.of("sh", "-c", "id -u; pwd; hostname; "
          + "cat /data/greeting; "
          + "touch /rootfs-file 2>/dev/null && echo rootfs-writable || echo rootfs-read-only; "
          + "touch /data/x 2>/dev/null && echo bind-writable || echo bind-read-only; "
          + "grep -c ' /scratch tmpfs rw,.*size=8192k' /proc/mounts").build());
      assertEquals("65534\n/scratch\nbox1\nfrom the host\nrootfs-read-only\nbind-read-only\n"
          + "1\n", seen.stdout(), seen.stderr());
      // the tmpfs is the one writable place (Docker 20.10 leaves its root 0755 root's, so root)
      assertEquals("ok\n", c.exec(ExecSpec.of("sh", "-c", "echo ok > /scratch/f && cat "
          + "/scratch/f").user("0").build()).stdout());
    }
  }

  @Test
  void aNameAlreadyTakenIsATypedErrorSayingSo() throws Exception {
    String name = "sshc-taken-" + System.nanoTime();
    try (DockerClient docker = client();
        OnDemandContainer first = OnDemandContainer.launch(docker, busybox().name(name).build())) {
      RemoteDockerException e = assertThrows(RemoteDockerException.class, () ->
          OnDemandContainer.launch(docker, busybox().name(name).build()));
      assertEquals(RemoteDockerException.Reason.CONTAINER_FAILED, e.reason());
      assertTrue(e.getMessage().contains("the name is taken"), e.getMessage());
      assertEquals(0, first.exec(ExecSpec.of("true").build()).exitCode(), "the first runs on");
    }
  }

  private static List<?> managed(DockerClient docker) {
    return docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(OnDemandContainer.MANAGED_LABEL, "true")).exec();
  }

  @Test
  void closeIsIdempotent() throws Exception {
    try (DockerClient docker = client()) {
      OnDemandContainer c = OnDemandContainer.launch(docker, busybox().build());
      c.close();
      c.close();
      assertThrows(IllegalStateException.class, () -> c.exec(ExecSpec.of("true").build()));
      assertFalse(managed(docker).stream().anyMatch(x -> x.toString().contains(c.id())));
    }
  }
}
