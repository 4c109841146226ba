package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rootless Docker as its users run it: a non-root Unix user of its own (with subordinate ids
 * from useradd) runs Debian's {@code dockerd-rootless.sh} under rootlesskit, and the daemon
 * listens on {@code /run/user/<uid>/docker.sock}. The user may log in to the lab's sshd with
 * the lab's client key. Needs root to create the user; the daemon itself runs unprivileged.
 *
 * <p>rootlesskit runs with {@code --net=host}: its default network, slirp4netns, needs
 * /dev/net/tun, which only root may open on this machine. Containers run with network none.
 * {@link #close()} stops the daemon and removes the user, its home and its /run/user directory.
 */
public final class RootlessDocker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootlessDocker.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final String CONTRIB = "/usr/share/docker.io/contrib";

  private final String user;
  private final int uid;
  private final Path home;
  private final Path runtimeDir;
  private volatile Process process;

  private RootlessDocker(String user, int uid, Path home) {
    this.user = user;
    this.uid = uid;
    this.home = home;
    this.runtimeDir = Path.of("/run/user", Integer.toString(uid));
  }

  /** Creates the user (home in {@code dir}) and starts its rootless dockerd. */
  public static RootlessDocker start(Path dir) {
    Prerequisites.require("docker.io", CONTRIB + "/dockerd-rootless.sh");
    Prerequisites.require("rootlesskit", "/usr/bin/rootlesskit");
    Prerequisites.require("uidmap", "/usr/bin/newuidmap");
    if (!Sshd.isRoot()) {
      throw new IllegalStateException("creating the rootless Docker user needs root");
    }
    String name = String.format("sshc-r%08x", ThreadLocalRandom.current().nextInt());
    Path home = dir.resolve("home");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LabProcess.run(Duration.ofSeconds(30), List.of("useradd", "--create-home", "--home-dir",
        home.toString(), "--shell", "/bin/sh", name));
    LabProcess.run(Duration.ofSeconds(30), List.of("usermod", "-p", "*", name));
    int uid = Integer.parseInt(LabProcess.run(Duration.ofSeconds(10),
        List.of("id", "-u", name)).trim());
    RootlessDocker d = new RootlessDocker(name, uid, home);
    try {
      Files.createDirectories(d.runtimeDir);
      LabProcess.run(Duration.ofSeconds(10), List.of("chown", name + ":" + name,
          d.runtimeDir.toString()));
      LabProcess.run(Duration.ofSeconds(10), List.of("chmod", "0700", d.runtimeDir.toString()));
      d.launch(dir.resolve("dockerd-rootless.log"));
      Path root = Files.createDirectories(dir.resolve("rootfs"));
      try {
        DockerDaemon.busyboxRootfs(root);
        LabProcess.run(Duration.ofMinutes(2), List.of("sh", "-c", "tar -C '" + root
            + "' -c . | runuser -u " + name + " -- env DOCKER_HOST=unix://" + d.socket()
            + " docker import -c 'CMD [\"/bin/sh\"]' - " + DockerDaemon.BUSYBOX));
      } finally {
        LabProcess.deleteTree(root);
      }
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return d;
  }

  private void launch(Path logFile) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--", "env", "-i",
        "HOME=" + home, "USER=" + user, "XDG_RUNTIME_DIR=" + runtimeDir,
        "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=host", "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none",
        "PATH=" + CONTRIB + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        CONTRIB + "/dockerd-rootless.sh", "--iptables=false", "--bridge=none"));
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    DockerApi.await(process, socket(), logFile, START_DEADLINE, "rootless dockerd");
    log.info("rootless dockerd of {} on {}", user, socket());
  }

  /** The non-root user who runs the daemon and logs in over SSH. */
  public String user() {
    return user;
  }

  public int uid() {
    return uid;
  }

  /** {@code /run/user/<uid>/docker.sock}. */
  public Path socket() {
    return runtimeDir.resolve("docker.sock");
  }

  @Override
  public void close() {
    Process p = process;
    if (p != null) {
      p.toHandle().descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      try {
        p.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // whatever of the user's is left (the daemon's children re-parent when it dies)
    try {
      LabProcess.run(Duration.ofSeconds(10), List.of("pkill", "-KILL", "-u", user));
    } catch (RuntimeException nothingLeft) {
      // pkill exits 1 when nothing matched
    }
    for (int i = 0; i < 50 && !LabProcess.processesOf(uid).isEmpty(); i++) {
      Sshd.sleep(100);
    }
    try {
      LabProcess.run(Duration.ofSeconds(30), List.of("userdel", user));
    } catch (RuntimeException e) {
      log.warn("cannot remove the user {}: {}", user, e.getMessage());
    }
    LabProcess.deleteTree(runtimeDir);
    LabProcess.deleteTree(home.getParent());
  }
}
