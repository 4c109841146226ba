package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.NetnsHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lab's daemons leave nothing behind: no mount under their directories (dockerd's data root
 * is a bind mount, each container an overlay), no directory, no network namespace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LabTeardownTest {
  private static List<String> mountsUnder(Path dir) throws Exception {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .map(l -> l.split(" ")[4]).filter(p -> p.startsWith(dir.toString())).toList();
  }

  @Test
  void aStoppedDockerdLeavesNoMountAndNoDirectory() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-td-");
    DockerDaemon d = DockerDaemon.start(dir.resolve("d"));
    try {
      d.cli(Duration.ofSeconds(60), "run", "-d", "--network", "none", DockerDaemon.BUSYBOX,
          "sleep", "300");
      assertFalse(mountsUnder(dir).isEmpty(), "a running container has mounts under " + dir);
    } finally {
      d.close();
    }
    assertTrue(mountsUnder(dir).isEmpty(), "left mounted: " + mountsUnder(dir));
    assertFalse(Files.exists(dir.resolve("d")), "the daemon's directory is removed");
    Files.delete(dir);
  }

  @Test
  void aDockerdThatDiedHardLeavesNoMountOnceClosed() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-tk-");
    DockerDaemon d = DockerDaemon.start(dir.resolve("d"));
    try {
      d.cli(Duration.ofSeconds(60), "run", "-d", "--network", "none", DockerDaemon.BUSYBOX,
          "sleep", "300");
      long pid = Long.parseLong(Files.readString(dir.resolve("d/docker.pid")).trim());
      ProcessHandle dockerd = ProcessHandle.of(pid).orElseThrow();
      dockerd.descendants().forEach(ProcessHandle::destroyForcibly);
      dockerd.destroyForcibly();
      dockerd.onExit().get(20, TimeUnit.SECONDS);
      assertFalse(mountsUnder(dir).isEmpty(), "a crashed dockerd leaves mounts under " + dir);
    } finally {
      d.close();
    }
    assertTrue(mountsUnder(dir).isEmpty(), "left mounted: " + mountsUnder(dir));
    assertFalse(Files.exists(dir.resolve("d")), "the daemon's directory is removed");
    assertTrue(processesNaming(dir).isEmpty(), "left running: " + processesNaming(dir));
    Files.delete(dir);
  }

  /** Command lines that name {@code dir}: a shim of a killed dockerd names its socket. */
  private static List<String> processesNaming(Path dir) {
    return ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid())
        .map(p -> {
          try {
            return new String(Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline")))
                .replace('\0', ' ');
          } catch (Exception gone) {
            return "";
          }
        }).filter(c -> c.contains(dir.toString())).toList();
  }

  @Test
  void aClosedNetworkNamespaceHostIsGone() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-tn-");
    String name;
    try (NetnsHost host = NetnsHost.create(dir.resolve("ns"))) {
      name = host.name();
      assertTrue(Files.exists(Path.of("/run/netns", name)));
      assertTrue(host.exec(Duration.ofSeconds(10), "ip", "-o", "-4", "addr")
          .contains(host.address() + "/30"), "the host has its address");
    }
    assertFalse(Files.exists(Path.of("/run/netns", name)), "namespace " + name + " deleted");
    assertFalse(Files.exists(dir.resolve("ns")));
    Files.delete(dir);
  }
}
