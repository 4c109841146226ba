package io.github.sshcontainer.cli;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.PublishedPorts;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tunnel", mixinStandardHelpOptions = true,
    description = {"Open a tunnel to a remote socket and print the variable to use it.",
        "Without a command it runs until SIGINT/SIGTERM, or until stdin closes when stdin is",
        "a pipe (stdin at /dev/null, a file or a terminal never ends it); with '-- COMMAND…'",
        "it runs the command with the variable set and returns its exit code."})
final class TunnelCommand implements Callable<Integer> {
  @Mixin
  SshOptions ssh;

  @Parameters(arity = "0..*", paramLabel = "DEST [-- COMMAND…]", description = "ssh://user@host"
      + "[:port][/socket], user@host, or an ssh config alias; DOCKER_HOST=ssh://… when "
      + "omitted. After '--': a command to run with the variable set.")
  List<String> positional = new ArrayList<>();

  @Option(names = "--remote-socket", paramLabel = "PATH",
      description = "Remote socket (default: Docker's, discovered: remote DOCKER_HOST, rootless, system, Podman).")
  String remoteSocket;

  @Option(names = "--local-socket", paramLabel = "PATH",
      description = "Local socket path (default: private directory under /tmp).")
  Path localSocket;

  @Option(names = "-i", paramLabel = "KEY", description = "Private key file.")
  Path identityShort;

  @Option(names = "--tcp", description = "Listen on 127.0.0.1 at a free port instead.")
  boolean tcp;

  @Option(names = "--print-env", description = "Print 'export VAR=…' for eval.")
  boolean printEnv;

  @Option(names = "--publish-ports", description = {"Make every published TCP port of the "
      + "remote host's running containers reachable at 127.0.0.1 with the same number (another"
      + " free one when that is taken), following containers as they start and stop; each "
      + "forward is logged to stderr."})
  boolean publishPorts;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    List<String> args = new ArrayList<>(positional);
    List<String> command = List.of();
    int dashes = spec.commandLine().getParseResult().originalArgs().indexOf("--");
    if (dashes >= 0) {
      int afterDashes = spec.commandLine().getParseResult().originalArgs().size() - dashes - 1;
      command = new ArrayList<>(args.subList(args.size() - afterDashes, args.size()));
      args = new ArrayList<>(args.subList(0, args.size() - afterDashes));
    }
    if (args.size() > 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "expected at most one DEST, got " + args + " (put a command after '--')");
    }
    TunnelOptions.Builder b = ssh.builder(args.isEmpty() ? null : args.get(0), identityShort);
    if (remoteSocket != null) {
      b.remoteSocket(remoteSocket);
    }
    if (localSocket != null) {
      b.localSocket(localSocket);
    }
    b.localTcp(tcp);
    // no --remote-socket: Docker's socket, discovered as the SDK does
    PublishedPorts published = null;
    DockerClient publishClient = null;
    try (SocketTunnel tunnel = SshDocker.openTunnel(b.build())) {
      if (publishPorts) {
        publishClient = SshDocker.connect(tunnel);
        published = PublishedPorts.follow(publishClient, tunnel);
      }
      String variable = variable(tunnel);
      System.out.println((printEnv ? "export " : "") + variable);
      System.out.flush();
      if (!command.isEmpty()) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        String[] kv = variable.split("=", 2);
        pb.environment().put(kv[0], kv[1]);
        Process p = pb.start();
        return p.waitFor();
      }
      runUntilEnded();
      return 0;
    } finally {
      if (published != null) {
        published.close();
      }
      if (publishClient != null) {
        publishClient.close();
      }
    }
  }

  /**
   * Waits until SIGINT/SIGTERM (the shutdown hook closes the tunnel), or until stdin closes when
   * stdin is a pipe or socket.
   */
  static void runUntilEnded() throws InterruptedException {
    runUntilEnded(new CountDownLatch(1));
  }

  /** As {@link #runUntilEnded()}, ending too when {@code done} is counted down. */
  static void runUntilEnded(CountDownLatch done) throws InterruptedException {
    if (!stdinIsPipe()) {
      // stdin at /dev/null (nohup, systemd, CI steps, `&`), a file or a terminal: run until
      // SIGINT/SIGTERM; the shutdown hook closes the tunnel
      done.await();
      return;
    }
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // keep reading until stdin closes
        }
      } catch (IOException ignored) {
        // closed
      }
      done.countDown();
    }, "ssh-container-cli-stdin");
    stdin.setDaemon(true);
    stdin.start();
    done.await();
  }

  /**
   * True when stdin is a pipe or a socket: a parent holds its other end on purpose, and closing
   * it (or dying) ends the tunnel. /dev/null, a file or a terminal never do.
   */
  static boolean stdinIsPipe() {
    try {
      int mode = (Integer) Files.getAttribute(Path.of("/dev/fd/0"),
          "unix:mode");
      int type = mode & 0170000;
      return type == 0010000 || type == 0140000; // S_IFIFO, S_IFSOCK
    } catch (IOException | RuntimeException e) {
      return false; // cannot tell: keep running until a signal, never exit early
    }
  }

  static String variable(SocketTunnel tunnel) {
    if (tunnel.localSocket().isEmpty()) {
      return "DOCKER_HOST=" + tunnel.uri();
    }
    if (tunnel.remoteSocket().contains("containerd")) {
      return "CONTAINERD_ADDRESS=" + tunnel.localSocket().get();
    }
    return "DOCKER_HOST=" + tunnel.uri();
  }
}
