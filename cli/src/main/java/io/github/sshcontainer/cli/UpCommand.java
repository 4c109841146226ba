package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Keep a tunnel to a remote Docker (or containerd) open in the background, "
        + "with a Docker context NAME pointing at it.",
        "Returns once the daemon answers through it. The socket, lock, log and state live in "
            + "$SSH_CONTAINER_STATE_DIR, else $XDG_RUNTIME_DIR/ssh-container, else "
            + "~/.ssh-container; the context goes to $DOCKER_CONFIG or ~/.docker. A NAME that "
            + "is up already is left as it is. Stop it with 'down NAME'."})
final class UpCommand implements Callable<Integer> {
  private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
  private static final Duration STATE_EVERY = Duration.ofSeconds(2);

  @Mixin
  SshOptions ssh;

  @Parameters(index = "0", paramLabel = "NAME", description = "Name of the tunnel and context.")
  String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "DEST", description = "ssh://user@host"
      + "[:port][/socket], user@host, or an ssh config alias; DOCKER_HOST=ssh://… when omitted.")
  String dest;

  @Option(names = "--remote-socket", paramLabel = "PATH",
      description = "Remote socket (default: Docker's, discovered; with --containerd, "
          + SshContainerd.CONTAINERD_SOCKET + ").")
  String remoteSocket;

  @Option(names = "--containerd", description = "Keep containerd's socket open instead (for "
      + "'ctr --address' and the SDK); no Docker context is written.")
  boolean containerd;

  @Option(names = "--use", description = "Make the Docker context the current one.")
  boolean use;

  @Option(names = "--foreground", description = "Run in the foreground, as a service manager "
      + "wants (systemd's Type=simple): it ends on SIGTERM.")
  boolean foreground;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    KeptTunnels.checkName(name);
    KeptTunnels kept = KeptTunnels.fromEnvironment();
    kept.ensureDir();
    return foreground ? serve(kept) : start(kept);
  }

  /** Starts the background copy of this command and waits until it answers. */
  private int start(KeptTunnels kept) throws Exception {
    if (kept.running(name)) {
      alreadyUp(kept);
      return 0;
    }
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid"); // its own session: no terminal, no SIGHUP when the shell goes
    }
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.add("-cp");
    List<String> cp = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      cp.add(Path.of(entry).toAbsolutePath().toString());
    }
    cmd.add(String.join(File.pathSeparator, cp));
    cmd.add(Main.class.getName());
    List<String> args = new ArrayList<>(Main.arguments);
    args.add(args.indexOf("up") + 1, "--foreground");
    cmd.addAll(args);
    Path log = kept.log(name);
    Files.writeString(log, "", StandardCharsets.UTF_8); // this run's log only
    Process child = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true).start();
    long end = System.nanoTime() + READY_DEADLINE.toNanos();
    while (System.nanoTime() < end) {
      // never the lock here: taking it, even for a moment, could make the child give up
      Optional<ObjectNode> state = kept.state(name);
      if (state.isPresent() && "up".equals(state.get().path("state").asText())
          && ProcessHandle.of(state.get().path("pid").asLong()).map(ProcessHandle::isAlive)
              .orElse(false) && ready(state.get())) {
        printUp(state.get());
        return 0;
      }
      if (!child.isAlive()) {
        String why = lastError(log);
        if (why != null || child.exitValue() != 0) {
          spec.commandLine().getErr().println("ssh-container: error: " + (why != null ? why
              : name + " did not start (exit " + child.exitValue() + "); see " + log));
          return 1;
        }
        // exit 0: another 'up' of the same NAME won the lock; wait for it to answer
      }
      Thread.sleep(100);
    }
    child.toHandle().descendants().forEach(ProcessHandle::destroy);
    child.destroy();
    spec.commandLine().getErr().println("ssh-container: error: " + name + " did not answer "
        + "within " + READY_DEADLINE.toSeconds() + " s; see " + log);
    return 1;
  }

  private static boolean ready(ObjectNode state) {
    Path socket = Path.of(state.path("socket").asText());
    return "containerd".equals(state.path("kind").asText()) ? Files.exists(socket)
        : KeptTunnels.dockerPing(socket, 5000);
  }

  private static String lastError(Path log) throws IOException {
    String found = null;
    for (String line : Files.readAllLines(log)) {
      if (line.startsWith("ssh-container: error: ")) {
        found = line.substring("ssh-container: error: ".length());
      }
    }
    return found;
  }

  private void alreadyUp(KeptTunnels kept) {
    Optional<ObjectNode> state = kept.state(name);
    System.out.println(name + " is up already (pid " + state.map(s -> s.path("pid").asText())
        .orElse("?") + "): unix://" + kept.socket(name));
  }

  private void printUp(ObjectNode state) {
    System.out.println(name + " is up: unix://" + state.path("socket").asText() + " -> "
        + state.path("destination").asText() + ":" + state.path("remoteSocket").asText());
    if (!containerd) {
      System.out.println("docker context: " + name + (use ? " (current)" : "")
          + "   e.g. docker --context " + name + " ps");
    } else {
      System.out.println("e.g. ctr --address " + state.path("socket").asText() + " version");
    }
  }

  /** The tunnel itself: holds the lock until it ends. */
  private int serve(KeptTunnels kept) throws Exception {
    Optional<FileLock> lock = kept.tryLock(name);
    for (int i = 0; i < 20 && lock.isEmpty() && !kept.state(name).map(s -> ProcessHandle.of(
        s.path("pid").asLong()).map(ProcessHandle::isAlive).orElse(false)).orElse(false); i++) {
      Thread.sleep(100); // 'ls' or 'down' may hold it for a moment to look
      lock = kept.tryLock(name);
    }
    if (lock.isEmpty()) {
      alreadyUp(kept);
      return 0;
    }
    boolean createdBefore = kept.state(name).map(s -> s.path("contextCreated")
        .asBoolean(false)).orElse(false);
    TunnelOptions.Builder b = ssh.builder(dest, null).localSocket(kept.socket(name));
    if (remoteSocket != null) {
      b.remoteSocket(remoteSocket);
    } else if (containerd) {
      b.remoteSocket(SshContainerd.CONTAINERD_SOCKET);
    }
    SocketTunnel tunnel = containerd ? SocketTunnel.open(b.build())
        : SshDocker.openTunnel(b.build());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      tunnel.close(); // removes the socket
      try {
        Files.deleteIfExists(kept.stateFile(name));
        Files.deleteIfExists(kept.lockFile(name));
      } catch (IOException ignored) {
        // a later up recovers
      }
    }, "ssh-container-up-stop"));
    boolean contextCreated = false;
    if (!containerd) {
      SshDocker.connect(tunnel).close(); // pings until the daemon answers; keeps the tunnel
      contextCreated = createdBefore || !kept.contextExists(name);
      kept.writeContext(name, "ssh-container up: " + tunnel.remote() + ":"
          + tunnel.remoteSocket(), kept.socket(name));
      if (use) {
        kept.setCurrentContext(name);
      }
    }
    ObjectNode state = KeptTunnels.JSON.createObjectNode();
    state.put("name", name);
    state.put("pid", ProcessHandle.current().pid());
    state.put("kind", containerd ? "containerd" : "docker");
    state.put("destination", tunnel.remote());
    state.put("remoteSocket", tunnel.remoteSocket());
    state.put("socket", kept.socket(name).toString());
    state.put("started", System.currentTimeMillis());
    state.put("contextCreated", contextCreated);
    state.put("state", "up");
    System.out.println(name + " up: unix://" + kept.socket(name) + " -> " + tunnel.remote() + ":"
        + tunnel.remoteSocket());
    while (tunnel.isOpen()) {
      state.put("connected", tunnel.isConnected());
      state.put("connections", tunnel.activeConnections());
      state.put("reconnects", tunnel.reconnects());
      kept.writeState(name, state);
      Thread.sleep(STATE_EVERY.toMillis());
    }
    return 0;
  }
}
