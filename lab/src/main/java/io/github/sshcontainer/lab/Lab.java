package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared "remote host" the tests run against, started once per JVM on first use and stopped
 * when the JVM exits: a real OpenSSH sshd on 127.0.0.1 with generated host and client keys
 * ({@link LabKeys}), its own known_hosts, far-end Unix socket servers, and on demand the daemons
 * and hosts of {@link LabDaemons} and the Unix users of {@link LabUsers}.
 *
 * <p>As root the lab logs in as root; otherwise as the current user.
 */
public final class Lab {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);
  private static Lab shared;
  /** System property naming a user another lab made, for a child JVM of a test. */
  public static final String USER_PROPERTY = "sshc.lab.user";
  /**
   * The repository and tag the lab's registries hold their image under: busybox plus 2 MiB,
   * one layer the lab's daemons do not have until they pull it.
   */
  public static final String REGISTRY_IMAGE = "sshc/busybox:1";

  private final Path dir;
  private final LabKeys keys;
  private final Path knownHosts;
  private final Sshd sshd;
  private final FarEnd echo;
  private final FarEnd count;
  private final FarEnd discard;
  private final FarEnd source;
  private final FarEnd slam;
  private final FarEnd mixed;
  private final LabUsers users = new LabUsers();
  private final LabDaemons daemons;

  private Lab() throws IOException {
    // short path: a Unix socket path must stay under ~107 bytes
    dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-lab-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
    try {
      keys = LabKeys.make(dir);
      sshd = Sshd.start(dir.resolve("sshd"), keys.hostKey(), keys.authorizedKeys(), List.of());
      knownHosts = dir.resolve("known_hosts");
      Files.writeString(knownHosts, Keys.knownHostsLine(keys.hostKey(), sshd.port()) + "\n",
          StandardCharsets.UTF_8);
      Path far = Files.createDirectories(dir.resolve("far"));
      echo = FarEnd.start(far.resolve("echo.sock"), FarEnd.Mode.ECHO);
      count = FarEnd.start(far.resolve("count.sock"), FarEnd.Mode.COUNT);
      discard = FarEnd.start(far.resolve("discard.sock"), FarEnd.Mode.DISCARD);
      source = FarEnd.start(far.resolve("source.sock"), FarEnd.Mode.SOURCE);
      slam = FarEnd.start(far.resolve("slam.sock"), FarEnd.Mode.SLAM);
      mixed = FarEnd.start(far.resolve("mixed.sock"), FarEnd.Mode.MIXED);
      daemons = new LabDaemons(dir, keys, users, user());
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
    daemons.stop();
    for (AutoCloseable c : List.of(echo, count, discard, source, slam, mixed, sshd)) {
      try {
        c.close();
      } catch (Exception ignored) {
        // stopping everything anyway
      }
    }
    users.remove();
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
    return keys.clientKey();
  }

  /** The file every lab sshd reads authorized keys from. */
  public Path authorizedKeys() {
    return keys.authorizedKeys();
  }

  /** The shared sshd's private host key. */
  public Path hostKey() {
    return keys.hostKey();
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
   * busybox-static), with the {@link DockerDaemon#BUSYBOX} image loaded; its socket belongs to a
   * group of the lab's, as Debian's "docker" group.
   */
  public DockerDaemon docker() {
    return daemons.docker();
  }

  /**
   * A second dockerd of the lab's, started on first call, that also listens on {@code
   * tcp://127.0.0.1:}{@link #tlsDockerPort()} with {@code --tlsverify}; {@link #tlsFiles()}
   * has the CA and a client certificate.
   */
  public DockerDaemon tlsDocker() {
    return daemons.tlsDocker();
  }

  /** The TLS port of {@link #tlsDocker()}. */
  public int tlsDockerPort() {
    return daemons.tlsPort();
  }

  /** The certificates of {@link #tlsDocker()}. */
  public TlsFiles tlsFiles() {
    return daemons.tlsFiles();
  }

  /**
   * A second host in its own network namespace (needs root), created on first call and deleted
   * when the lab stops with everything started in it. Reachable from here only at its
   * {@link NetnsHost#address()}.
   */
  public NetnsHost netnsHost() {
    return daemons.netnsHost();
  }

  /**
   * The lab's Podman API service (needs root and Debian's podman), started on first call with
   * the {@link DockerDaemon#BUSYBOX} image loaded; it may pull from the lab's registries over
   * plain HTTP (which starts them, and the lab's dockerd that fills them).
   */
  public PodmanDaemon podman() {
    return daemons.podman();
  }

  /**
   * Rootless Docker of a non-root user of its own, who may log in with the lab's client key;
   * started on first call (needs root to create the user), stopped with the lab.
   */
  public RootlessDocker rootlessDocker() {
    return daemons.rootlessDocker();
  }

  /**
   * Starts an sshd whose sessions see a /run of their own (a tmpfs in a private mount
   * namespace) holding only {@code /run/sshd} and the given symbolic links, e.g. {@code
   * podman/podman.sock} to a lab socket: the well-known paths a remote host has, without
   * touching this machine's /run. The caller closes it.
   *
   * @param links paths relative to /run, each to the socket or file it points at
   */
  public Sshd startSshdWithOwnRun(String name, Map<String, Path> links) {
    return daemons.startSshdWithOwnRun(name, links, List.of());
  }

  /**
   * As {@link #startSshdWithOwnRun(String, Map)}, with sshd_config lines that take precedence
   * over the lab defaults (e.g. {@code Subsystem none /bin/false}: no sftp).
   */
  public Sshd startSshdWithOwnRun(String name, Map<String, Path> links,
      List<String> extraConfig) {
    return daemons.startSshdWithOwnRun(name, links, extraConfig);
  }

  /**
   * A remote host as the README's defaults expect one, started on first call: an sshd without
   * the sftp subsystem whose sessions see {@code /var/run/docker.sock} and {@code
   * /run/containerd/containerd.sock} (links to the lab's dockerd and containerd in a /run of
   * their own). Host key and client key are the lab's.
   */
  public Sshd defaultPathsHost() {
    return daemons.defaultPathsHost();
  }

  /**
   * An open registry on 127.0.0.1 holding an image as {@link #REGISTRY_IMAGE}, started
   * on first call.
   */
  public Registry registry() {
    return daemons.registry();
  }

  /**
   * A registry behind basic authentication (one account, a password made for this lab) holding
   * an image as {@link #REGISTRY_IMAGE}, started on first call.
   */
  public Registry privateRegistry() {
    return daemons.privateRegistry();
  }

  /**
   * The remote host as users have it, started on first call in {@link #netnsHost()}: an sshd
   * on port 22 of its address, a dockerd with its bridge network (so {@code -p} publishes), and
   * a firewall that lets only SSH in. Stopped with the lab.
   */
  public NetnsHost.DockerHost remoteDockerHost() {
    return daemons.remoteDockerHost();
  }

  /** The lab's containerd, started on first call (needs root, containerd and runc). */
  public ContainerdDaemon containerd() {
    return daemons.containerd();
  }

  /**
   * A {@code docker save} tar of the lab's busybox image (made once, by the lab's dockerd), for
   * importing into containerd.
   */
  public Path busyboxTar() {
    return daemons.busyboxTar();
  }

  /**
   * A Unix user without access to the daemons' sockets that may log in to the lab's sshd with
   * the lab's client key; created on first call (needs root), removed when the lab stops.
   */
  public String unprivilegedUser() {
    return users.unprivileged();
  }

  /**
   * A non-root Unix user in the group that owns the lab dockerd's socket, as users of Debian's
   * "docker" group are, who may log in with the lab's client key; created on first call (needs
   * root), removed when the lab stops.
   */
  public String dockerGroupUser() {
    docker();
    return users.dockerGroupUser();
  }

  /** Sets the password of {@link #unprivilegedUser()} (for password authentication tests). */
  public void setUnprivilegedPassword(String password) {
    users.setUnprivilegedPassword(password);
  }

  /**
   * Starts another sshd accepting the lab's client key, in its own directory under the lab. The
   * caller closes it.
   *
   * @param hostKey its host key; null for a freshly generated one
   * @param extraConfig sshd_config lines that take precedence over the lab defaults
   */
  public Sshd startSshd(String name, Path hostKey, List<String> extraConfig) {
    return Sshd.start(dir.resolve(name), hostKey, keys.authorizedKeys(), extraConfig);
  }
}
