package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real dockerd (Debian's docker.io) on a private socket, data root, exec root and pid file,
 * with {@code --iptables=false --bridge=none}: containers run with network {@code none}. Images
 * come from no registry: the lab builds them from Debian's static busybox.
 */
public final class DockerDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DockerDaemon.class);
  /** The lab's small image: busybox with a shell and the usual applets. */
  public static final String BUSYBOX = "sshc-lab/busybox:1";
  /** An image over 100 MiB: busybox plus /big.bin of random bytes. */
  public static final String BIG = "sshc-lab/big:1";
  static final int BIG_BYTES = 110 << 20;
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);

  private final Path dir;
  private final Path socket;
  private final Path dockerCli;
  private final List<String> launcher;
  private final boolean bridge;
  private final String group;
  private final List<String> extraArgs;
  private volatile Process process;
  private String bigSha256;

  private DockerDaemon(Path dir, Path dockerCli, List<String> launcher, boolean bridge,
      String group, List<String> extraArgs) {
    this.dir = dir;
    this.group = group;
    this.extraArgs = List.copyOf(extraArgs);
    this.launcher = List.copyOf(launcher);
    this.bridge = bridge;
    this.socket = dir.resolve("docker.sock");
    this.dockerCli = dockerCli;
  }

  /** Starts dockerd in {@code dir}; needs root. */
  public static DockerDaemon start(Path dir) {
    return start(dir, List.of(), false, null);
  }

  /**
   * Starts dockerd in {@code dir} through {@code launcher} (e.g. {@code nsenter --net=…}), with
   * its default bridge network and iptables rules when {@code bridge}, so that {@code -p}
   * publishes ports in that network namespace.
   *
   * @param group the Unix group that owns the socket (dockerd's {@code --group}); null: root
   */
  static DockerDaemon start(Path dir, List<String> launcher, boolean bridge, String group) {
    return start(dir, launcher, bridge, group, List.of());
  }

  /**
   * Starts dockerd in {@code dir} that also listens on {@code tcp://127.0.0.1:port} with
   * {@code --tlsverify} and {@code tls}'s server certificate; clients need a certificate signed
   * by {@code tls.ca()}.
   */
  public static DockerDaemon startTls(Path dir, TlsFiles tls, int port) {
    return start(dir, List.of(), false, null, List.of("-H", "tcp://127.0.0.1:" + port,
        "--tlsverify", "--tlscacert", tls.ca().toString(), "--tlscert",
        tls.serverCert().toString(), "--tlskey", tls.serverKey().toString()));
  }

  private static DockerDaemon start(Path dir, List<String> launcher, boolean bridge,
      String group, List<String> extraArgs) {
    Path dockerd = Prerequisites.require("docker.io", "/usr/sbin/dockerd", "/usr/bin/dockerd");
    Path cli = Prerequisites.require("docker.io", "/usr/bin/docker");
    Prerequisites.require("runc", "/usr/sbin/runc", "/usr/bin/runc");
    Prerequisites.require("busybox-static", "/bin/busybox", "/usr/bin/busybox");
    if (!Sshd.isRoot()) {
      throw new IllegalStateException("the lab's dockerd needs root (it mounts overlays and "
          + "starts containers); run the tests as root, e.g. sudo scripts/test.sh");
    }
    if (bridge) {
      Prerequisites.require("iptables", "/usr/sbin/iptables");
    }
    DockerDaemon d = new DockerDaemon(dir, cli, launcher, bridge, group, extraArgs);
    try {
      Files.createDirectories(dir);
      d.launch(dockerd);
      d.importBusybox(BUSYBOX, 0);
    } catch (IOException | RuntimeException e) {
      d.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return d;
  }

  private void launch(Path dockerd) throws IOException {
    Path config = dir.resolve("daemon.json");
    Files.writeString(config, "{}\n");
    Path logFile = dir.resolve("dockerd.log");
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(dockerd.toString(), "-H", "unix://" + socket,
        "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("x").toString(),
        "--pidfile", dir.resolve("docker.pid").toString(), "--config-file", config.toString(),
        "--ip6tables=false", "--shutdown-timeout=3", "--log-level=warn"));
    if (!bridge) {
      command.addAll(List.of("--iptables=false", "--bridge=none"));
    }
    // without --group, dockerd gives the socket to a group named "docker" if one exists
    command.addAll(List.of("--group", group != null ? group : "root"));
    command.addAll(extraArgs);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
            logFile.toFile())).start();
    DockerApi.await(process, socket, logFile, START_DEADLINE, "dockerd");
    log.info("dockerd pid {} on {}", process.pid(), socket);
  }

  /** The docker CLI against this daemon, as a quoted shell command prefix. */
  String cliCommand() {
    return "'" + dockerCli + "' -H 'unix://" + socket + "'";
  }

  /** Runs the docker CLI against this daemon. */
  public String cli(Duration deadline, String... args) {
    List<String> cmd = new ArrayList<>(List.of(dockerCli.toString(), "-H",
        "unix://" + socket));
    cmd.addAll(List.of(args));
    return LabProcess.run(deadline, cmd);
  }

  /** Fills {@code root} with a rootfs: Debian's static busybox, its applets, passwd, group. */
  static void busyboxRootfs(Path root) throws IOException {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("tmp"));
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n"
        + "nobody:x:65534:65534:nobody:/:/bin/sh\n");
    Files.writeString(root.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    Path busybox = Path.of(Files.exists(Path.of("/bin/busybox")) ? "/bin/busybox"
        : "/usr/bin/busybox");
    Files.copy(busybox, bin.resolve("busybox"));
    for (String applet : new String[] {"sh", "echo", "cat", "wc", "sleep", "ls", "sha256sum",
        "head", "dd", "true", "false", "env", "pwd", "id", "printf", "tr", "stty", "kill",
        "seq", "mkdir", "rm", "grep", "test", "["}) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
  }

  /**
   * Builds an image from a rootfs holding {@code /bin/busybox} and its applets, plus an
   * optional extra file at {@code /big.bin}.
   */
  private void importBusybox(String tag, int extraBytes) throws IOException {
    Path root = Files.createDirectories(dir.resolve("rootfs-" + tag.replaceAll("[^a-z0-9]", "")));
    try {
      busyboxRootfs(root);
      if (extraBytes > 0) {
        MessageDigest md = FarEnd.sha256();
        // BIG's bytes are fixed (its digest is checked); other images get bytes of their own,
        // so that no two share a layer
        SplittableRandom random = new SplittableRandom(tag.equals(BIG) ? 42 : tag.hashCode()
            ^ System.nanoTime());
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(root.resolve("big.bin"))) {
          for (int i = 0; i < extraBytes / chunk.length; i++) {
            random.nextBytes(chunk);
            out.write(chunk);
            md.update(chunk);
          }
        }
        if (tag.equals(BIG)) {
          bigSha256 = HexFormat.of().formatHex(md.digest());
        }
      }
      LabProcess.run(Duration.ofMinutes(3), List.of("sh", "-c", "tar -C '" + root
          + "' -c . | '" + dockerCli + "' -H 'unix://" + socket + "' import -c "
          + "'CMD [\"/bin/sh\"]' - " + tag));
    } finally {
      LabProcess.deleteTree(root);
    }
  }

  /** Builds (once) and returns {@link #BIG}: busybox plus 110 MiB at /big.bin. */
  public synchronized String bigImage() {
    if (bigSha256 == null) {
      try {
        importBusybox(BIG, BIG_BYTES);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return BIG;
  }

  /**
   * Builds {@code tag}: busybox plus {@code megabytes} MiB of random bytes at /big.bin, one
   * layer of its own (nothing shared with {@link #BUSYBOX}), e.g. for pushing to a registry.
   */
  void buildImage(String tag, int megabytes) {
    try {
      importBusybox(tag, megabytes << 20);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An image with no shell: {@code /bin/busybox} alone, no applet links, no /bin/sh. */
  public static final String NO_SHELL = "sshc-lab/no-shell:1";
  private boolean noShellBuilt;

  /** Builds (once) and returns {@link #NO_SHELL}. */
  public synchronized String noShellImage() {
    if (!noShellBuilt) {
      Path root = dir.resolve("rootfs-noshell");
      try {
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("tmp"));
        Files.copy(Prerequisites.require("busybox-static", "/bin/busybox", "/usr/bin/busybox"),
            root.resolve("bin/busybox"));
        LabProcess.run(Duration.ofMinutes(3), List.of("sh", "-c", "tar -C '" + root
            + "' -c . | '" + dockerCli + "' -H 'unix://" + socket + "' import -c "
            + "'CMD [\"/bin/busybox\", \"sleep\", \"3600\"]' - " + NO_SHELL));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        LabProcess.deleteTree(root);
      }
      noShellBuilt = true;
    }
    return NO_SHELL;
  }

  /** The lab's image with an sftp server: busybox plus Debian's sftp-server and its libraries. */
  public static final String SFTP = "sshc-lab/sftp:1";
  private boolean sftpBuilt;

  /**
   * Builds (once) and returns {@link #SFTP}: the busybox rootfs plus Debian's {@code
   * /usr/lib/openssh/sftp-server} (package openssh-sftp-server) and the shared libraries {@code
   * ldd} names for it, at their own paths.
   */
  public synchronized String sftpImage() {
    if (!sftpBuilt) {
      Path server = Prerequisites.require("openssh-sftp-server", "/usr/lib/openssh/sftp-server");
      Path root = dir.resolve("rootfs-sftp");
      try {
        Files.createDirectories(root);
        busyboxRootfs(root);
        List<Path> files = new ArrayList<>(List.of(server));
        for (String line : LabProcess.run(Duration.ofSeconds(30),
            List.of("ldd", server.toString())).split("\n")) {
          for (String word : line.trim().split("\\s+")) {
            if (word.startsWith("/")) {
              files.add(Path.of(word));
            }
          }
        }
        for (Path f : files) {
          Path target = root.resolve(f.toString().substring(1));
          Files.createDirectories(target.getParent());
          Files.copy(f.toRealPath(), target);
        }
        LabProcess.run(Duration.ofMinutes(3), List.of("sh", "-c", "tar -C '" + root
            + "' -c . | '" + dockerCli + "' -H 'unix://" + socket + "' import -c "
            + "'CMD [\"/bin/sh\"]' - " + SFTP));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        LabProcess.deleteTree(root);
      }
      sftpBuilt = true;
    }
    return SFTP;
  }

  /**
   * The lab's image with a user: the busybox rootfs with every applet, plus {@code alice} (uid
   * 1000, gid 1000, home {@code /home/alice}, hers, shell {@code /bin/sh}; also in group {@code
   * staff}, gid 50) beside root; its {@code USER} is alice. There is no {@code bob}.
   */
  public static final String USERS = "sshc-lab/users:1";
  /**
   * {@link #USERS} with what Ansible's modules need of a managed host: Debian's python3 (this
   * machine's, with its standard library and the libraries it loads, at their own paths) and
   * sftp-server (Ansible copies files with sftp).
   */
  public static final String PYTHON = "sshc-lab/python:1";
  /**
   * {@link #PYTHON} plus what rsync and git need of the far end of an ssh connection: Debian's
   * rsync and git ({@code git-receive-pack} and {@code git-upload-pack} links to it in /usr/bin)
   * and their libraries.
   */
  public static final String TOOLS = "sshc-lab/tools:1";
  private boolean usersBuilt;
  private boolean pythonBuilt;
  private boolean toolsBuilt;

  /** Builds (once) and returns {@link #USERS}. */
  public synchronized String usersImage() {
    if (!usersBuilt) {
      Path root = dir.resolve("rootfs-users");
      try {
        usersRootfs(root);
        importRootfs(root, USERS, "USER alice");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        LabProcess.deleteTree(root);
      }
      usersBuilt = true;
    }
    return USERS;
  }

  /** Builds (once) and returns {@link #PYTHON}; a few seconds (some 40 MB). */
  public synchronized String pythonImage() {
    if (!pythonBuilt) {
      Path python = Prerequisites.require("python3", "/usr/bin/python3");
      Path sftp = Prerequisites.require("openssh-sftp-server", "/usr/lib/openssh/sftp-server");
      Path root = dir.resolve("rootfs-python");
      try {
        pythonRootfs(root, python, sftp, List.of());
        importRootfs(root, PYTHON, "USER alice");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        LabProcess.deleteTree(root);
      }
      pythonBuilt = true;
    }
    return PYTHON;
  }

  /** Builds (once) and returns {@link #TOOLS}; some 50 MB. */
  public synchronized String toolsImage() {
    if (!toolsBuilt) {
      Path python = Prerequisites.require("python3", "/usr/bin/python3");
      Path sftp = Prerequisites.require("openssh-sftp-server", "/usr/lib/openssh/sftp-server");
      Path rsync = Prerequisites.require("rsync", "/usr/bin/rsync");
      Path git = Prerequisites.require("git", "/usr/bin/git");
      Path root = dir.resolve("rootfs-tools");
      try {
        pythonRootfs(root, python, sftp, List.of(rsync, git));
        // what a push and a clone over ssh run: links to git, which acts by the name it has
        for (String pack : new String[] {"git-receive-pack", "git-upload-pack"}) {
          Files.createSymbolicLink(root.resolve("usr/bin").resolve(pack), Path.of("git"));
        }
        importRootfs(root, TOOLS, "USER alice");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        LabProcess.deleteTree(root);
      }
      toolsBuilt = true;
    }
    return TOOLS;
  }

  /**
   * The users rootfs plus {@code python} (its interpreter and standard library), {@code sftp},
   * {@code programs} at their own paths, and the libraries {@code ldd} names for all of them.
   */
  private static void pythonRootfs(Path root, Path python, Path sftp, List<Path> programs)
      throws IOException {
    usersRootfs(root);
    // /usr/bin/python3 -> python3.N: the interpreter finds its library by its own path
    Path interpreter = python.toRealPath();
    String version = interpreter.getFileName().toString();
    Path lib = Path.of("/usr/lib", version);
    List<Path> loaded = new ArrayList<>(List.of(interpreter, sftp));
    loaded.addAll(programs);
    for (Path program : programs) {
      copyInto(root, program);
    }
    copyInto(root, interpreter);
    Files.createSymbolicLink(root.resolve("usr/bin/python3"), Path.of(version));
    copyInto(root, sftp);
    try (Stream<Path> files = Files.walk(lib)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String top = lib.relativize(f).getNameCount() > 0
            ? lib.relativize(f).getName(0).toString() : "";
        // its tests, IDE, Tk, and build files: some 30 MB no module of Ansible's imports
        if (top.startsWith("config-") || Set.of("test", "idlelib", "tkinter",
            "turtledemo", "ensurepip", "lib2to3", "pydoc_data").contains(top)
            || !Files.isRegularFile(f)) {
          continue; // a dangling link (Debian's sitecustomize.py in /etc) too
        }
        copyInto(root, f);
        if (f.toString().endsWith(".so")) {
          loaded.add(f);
        }
      }
    }
    for (Path so : loaded) {
      for (String line : LabProcess.run(Duration.ofSeconds(30),
          List.of("ldd", so.toString())).split("\n")) {
        for (String word : line.trim().split("\\s+")) {
          if (word.startsWith("/") && !Files.exists(root.resolve(word.substring(1)))) {
            copyInto(root, Path.of(word));
          }
        }
      }
    }
  }

  /** The busybox rootfs with every applet, plus alice (see {@link #USERS}). */
  private static void usersRootfs(Path root) throws IOException {
    Files.createDirectories(root);
    busyboxRootfs(root);
    Path busybox = Prerequisites.require("busybox-static", "/bin/busybox", "/usr/bin/busybox");
    for (String applet : LabProcess.run(Duration.ofSeconds(30),
        List.of(busybox.toString(), "--list")).split("\n")) {
      Path link = root.resolve("bin").resolve(applet.strip());
      if (!applet.isBlank() && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, Path.of("busybox"));
      }
    }
    Files.writeString(root.resolve("etc/passwd"), "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n",
        StandardOpenOption.APPEND);
    Files.writeString(root.resolve("etc/group"), "alice:x:1000:\nstaff:x:50:alice\n",
        StandardOpenOption.APPEND);
    Files.createDirectories(root.resolve("root"));
    Path home = Files.createDirectories(root.resolve("home/alice"));
    Files.setAttribute(home, "unix:uid", 1000); // tar keeps the numbers, docker import too
    Files.setAttribute(home, "unix:gid", 1000);
  }

  /** Copies {@code file} (its target, if a link) into {@code root} at its own path. */
  private static void copyInto(Path root, Path file) throws IOException {
    Path target = root.resolve(file.toString().substring(1));
    Files.createDirectories(target.getParent());
    Files.copy(file.toRealPath(), target, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.COPY_ATTRIBUTES);
  }

  /** Imports {@code root} as {@code tag}, CMD /bin/sh, plus Dockerfile lines {@code changes}. */
  private void importRootfs(Path root, String tag, String... changes) {
    StringBuilder c = new StringBuilder(" -c 'CMD [\"/bin/sh\"]'");
    for (String change : changes) {
      c.append(" -c '").append(change).append("'");
    }
    LabProcess.run(Duration.ofMinutes(3), List.of("sh", "-c", "tar -C '" + root
        + "' -c . | '" + dockerCli + "' -H 'unix://" + socket + "' import" + c + " - " + tag));
  }

  /** Lowercase hex SHA-256 of /big.bin in {@link #BIG}. */
  public synchronized String bigSha256() {
    bigImage();
    return bigSha256;
  }

  public Path socket() {
    return socket;
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Stops dockerd (its containers stop with it). */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Starts dockerd again on the same socket and data (images are kept). */
  public void restart() {
    stop();
    try {
      launch(Prerequisites.require("docker.io", "/usr/sbin/dockerd", "/usr/bin/dockerd"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stop(); // dockerd stops its containers and its containerd on the way out
    LabProcess.killProcessesUnder(dir); // shims of a daemon that died hard
    LabProcess.deleteTree(dir);
  }
}
