package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Podman's Docker-compatible API service (Debian's podman 4.3), as root, with its own storage,
 * run root, network config and {@code containers.conf}: nothing is shared with a system podman.
 * The lab's busybox image is loaded as {@link DockerDaemon#BUSYBOX}.
 *
 * <p>Settings this machine needs, written to the private {@code containers.conf}: lower default
 * ulimits (the sandbox's hard limits are below podman's defaults), runc (Debian's crun refuses
 * the hybrid cgroup layout here), cgroupfs and file events (no systemd).
 */
public final class PodmanDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodmanDaemon.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);

  private final Path dir;
  private final Path socket;
  private final Path podman;
  private volatile Process process;

  private PodmanDaemon(Path dir, Path podman) {
    this.dir = dir;
    this.socket = dir.resolve("podman.sock");
    this.podman = podman;
  }

  /**
   * Starts {@code podman system service} in {@code dir}; needs root.
   *
   * @param insecureRegistries {@code host:port} of registries it may reach over plain HTTP
   *     (Podman, unlike Docker, does not assume that of 127.0.0.0/8)
   */
  public static PodmanDaemon start(Path dir, List<String> insecureRegistries) {
    Path podman = Prerequisites.require("podman", "/usr/bin/podman");
    Prerequisites.require("runc", "/usr/sbin/runc", "/usr/bin/runc");
    Prerequisites.require("busybox-static", "/bin/busybox", "/usr/bin/busybox");
    if (!Sshd.isRoot()) {
      throw new IllegalStateException("the lab's podman service runs as root; run the tests as "
          + "root, e.g. sudo scripts/test.sh");
    }
    PodmanDaemon d = new PodmanDaemon(dir, podman);
    try {
      Files.createDirectories(dir.resolve("net"));
      Files.writeString(dir.resolve("containers.conf"), String.join("\n",
          "[containers]",
          "default_ulimits = [\"nofile=1024:1024\", \"nproc=1000:1000\"]",
          "[engine]",
          "runtime = \"runc\"",
          "cgroup_manager = \"cgroupfs\"",
          "events_logger = \"file\"",
          "events_logfile_path = \"" + dir.resolve("events.log") + "\"",
          "[network]",
          "network_config_dir = \"" + dir.resolve("net") + "\"",
          ""));
      StringBuilder registries = new StringBuilder();
      for (String r : insecureRegistries) {
        registries.append("[[registry]]\nlocation = \"").append(r)
            .append("\"\ninsecure = true\n");
      }
      Files.writeString(dir.resolve("registries.conf"), registries.toString());
      d.launch();
      Path root = Files.createDirectories(dir.resolve("rootfs"));
      try {
        DockerDaemon.busyboxRootfs(root);
        LabProcess.run(Duration.ofMinutes(2), List.of("sh", "-c", "tar -C '" + root + "' -c . | "
            + String.join(" ", d.command()) + " import -c 'CMD [\"/bin/sh\"]' - "
            + DockerDaemon.BUSYBOX), d.environment());
      } finally {
        LabProcess.deleteTree(root);
      }
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return d;
  }

  /** {@code podman} with this service's storage flags. */
  private List<String> command() {
    return List.of(podman.toString(), "--root", dir.resolve("root").toString(),
        "--runroot", dir.resolve("run").toString(), "--tmpdir", dir.resolve("tmp").toString());
  }

  private Map<String, String> environment() {
    return Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString(),
        "CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
  }

  private void launch() throws IOException {
    List<String> cmd = new ArrayList<>(command());
    cmd.addAll(List.of("system", "service", "--time=0", "unix://" + socket));
    Path logFile = dir.resolve("podman.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.environment().putAll(environment());
    process = pb.start();
    DockerApi.await(process, socket, logFile, START_DEADLINE, "podman system service");
    log.info("podman service pid {} on {}", process.pid(), socket);
  }

  /** Runs the podman CLI on this service's storage. */
  public String cli(Duration deadline, String... args) {
    List<String> cmd = new ArrayList<>(command());
    cmd.addAll(List.of(args));
    return LabProcess.run(deadline, cmd, environment());
  }

  /** The Docker-compatible API socket. */
  public Path socket() {
    return socket;
  }

  @Override
  public void close() {
    Process p = process;
    if (p != null) {
      try {
        cli(Duration.ofSeconds(60), "rm", "--all", "--force", "--time", "0");
      } catch (RuntimeException e) {
        log.debug("podman rm --all: {}", e.getMessage());
      }
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
    LabProcess.killProcessesUnder(dir); // conmon of containers that outlived the service
    LabProcess.deleteTree(dir);
  }
}
