package io.github.sshcontainer.tunnel;

import io.github.sshcontainer.lab.Lab;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/** Options that reach the lab, and small socket helpers for tests. */
public final class LabTunnels {
  private LabTunnels() {}

  public static Lab lab() {
    return Lab.shared();
  }

  /** Options for the lab's sshd, forwarding to {@code remote}. */
  public static TunnelOptions.Builder options(Path remote) {
    Lab lab = lab();
    return TunnelOptions.builder(lab.destination())
        .identityFile(lab.clientKey())
        .knownHosts(lab.knownHosts())
        .noSshConfig()
        .useAgent(false)
        .connectTimeout(Duration.ofSeconds(10))
        .remoteSocket(remote.toString());
  }

  public static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  /** Reads exactly {@code n} bytes, failing on an early EOF. */
  public static ByteBuffer readExactly(SocketChannel c, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        throw new IOException("EOF after " + b.position() + " of " + n + " bytes");
      }
    }
    return b.flip();
  }

  /** Names of live threads that a tunnel started. */
  public static Set<String> tunnelThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.startsWith("ssh-container-"))
        .collect(java.util.stream.Collectors.toSet());
  }
}
