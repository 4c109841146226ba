package io.github.sshcontainer.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the examples connect: the first argument (a destination) or SSHC_DEST, and SSHC_KEY,
 * SSHC_KNOWN_HOSTS, SSHC_DOCKER_SOCKET, SSHC_CONTAINERD_SOCKET, SSHC_IMAGE_TAR, SSHC_IMAGE from
 * the environment; anything missing comes from the local demo host's
 * /tmp/ssh-container-demo/demo.env (written by scripts/demo.sh).
 */
public record DemoSettings(String destination, Path key, Path knownHosts, String dockerSocket,
    String containerdSocket, Path imageTar, String image) {

  public static final Path DEMO_ENV = Path.of("/tmp/ssh-container-demo/demo.env");

  public static DemoSettings from(String[] args, Map<String, String> env) throws IOException {
    return from(args, env, DEMO_ENV);
  }

  /** As {@link #from(String[], Map)}, with the demo host's env file given. */
  public static DemoSettings from(String[] args, Map<String, String> env, Path demoEnv)
      throws IOException {
    Map<String, String> v = new HashMap<>();
    if (Files.isReadable(demoEnv)) {
      for (String line : Files.readAllLines(demoEnv)) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("#")) {
          v.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
      }
    }
    env.forEach((k, val) -> {
      if (k.startsWith("SSHC_")) {
        v.put(k, val);
      }
    });
    if (args.length > 0) {
      v.put("SSHC_DEST", args[0]);
    }
    if (!v.containsKey("SSHC_DEST")) {
      throw new IllegalArgumentException("no destination: pass ssh://user@host[:port] as the "
          + "first argument, set SSHC_DEST, or start the demo host with scripts/demo.sh");
    }
    return new DemoSettings(v.get("SSHC_DEST"),
        v.containsKey("SSHC_KEY") ? Path.of(v.get("SSHC_KEY")) : null,
        v.containsKey("SSHC_KNOWN_HOSTS") ? Path.of(v.get("SSHC_KNOWN_HOSTS")) : null,
        v.getOrDefault("SSHC_DOCKER_SOCKET", "/var/run/docker.sock"),
        v.getOrDefault("SSHC_CONTAINERD_SOCKET", "/run/containerd/containerd.sock"),
        v.containsKey("SSHC_IMAGE_TAR") ? Path.of(v.get("SSHC_IMAGE_TAR")) : null,
        v.getOrDefault("SSHC_IMAGE", "sshc-lab/busybox:1"));
  }
}
