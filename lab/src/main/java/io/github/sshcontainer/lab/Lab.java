package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared "remote host" the tests run against, started once per JVM on first use and stopped
 * when the JVM exits: a real OpenSSH sshd on 127.0.0.1 with generated host and client keys, its
 * own known_hosts, and far-end Unix socket servers.
 *
 * <p>As root the lab logs in as root; otherwise as the current user.
 */
public final class Lab {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);
  private static Lab shared;

  private final Path dir;
  private final Path clientKey;
  private final Path authorizedKeys;
  private final Path hostKey;
  private final Path knownHosts;
  private final Sshd sshd;
  private final FarEnd echo;
  private final FarEnd count;
  private final FarEnd discard;
  private final FarEnd source;
  private final FarEnd slam;
  private final FarEnd mixed;
  private DockerDaemon docker;
  private ContainerdDaemon containerd;
  private NetnsHost netnsHost;
  private NetnsHost.DockerHost remoteDockerHost;
  private PodmanDaemon podman;
  private RootlessDocker rootless;
  private Registry registry;
  private Registry privateRegistry;
  private Sshd defaultPathsHost;
  private String unprivilegedUser;
  private String createdUser;
  private String dockerGroup;
  private String dockerGroupUser;
  /** System property naming a user another lab made, for a child JVM of a test. */
  public static final String USER_PROPERTY = "sshc.lab.user";

  private Lab() throws IOException {
    // short path: a Unix socket path must stay under ~107 bytes
    dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-lab-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
    try {
      clientKey = dir.resolve("client_key");
      Keys.generate(clientKey, "");
      authorizedKeys = dir.resolve("authorized_keys");
      Files.copy(Path.of(clientKey + ".pub"), authorizedKeys);
      hostKey = dir.resolve("host_key");
      Keys.generate(hostKey, "");
      sshd = Sshd.start(dir.resolve("sshd"), hostKey, authorizedKeys, List.of());
      knownHosts = dir.resolve("known_hosts");
      Files.writeString(knownHosts, Keys.knownHostsLine(hostKey, sshd.port()) + "\n",
          StandardCharsets.UTF_8);
      Path far = Files.createDirectories(dir.resolve("far"));
      echo = FarEnd.start(far.resolve("echo.sock"), FarEnd.Mode.ECHO);
      count = FarEnd.start(far.resolve("count.sock"), FarEnd.Mode.COUNT);
      discard = FarEnd.start(far.resolve("discard.sock"), FarEnd.Mode.DISCARD);
      source = FarEnd.start(far.resolve("source.sock"), FarEnd.Mode.SOURCE);
      slam = FarEnd.start(far.resolve("slam.sock"), FarEnd.Mode.SLAM);
      mixed = FarEnd.start(far.resolve("mixed.sock"), FarEnd.Mode.MIXED);
    } catch (IOException | RuntimeException e) {
      LabProcess.deleteTree(dir);
      throw e;
    }
    log.info("lab up in {}: sshd pid {} on 127.0.0.1:{} as {}", dir, sshd.pid(), sshd.port(),
        user());
  }

  /** How many file descriptors this process has open (for leak tests). */
  public static long openFileDescriptors() {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The lab of this JVM, started on first call. */
  public static synchronized Lab shared() {
    if (shared == null) {
      try {
        shared = new Lab();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the lab", e);
      }
      Lab lab = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(lab::stop, "lab-shutdown"));
    }
    return shared;
  }

  private void stop() {
    DockerDaemon d;
    ContainerdDaemon ctd;
    NetnsHost ns;
    PodmanDaemon pd;
    Registry reg;
    Registry preg;
    RootlessDocker rl;
    Sshd dph;
    synchronized (this) {
      dph = defaultPathsHost;
      rl = rootless;
      reg = registry;
      preg = privateRegistry;
      d = docker;
      ctd = containerd;
      ns = netnsHost;
      pd = podman;
    }
    for (AutoCloseable c : new AutoCloseable[] {dph, rl, reg, preg, pd, ns, ctd, d, echo, count,
        discard, source, slam, mixed,
        sshd}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception ignored) {
        // stopping everything anyway
      }
    }
    List<List<String>> removals = new java.util.ArrayList<>();
    synchronized (this) {
      for (String user : new String[] {createdUser, dockerGroupUser}) {
        if (user != null) {
          removals.add(List.of("userdel", user));
        }
      }
      if (dockerGroup != null) {
        removals.add(List.of("groupdel", dockerGroup));
      }
    }
    for (List<String> removal : removals) {
      try {
        LabProcess.run(java.time.Duration.ofSeconds(30), removal);
      } catch (RuntimeException e) {
        System.err.println("lab: cannot " + removal + ": " + e.getMessage());
      }
    }
    LabProcess.deleteTree(dir);
  }

  public Path dir() {
    return dir;
  }

  public String host() {
    return sshd.host();
  }

  public int port() {
    return sshd.port();
  }

  /** The login user: root when run as root, else the current user. */
  public String user() {
    return System.getProperty("user.name");
  }

  /** {@code ssh://user@127.0.0.1:port}. */
  public String destination() {
    return "ssh://" + user() + "@" + host() + ":" + port();
  }

  /** Private key (no passphrase) that the lab's sshd accepts. */
  public Path clientKey() {
    return clientKey;
  }

  /** The file every lab sshd reads authorized keys from. */
  public Path authorizedKeys() {
    return authorizedKeys;
  }

  /** The shared sshd's private host key. */
  public Path hostKey() {
    return hostKey;
  }

  /** known_hosts holding the shared sshd's host key. */
  public Path knownHosts() {
    return knownHosts;
  }

  public Sshd sshd() {
    return sshd;
  }

  public FarEnd echo() {
    return echo;
  }

  public FarEnd count() {
    return count;
  }

  public FarEnd discard() {
    return discard;
  }

  public FarEnd source() {
    return source;
  }

  public FarEnd slam() {
    return slam;
  }

  /** A far end whose connections each choose echo, source or hold ({@link FarEnd.Mode#MIXED}). */
  public FarEnd mixed() {
    return mixed;
  }

  /**
   * The lab's dockerd, started on first call (needs root and Debian's docker.io, runc and
   * busybox-static), with the {@link DockerDaemon#BUSYBOX} image loaded.
   */
  public synchronized DockerDaemon docker() {
    if (docker == null) {
      if (Sshd.isRoot()) {
        // the socket's group, as Debian's "docker" group: its members use Docker without root
        String group = String.format("sshc-g%08x",
            java.util.concurrent.ThreadLocalRandom.current().nextInt());
        LabProcess.run(java.time.Duration.ofSeconds(30), List.of("groupadd", group));
        dockerGroup = group;
      }
      docker = DockerDaemon.start(dir.resolve("d"), List.of(), false, dockerGroup);
    }
    return docker;
  }

  /**
   * A second host in its own network namespace (needs root), created on first call and deleted
   * when the lab stops with everything started in it. Reachable from here only at its
   * {@link NetnsHost#address()}.
   */
  public synchronized NetnsHost netnsHost() {
    if (netnsHost == null) {
      netnsHost = NetnsHost.create(dir.resolve("ns"));
    }
    return netnsHost;
  }

  /**
   * The lab's Podman API service (needs root and Debian's podman), started on first call with
   * the {@link DockerDaemon#BUSYBOX} image loaded; it may pull from the lab's registries over
   * plain HTTP (which starts them, and the lab's dockerd that fills them).
   */
  public synchronized PodmanDaemon podman() {
    if (podman == null) {
      podman = PodmanDaemon.start(dir.resolve("p"),
          List.of(registry().address(), privateRegistry().address()));
    }
    return podman;
  }

  /**
   * Rootless Docker of a non-root user of its own, who may log in with the lab's client key;
   * started on first call (needs root to create the user), stopped with the lab.
   */
  public synchronized RootlessDocker rootlessDocker() {
    if (rootless == null) {
      rootless = RootlessDocker.start(dir.resolve("rl"));
    }
    return rootless;
  }

  /**
   * Starts an sshd whose sessions see a /run of their own (a tmpfs in a private mount
   * namespace) holding only {@code /run/sshd} and the given symbolic links, e.g. {@code
   * podman/podman.sock} to a lab socket: the well-known paths a remote host has, without
   * touching this machine's /run. The caller closes it.
   *
   * @param links paths relative to /run, each to the socket or file it points at
   */
  public Sshd startSshdWithOwnRun(String name, java.util.Map<String, Path> links) {
    return startSshdWithOwnRun(name, links, List.of());
  }

  /**
   * As {@link #startSshdWithOwnRun(String, java.util.Map)}, with sshd_config lines that take
   * precedence over the lab defaults (e.g. {@code Subsystem none /bin/false}: no sftp).
   */
  public Sshd startSshdWithOwnRun(String name, java.util.Map<String, Path> links,
      List<String> extraConfig) {
    Prerequisites.require("util-linux", "/usr/bin/unshare");
    StringBuilder script = new StringBuilder("mount -t tmpfs -o mode=0755 sshc-run /run"
        + " && mkdir -p /run/sshd");
    for (var link : links.entrySet()) {
      String at = "/run/" + link.getKey();
      script.append(" && mkdir -p '").append(at, 0, at.lastIndexOf('/')).append("'")
          .append(" && ln -s '").append(link.getValue()).append("' '").append(at).append("'");
    }
    script.append(" && exec \"$@\"");
    return Sshd.start(dir.resolve(name), hostKey, authorizedKeys, extraConfig,
        List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
            script.toString(), "sh"), "127.0.0.1", 0);
  }

  /**
   * A remote host as the README's defaults expect one, started on first call: an sshd without
   * the sftp subsystem whose sessions see {@code /var/run/docker.sock} and {@code
   * /run/containerd/containerd.sock} (links to the lab's dockerd and containerd in a /run of
   * their own). Host key and client key are the lab's.
   */
  public synchronized Sshd defaultPathsHost() {
    if (defaultPathsHost == null) {
      defaultPathsHost = startSshdWithOwnRun("default-paths", java.util.Map.of(
          "docker.sock", docker().socket(),
          "containerd/containerd.sock", containerd().socket()),
          List.of("Subsystem none /bin/false"));
    }
    return defaultPathsHost;
  }

  /**
   * The repository and tag the lab's registries hold their image under: busybox plus 2 MiB,
   * one layer the lab's daemons do not have until they pull it.
   */
  public static final String REGISTRY_IMAGE = "sshc/busybox:1";

  /**
   * An open registry on 127.0.0.1 holding an image as {@link #REGISTRY_IMAGE}, started
   * on first call.
   */
  public synchronized Registry registry() {
    if (registry == null) {
      registry = Registry.start(dir.resolve("r"), null, null);
      registry.pushFresh(docker(), REGISTRY_IMAGE);
    }
    return registry;
  }

  /**
   * A registry behind basic authentication (one account, a password made for this lab) holding
   * an image as {@link #REGISTRY_IMAGE}, started on first call.
   */
  public synchronized Registry privateRegistry() {
    if (privateRegistry == null) {
      String password = String.format("pw-%016x",
          java.util.concurrent.ThreadLocalRandom.current().nextLong());
      privateRegistry = Registry.start(dir.resolve("pr"), "sshc-user", password);
      privateRegistry.pushFresh(docker(), REGISTRY_IMAGE);
    }
    return privateRegistry;
  }

  /**
   * The remote host as users have it, started on first call in {@link #netnsHost()}: an sshd
   * on port 22 of its address, a dockerd with its bridge network (so {@code -p} publishes), and
   * a firewall that lets only SSH in. Stopped with the lab.
   */
  public synchronized NetnsHost.DockerHost remoteDockerHost() {
    if (remoteDockerHost == null) {
      NetnsHost ns = netnsHost();
      DockerDaemon d = ns.startDocker("rd");
      Sshd s = ns.startSshd("rs", hostKey, authorizedKeys, List.of(), ns.address(), 22);
      ns.allowOnlyTcp(22);
      Path kh = dir.resolve("known_hosts_remote");
      try {
        Files.writeString(kh, Keys.knownHostsLine(hostKey, ns.address(), 22) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      remoteDockerHost = new NetnsHost.DockerHost(ns, s, d, kh,
          "ssh://" + user() + "@" + ns.address());
    }
    return remoteDockerHost;
  }

  /** The lab's containerd, started on first call (needs root, containerd and runc). */
  public synchronized ContainerdDaemon containerd() {
    if (containerd == null) {
      containerd = ContainerdDaemon.start(dir.resolve("c"));
    }
    return containerd;
  }

  /**
   * A {@code docker save} tar of the lab's busybox image (made once, by the lab's dockerd), for
   * importing into containerd.
   */
  public synchronized Path busyboxTar() {
    Path tar = dir.resolve("busybox-save.tar");
    if (!java.nio.file.Files.exists(tar)) {
      docker().cli(java.time.Duration.ofMinutes(2), "save", "-o", tar.toString(),
          DockerDaemon.BUSYBOX);
    }
    return tar;
  }

  /**
   * A Unix user without access to the daemons' sockets that may log in to the lab's sshd with
   * the lab's client key; created on first call (needs root), removed when the lab stops.
   */
  public synchronized String unprivilegedUser() {
    if (unprivilegedUser == null) {
      if (!Sshd.isRoot()) {
        throw new IllegalStateException("creating a second Unix user needs root");
      }
      String given = System.getProperty(USER_PROPERTY);
      String name;
      if (given != null) {
        name = given; // a parent test JVM's user: it made it, it removes it
      } else {
        // a user of this lab's own, removed when the lab stops: runs side by side never share
        name = String.format("sshc-%08x",
            java.util.concurrent.ThreadLocalRandom.current().nextInt());
        LabProcess.run(java.time.Duration.ofSeconds(30),
            List.of("useradd", "--no-create-home", "--shell", "/bin/sh", name));
        createdUser = name;
      }
      // useradd locks the password ("!"), and sshd refuses locked accounts even for keys;
      // "*" means no password without locking. A password set meanwhile is kept.
      String status = LabProcess.run(java.time.Duration.ofSeconds(30),
          List.of("passwd", "-S", name));
      if (status.split("\\s+").length > 1 && status.split("\\s+")[1].equals("L")) {
        LabProcess.run(java.time.Duration.ofSeconds(30), List.of("usermod", "-p", "*", name));
      }
      unprivilegedUser = name;
    }
    return unprivilegedUser;
  }

  /**
   * A non-root Unix user in the group that owns the lab dockerd's socket, as users of Debian's
   * "docker" group are, who may log in with the lab's client key; created on first call (needs
   * root), removed when the lab stops.
   */
  public synchronized String dockerGroupUser() {
    docker();
    if (dockerGroupUser == null) {
      String name = String.format("sshc-d%08x",
          java.util.concurrent.ThreadLocalRandom.current().nextInt());
      LabProcess.run(java.time.Duration.ofSeconds(30), List.of("useradd", "--no-create-home",
          "--shell", "/bin/sh", "-G", dockerGroup, name));
      dockerGroupUser = name;
      LabProcess.run(java.time.Duration.ofSeconds(30), List.of("usermod", "-p", "*", name));
    }
    return dockerGroupUser;
  }

  /** Sets the password of {@link #unprivilegedUser()} (for password authentication tests). */
  public synchronized void setUnprivilegedPassword(String password) {
    String user = unprivilegedUser();
    try {
      Path in = Files.createTempFile("sshc-pw", "");
      try {
        Files.writeString(in, user + ":" + password + "\n");
        LabProcess.run(java.time.Duration.ofSeconds(30), List.of("sh", "-c",
            "chpasswd < '" + in + "'"));
      } finally {
        Files.deleteIfExists(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts another sshd accepting the lab's client key, in its own directory under the lab. The
   * caller closes it.
   *
   * @param hostKey its host key; null for a freshly generated one
   * @param extraConfig sshd_config lines that take precedence over the lab defaults
   */
  public Sshd startSshd(String name, Path hostKey, List<String> extraConfig) {
    return Sshd.start(dir.resolve(name), hostKey, authorizedKeys, extraConfig);
  }
}
