package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.Prerequisites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The anchor: OpenSSH's own {@code ssh -N -L local.sock:remote.sock}, one process. */
final class OpenSshForward implements AutoCloseable {
  private final Process process;
  private final Path dir;

  private OpenSshForward(Process process, Path dir) {
    this.process = process;
    this.dir = dir;
  }

  /**
   * Starts ssh with one {@code -L} per entry (local name to remote path) and waits until every
   * local socket accepts connections.
   */
  static OpenSshForward start(String user, int port, Path key, Path knownHosts,
      Map<String, Path> forwards) throws IOException, InterruptedException {
    List<String> specs = new ArrayList<>();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-bench-ssh-");
    List<SocketAddress> locals = new ArrayList<>();
    for (Map.Entry<String, Path> f : forwards.entrySet()) {
      specs.add(dir.resolve(f.getKey()) + ":" + f.getValue());
      locals.add(UnixDomainSocketAddress.of(dir.resolve(f.getKey())));
    }
    return start(user, port, key, knownHosts, dir, specs, locals);
  }

  /**
   * Starts ssh with {@code -L 127.0.0.1:LOCAL:127.0.0.1:REMOTE} per entry (local port to the
   * remote host's loopback port) and waits until every local port accepts connections.
   */
  static OpenSshForward startTcp(String user, int port, Path key, Path knownHosts,
      Map<Integer, Integer> forwards) throws IOException, InterruptedException {
    List<String> specs = new ArrayList<>();
    List<SocketAddress> locals = new ArrayList<>();
    for (Map.Entry<Integer, Integer> f : forwards.entrySet()) {
      specs.add("127.0.0.1:" + f.getKey() + ":127.0.0.1:" + f.getValue());
      locals.add(new InetSocketAddress("127.0.0.1", f.getKey()));
    }
    return start(user, port, key, knownHosts,
        Files.createTempDirectory(Path.of("/tmp"), "sshc-bench-ssh-"), specs, locals);
  }

  private static OpenSshForward start(String user, int port, Path key, Path knownHosts,
      Path dir, List<String> specs, List<SocketAddress> locals)
      throws IOException, InterruptedException {
    Path ssh = Prerequisites.require("openssh-client", "/usr/bin/ssh");
    List<String> cmd = new ArrayList<>(List.of(ssh.toString(), "-N", "-F", "/dev/null",
        "-p", String.valueOf(port), "-i", key.toString(), "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=" + knownHosts, "-o", "ExitOnForwardFailure=yes",
        "-o", "StreamLocalBindUnlink=yes", "-o", "ControlMaster=no"));
    for (String spec : specs) {
      cmd.add("-L");
      cmd.add(spec);
    }
    cmd.add(user + "@127.0.0.1");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("ssh.log").toFile()).start();
    OpenSshForward fwd = new OpenSshForward(p, dir);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (SocketAddress local : locals) {
      while (true) {
        if (!p.isAlive()) {
          String log = Files.readString(dir.resolve("ssh.log"));
          fwd.close();
          throw new IOException("ssh -L exited: " + log);
        }
        try (SocketChannel c = SocketChannel.open(local)) {
          break;
        } catch (IOException notYet) {
          if (System.nanoTime() > deadline) {
            fwd.close();
            throw new IOException("ssh -L did not listen on " + local + " within 20 s");
          }
          Thread.sleep(20);
        }
      }
    }
    return fwd;
  }

  UnixDomainSocketAddress socket(String name) {
    return UnixDomainSocketAddress.of(dir.resolve(name));
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // temp files only
    }
  }
}
