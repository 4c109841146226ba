package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real OpenSSH {@code sshd} (on 127.0.0.1, unless started in a network namespace) with its own
 * config, host key and authorized keys.
 * Started with {@code -D} as a child of this JVM, stopped by {@link #close()}.
 */
public final class Sshd implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sshd.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(20);

  private final Path dir;
  private final Path binary;
  private final Path config;
  private final int port;
  private final String host;
  private final List<String> launcher;
  private volatile Process process;

  private Sshd(Path dir, Path binary, Path config, int port, String host, List<String> launcher) {
    this.dir = dir;
    this.binary = binary;
    this.config = config;
    this.port = port;
    this.host = host;
    this.launcher = List.copyOf(launcher);
  }

  /**
   * Starts an sshd in {@code dir} (created if needed) on a free port.
   *
   * @param hostKey private host key file to use; generated into {@code dir} when null
   * @param authorizedKeys the {@code AuthorizedKeysFile} for every user
   * @param extraConfig lines appended to the config (a later line does not override an earlier
   *     one in sshd_config, so these only add options not set here)
   */
  public static Sshd start(Path dir, Path hostKey, Path authorizedKeys, List<String> extraConfig) {
    return start(dir, hostKey, authorizedKeys, extraConfig, List.of(), "127.0.0.1", 0);
  }

  /**
   * Starts an sshd as {@link #start(Path, Path, Path, List)} does, through a launcher.
   *
   * @param launcher a command prefix that execs its arguments in another namespace, e.g.
   *     {@code nsenter --net=/run/netns/NAME}; empty to start sshd directly. With a launcher,
   *     readiness is read from sshd's log, since its address may not be reachable from here.
   * @param listenAddress the one address sshd listens on
   * @param port its port; 0 for a free one on this host's loopback
   */
  static Sshd start(Path dir, Path hostKey, Path authorizedKeys, List<String> extraConfig,
      List<String> launcher, String listenAddress, int port) {
    Path binary = Prerequisites.require("openssh-server", "/usr/sbin/sshd");
    try {
      Files.createDirectories(dir);
      if (hostKey == null) {
        hostKey = dir.resolve("ssh_host_ed25519_key");
        Keys.generate(hostKey, "");
      }
      if (isRoot()) {
        // privilege separation directory that systemd normally creates
        Files.createDirectories(Path.of("/run/sshd"));
      }
      if (port == 0) {
        port = FreePort.pick();
      }
      // open to all: every user the lab logs in shares it
      Path home = Files.createDirectories(dir.resolve("home"));
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
      List<String> lines = new ArrayList<>(withLabSessionEnv(extraConfig, home));
      lines.addAll(List.of(
          "Port " + port,
          "ListenAddress " + listenAddress,
          "HostKey " + hostKey,
          "PidFile " + dir.resolve("sshd.pid"),
          "AuthorizedKeysFile " + authorizedKeys,
          "StrictModes no",
          "UsePAM no",
          "PermitRootLogin yes",
          "PasswordAuthentication yes",
          "KbdInteractiveAuthentication no",
          "AllowStreamLocalForwarding yes",
          "AllowTcpForwarding yes",
          "X11Forwarding no",
          "PrintMotd no",
          "MaxStartups 200:30:400",
          "LogLevel VERBOSE"));
      // a Subsystem line in extraConfig replaces the sftp one (sshd refuses duplicates), so
      // "Subsystem none /bin/false" gives a server without sftp, as hardened hosts are
      if (extraConfig.stream().noneMatch(l -> l.startsWith("Subsystem"))) {
        lines.add("Subsystem sftp internal-sftp");
      }
      Path config = dir.resolve("sshd_config");
      Files.write(config, lines, StandardCharsets.UTF_8);
      Sshd sshd = new Sshd(dir, binary, config, port, listenAddress, launcher);
      sshd.launch();
      return sshd;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare sshd in " + dir, e);
    }
  }

  /**
   * {@code extraConfig} with the sessions' environment the lab's own: PATH is {@link
   * Prerequisites#DEBIAN_PATH}, and HOME a directory of this sshd's, so that a session's shell
   * reads none of the login user's start-up files (a development machine's ~/.bashrc ran pyenv,
   * whose lock, left by a session a test killed, hung every later session). Both go in the
   * SetEnv line the config has (sshd takes the first SetEnv only), else in one of their own;
   * a name the line sets already is kept.
   */
  private static List<String> withLabSessionEnv(List<String> extraConfig, Path home) {
    List<String> lines = new ArrayList<>();
    boolean set = false;
    String ours = "PATH=" + Prerequisites.DEBIAN_PATH + " HOME=" + home;
    for (String line : extraConfig) {
      if (!set && line.startsWith("SetEnv ")) {
        set = true;
        if (!line.contains(" PATH=")) {
          line = line + " PATH=" + Prerequisites.DEBIAN_PATH;
        }
        if (!line.contains(" HOME=")) {
          line = line + " HOME=" + home;
        }
      }
      lines.add(line);
    }
    if (!set) {
      lines.add("SetEnv " + ours);
    }
    return lines;
  }

  private void launch() throws IOException {
    Path logFile = dir.resolve("sshd.log");
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(binary.toString(), "-D", "-e", "-f", config.toString()));
    long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("sshd exited with " + process.exitValue() + ":\n"
            + Files.readString(logFile));
      }
      if (!launcher.isEmpty()) {
        if (listening(logFile, logStart)) {
          log.debug("sshd pid {} listening on {}:{}", process.pid(), host, port);
          return;
        }
        sleep(50);
        continue;
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 500);
        log.debug("sshd pid {} listening on 127.0.0.1:{}", process.pid(), port);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    close();
    throw new IllegalStateException("sshd did not listen on port " + port + " within "
        + START_DEADLINE + "; log:\n" + Files.readString(logFile));
  }

  private boolean listening(Path logFile, long from) throws IOException {
    byte[] all = Files.readAllBytes(logFile);
    String text = new String(all, (int) Math.min(from, all.length),
        all.length - (int) Math.min(from, all.length), StandardCharsets.UTF_8);
    return text.contains("Server listening on " + host + " port " + port);
  }

  public int port() {
    return port;
  }

  /** The address it listens on (in its own network namespace when started in one). */
  public String host() {
    return host;
  }

  public Path logFile() {
    return dir.resolve("sshd.log");
  }

  /** The sshd listener's process id. */
  public long pid() {
    return process.pid();
  }

  /**
   * Kills (SIGKILL) the per-connection sshd processes, dropping every SSH session without
   * stopping the listener: the server side of a connection that dies.
   *
   * @return how many processes were killed
   */
  public int killSessions() {
    List<ProcessHandle> children = new ArrayList<>();
    process.toHandle().children().forEach(children::add);
    for (ProcessHandle child : children) {
      child.descendants().forEach(ProcessHandle::destroyForcibly);
      child.destroyForcibly();
    }
    for (ProcessHandle child : children) {
      child.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
    return children.size();
  }

  /** Stops the listener and its sessions, then starts it again on the same port and config. */
  public void restart() {
    stopProcess();
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Stops the listener and every session it forked. The listener is frozen (SIGSTOP) first: a
   * client that reconnects the moment its session dies would otherwise reach the still-running
   * listener, whose new session process, forked after the sessions were listed, would outlive
   * it (and the "stopped" server would go on serving that client).
   */
  private void stopProcess() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    boolean frozen = freeze(p.pid());
    List<ProcessHandle> sessions = new ArrayList<>();
    p.toHandle().descendants().forEach(sessions::add);
    sessions.forEach(ProcessHandle::destroyForcibly);
    try {
      if (frozen) {
        p.destroyForcibly(); // a stopped process acts on SIGKILL only
      } else {
        p.destroy();
      }
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // reaped once the listener is gone: a stopped parent cannot reap its killed children
    for (ProcessHandle s : sessions) {
      s.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
  }

  /** Sends SIGSTOP to {@code pid} (Java has no API for it); false if that failed. */
  private static boolean freeze(long pid) {
    try {
      LabProcess.run(Duration.ofSeconds(10), List.of("sh", "-c", "kill -STOP " + pid));
      return true;
    } catch (RuntimeException e) {
      log.warn("cannot stop sshd pid {} before its sessions: {}", pid, e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    stopProcess();
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
