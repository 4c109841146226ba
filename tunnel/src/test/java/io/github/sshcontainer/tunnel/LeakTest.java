package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Open/close cycles leave nothing behind: threads, file descriptors, socket files, dirs. */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class LeakTest {

  static long tunnelDirs() throws IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("ssh-container-")).count();
    }
  }

  static long tunnelThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("ssh-container-")).count();
  }

  @Test
  void openCloseCyclesLeakNothing() throws Exception {
    int cycles = Scale.of(50, 1_000);
    TunnelOptions o = options(lab().echo().socket()).build();
    // one cycle first, so that lazily created JVM and JSch resources exist in the baseline
    cycle(o);
    Thread.sleep(200);
    long fds0 = io.github.sshcontainer.lab.Lab.openFileDescriptors();
    long dirs0 = tunnelDirs();
    for (int i = 0; i < cycles; i++) {
      cycle(o);
    }
    Thread.sleep(200);
    long fds = io.github.sshcontainer.lab.Lab.openFileDescriptors();
    System.out.printf("FIGURES leak: %d open/close cycles: fds %d -> %d, tunnel dirs %d -> %d,"
        + " tunnel threads %d%n", cycles, fds0, fds, dirs0, tunnelDirs(), tunnelThreads());
    assertEquals(0, tunnelThreads(), "no tunnel thread outlives close()");
    assertEquals(dirs0, tunnelDirs(), "no socket directory left");
    assertTrue(fds <= fds0 + 2, "file descriptors grew from " + fds0 + " to " + fds);
  }

  private static void cycle(TunnelOptions o) throws IOException {
    try (SocketTunnel t = SocketTunnel.open(o);
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {5}));
      assertEquals(5, readExactly(c, 1).get());
    }
  }
}
