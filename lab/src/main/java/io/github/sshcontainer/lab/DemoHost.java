package io.github.sshcontainer.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A throwaway "remote host" on this machine for the demo: the lab's sshd, dockerd, containerd and
 * busybox image, described in an env file, until stdin closes or the process is stopped
 * (SIGTERM/SIGINT); then everything is torn down.
 *
 * <p>Usage: {@code DemoHost ENV_FILE}.
 */
public final class DemoHost {
  private DemoHost() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: DemoHost ENV_FILE");
      System.exit(2);
    }
    Path env = Path.of(args[0]);
    Lab lab = Lab.shared();
    DockerDaemon docker = lab.docker();
    ContainerdDaemon containerd = lab.containerd();
    Path tar = lab.busyboxTar();
    String text = String.join("\n",
        "SSHC_DEST=" + lab.destination(),
        "SSHC_KEY=" + lab.clientKey(),
        "SSHC_KNOWN_HOSTS=" + lab.knownHosts(),
        "SSHC_DOCKER_SOCKET=" + docker.socket(),
        "SSHC_CONTAINERD_SOCKET=" + containerd.socket(),
        "SSHC_IMAGE_TAR=" + tar,
        "SSHC_IMAGE=" + DockerDaemon.BUSYBOX, "");
    Files.createDirectories(env.toAbsolutePath().getParent());
    Path tmp = env.resolveSibling(env.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, env, StandardCopyOption.ATOMIC_MOVE);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Files.deleteIfExists(env);
      } catch (IOException ignored) {
        // best effort
      }
    }));
    System.out.println("READY " + env);
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until stdin closes
    }
    System.exit(0);
  }
}
