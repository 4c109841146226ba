package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The lab's daemons and extra hosts, each started on first use and stopped with the lab:
 * dockerd (plain and with TLS), containerd, Podman, rootless Docker, registries, a host in a
 * network namespace, a host with Docker's default paths.
 */
final class LabDaemons {
  private final Path dir;
  private final LabKeys keys;
  private final LabUsers users;
  private final String user;
  private DockerDaemon docker;
  private DockerDaemon tlsDocker;
  private TlsFiles tlsFiles;
  private int tlsPort;
  private ContainerdDaemon containerd;
  private NetnsHost netnsHost;
  private NetnsHost.DockerHost remoteDockerHost;
  private PodmanDaemon podman;
  private RootlessDocker rootless;
  private Registry registry;
  private Registry privateRegistry;
  private Sshd defaultPathsHost;
  private Path busyboxTar;

  LabDaemons(Path dir, LabKeys keys, LabUsers users, String user) {
    this.dir = dir;
    this.keys = keys;
    this.users = users;
    this.user = user;
  }

  synchronized DockerDaemon docker() {
    if (docker == null) {
      docker = DockerDaemon.start(dir.resolve("d"), List.of(), false, users.dockerGroup());
    }
    return docker;
  }

  synchronized DockerDaemon tlsDocker() {
    if (tlsDocker == null) {
      tlsFiles = TlsFiles.make(dir.resolve("tls"));
      tlsPort = FreePort.pick();
      tlsDocker = DockerDaemon.startTls(dir.resolve("dt"), tlsFiles, tlsPort);
    }
    return tlsDocker;
  }

  synchronized int tlsPort() {
    tlsDocker();
    return tlsPort;
  }

  synchronized TlsFiles tlsFiles() {
    tlsDocker();
    return tlsFiles;
  }

  synchronized NetnsHost netnsHost() {
    if (netnsHost == null) {
      netnsHost = NetnsHost.create(dir.resolve("ns"));
    }
    return netnsHost;
  }

  synchronized PodmanDaemon podman() {
    if (podman == null) {
      podman = PodmanDaemon.start(dir.resolve("p"),
          List.of(registry().address(), privateRegistry().address()));
    }
    return podman;
  }

  synchronized RootlessDocker rootlessDocker() {
    if (rootless == null) {
      rootless = RootlessDocker.start(dir.resolve("rl"));
    }
    return rootless;
  }

  Sshd startSshdWithOwnRun(String name, Map<String, Path> links, List<String> extraConfig) {
    Prerequisites.require("util-linux", "/usr/bin/unshare");
    StringBuilder script = new StringBuilder("mount -t tmpfs -o mode=0755 sshc-run /run"
        + " && mkdir -p /run/sshd");
    for (var link : links.entrySet()) {
      String at = "/run/" + link.getKey();
      script.append(" && mkdir -p '").append(at, 0, at.lastIndexOf('/')).append("'")
          .append(" && ln -s '").append(link.getValue()).append("' '").append(at).append("'");
    }
    script.append(" && exec \"$@\"");
    return Sshd.start(dir.resolve(name), keys.hostKey(), keys.authorizedKeys(), extraConfig,
        List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
            script.toString(), "sh"), "127.0.0.1", 0);
  }

  synchronized Sshd defaultPathsHost() {
    if (defaultPathsHost == null) {
      defaultPathsHost = startSshdWithOwnRun("default-paths", Map.of(
          "docker.sock", docker().socket(),
          "containerd/containerd.sock", containerd().socket()),
          List.of("Subsystem none /bin/false"));
    }
    return defaultPathsHost;
  }

  synchronized Registry registry() {
    if (registry == null) {
      registry = Registry.start(dir.resolve("r"), null, null);
      registry.pushFresh(docker(), Lab.REGISTRY_IMAGE);
    }
    return registry;
  }

  synchronized Registry privateRegistry() {
    if (privateRegistry == null) {
      String password = String.format("pw-%016x", ThreadLocalRandom.current().nextLong());
      privateRegistry = Registry.start(dir.resolve("pr"), "sshc-user", password);
      privateRegistry.pushFresh(docker(), Lab.REGISTRY_IMAGE);
    }
    return privateRegistry;
  }

  synchronized NetnsHost.DockerHost remoteDockerHost() {
    if (remoteDockerHost == null) {
      NetnsHost ns = netnsHost();
      DockerDaemon d = ns.startDocker("rd");
      Sshd s = ns.startSshd("rs", keys.hostKey(), keys.authorizedKeys(), List.of(),
          ns.address(), 22);
      ns.allowOnlyTcp(22);
      Path kh = dir.resolve("known_hosts_remote");
      try {
        Files.writeString(kh, Keys.knownHostsLine(keys.hostKey(), ns.address(), 22) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      remoteDockerHost = new NetnsHost.DockerHost(ns, s, d, kh,
          "ssh://" + user + "@" + ns.address());
    }
    return remoteDockerHost;
  }

  synchronized ContainerdDaemon containerd() {
    if (containerd == null) {
      containerd = ContainerdDaemon.start(dir.resolve("c"));
    }
    return containerd;
  }

  synchronized Path busyboxTar() {
    if (busyboxTar == null) {
      Path tar = dir.resolve("busybox-save.tar");
      docker().cli(Duration.ofMinutes(2), "save", "-o", tar.toString(), DockerDaemon.BUSYBOX);
      busyboxTar = tar;
    }
    return busyboxTar;
  }

  /** Stops everything started, hosts before the daemons they use; never throws. */
  void stop() {
    List<AutoCloseable> all;
    synchronized (this) {
      all = Arrays.asList(defaultPathsHost, rootless, registry, privateRegistry,
          podman, netnsHost, containerd, tlsDocker, docker);
    }
    for (AutoCloseable c : all) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception ignored) {
        // stopping everything anyway
      }
    }
  }
}
