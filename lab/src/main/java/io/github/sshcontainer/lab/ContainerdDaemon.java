package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real containerd (Debian's containerd + runc) with a private root, state and socket, and its
 * own config (the CRI plugin off). Stopping it also ends any task shims it left behind.
 */
public final class ContainerdDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ContainerdDaemon.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);

  private final Path dir;
  private final Path socket;
  private volatile Process process;

  private ContainerdDaemon(Path dir) {
    this.dir = dir;
    this.socket = dir.resolve("containerd.sock");
  }

  /** Starts containerd in {@code dir}; needs root. */
  public static ContainerdDaemon start(Path dir) {
    Path bin = Prerequisites.require("containerd", "/usr/bin/containerd");
    Prerequisites.require("containerd", "/usr/bin/containerd-shim-runc-v2");
    Prerequisites.require("runc", "/usr/sbin/runc", "/usr/bin/runc");
    if (!Sshd.isRoot()) {
      throw new IllegalStateException("the lab's containerd needs root (it mounts snapshots "
          + "and runs tasks); run the tests as root, e.g. sudo scripts/test.sh");
    }
    ContainerdDaemon d = new ContainerdDaemon(dir);
    try {
      Files.createDirectories(dir);
      Path config = dir.resolve("config.toml");
      Files.writeString(config, String.join("\n",
          "version = 2",
          "root = \"" + dir.resolve("root") + "\"",
          "state = \"" + dir.resolve("state") + "\"",
          "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]",
          "[grpc]",
          "  address = \"" + d.socket + "\"",
          "[ttrpc]",
          "  address = \"" + d.socket + ".ttrpc\"",
          "[debug]",
          "  address = \"\"",
          "  level = \"warn\"",
          "[metrics]",
          "  address = \"\"",
          ""));
      d.launch(bin, config);
      return d;
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  private void launch(Path bin, Path config) throws IOException {
    Path logFile = dir.resolve("containerd.log");
    process = new ProcessBuilder(bin.toString(), "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("containerd exited with " + process.exitValue()
            + ":\n" + Files.readString(logFile));
      }
      if (accepts()) {
        log.info("containerd pid {} on {}", process.pid(), socket);
        return;
      }
      Sshd.sleep(50);
    }
    throw new IllegalStateException("containerd did not listen on " + socket + " within "
        + START_DEADLINE + "; log:\n" + Files.readString(logFile));
  }

  /** Stops containerd and starts it again on the same root, state and socket. */
  public void restart() {
    stopProcess();
    try {
      launch(Prerequisites.require("containerd", "/usr/bin/containerd"),
          dir.resolve("config.toml"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void stopProcess() {
    Process p = process;
    if (p != null) {
      p.destroy();
      try {
        // containerd may linger on SIGTERM while clients hold connections; it is a lab daemon
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private boolean accepts() {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public Path socket() {
    return socket;
  }

  public Path dir() {
    return dir;
  }

  /** Version as {@code containerd --version} prints it. */
  public static String version() {
    return LabProcess.run(Duration.ofSeconds(10), List.of("/usr/bin/containerd",
        "--version")).trim();
  }

  @Override
  public void close() {
    stopProcess();
    // shims outlive containerd by design; ours carry our socket path in their command line
    String mark = socket.toString();
    ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains("containerd-shim")
            && c.contains(mark)).orElse(false))
        .forEach(ProcessHandle::destroyForcibly);
    try {
      LabProcess.run(Duration.ofSeconds(30), List.of("sh", "-c",
          "grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l"));
    } catch (RuntimeException e) {
      log.warn("unmounting leftovers under {} failed: {}", dir, e.getMessage());
    }
    LabProcess.killProcessesUnder(dir); // shims of a daemon that died hard
    LabProcess.deleteTree(dir);
  }
}
