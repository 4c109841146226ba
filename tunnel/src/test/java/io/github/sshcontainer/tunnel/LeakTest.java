package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

  /** Tunnel socket directories beside {@code dir} (where this JVM's tunnels make theirs). */
  static long tunnelDirs(Path root) throws IOException {
    try (var s = Files.list(root)) {
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
    TunnelOptions o = options(lab().mixed().socket()).build();
    // one cycle first, so that lazily created JVM and JSch resources exist in the baseline;
    // it also tells where tunnels make their directories, which is what is counted
    Path root = cycle(o, false).getParent();
    Thread.sleep(200);
    long fds0 = io.github.sshcontainer.lab.Lab.openFileDescriptors();
    long dirs0 = tunnelDirs(root);
    for (int i = 0; i < cycles; i++) {
      // every other cycle closes the tunnel under a stalled reader (its writer thread runs)
      cycle(o, i % 2 == 1);
    }
    Thread.sleep(200);
    long fds = io.github.sshcontainer.lab.Lab.openFileDescriptors();
    System.out.printf("FIGURES leak: %d open/close cycles: fds %d -> %d, tunnel dirs in %s "
        + "%d -> %d, tunnel threads %d%n", cycles, fds0, fds, root, dirs0, tunnelDirs(root),
        tunnelThreads());
    assertEquals(0, tunnelThreads(), "no tunnel thread outlives close()");
    assertEquals(dirs0, tunnelDirs(root), "no socket directory left in " + root);
    assertTrue(fds <= fds0 + 2, "file descriptors grew from " + fds0 + " to " + fds);
  }

  /** One tunnel, one echo, optionally a stalled reader at close; returns its socket dir. */
  private static Path cycle(TunnelOptions o, boolean stall) throws Exception {
    Path dir;
    SocketChannel stalled = null;
    try (SocketTunnel t = SocketTunnel.open(o);
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      dir = t.localSocket().orElseThrow().getParent();
      assertTrue(Files.isDirectory(dir), "the tunnel's directory exists while open: " + dir);
      writeFully(c, ByteBuffer.wrap(new byte[] {io.github.sshcontainer.lab.FarEnd.ECHO_REQUEST,
          5}));
      assertEquals(5, readExactly(c, 1).get());
      if (stall) {
        stalled = SocketChannel.open(t.localAddress());
        writeFully(stalled, ByteBuffer.allocate(9)
            .put(io.github.sshcontainer.lab.FarEnd.SOURCE_REQUEST).putLong(64L << 20).flip());
        long end = System.nanoTime() + 5_000_000_000L;
        while (t.queuedBytes() == 0 && System.nanoTime() < end) {
          Thread.sleep(5);
        }
        assertTrue(t.queuedBytes() > 0, "the stalled reader holds bytes at close");
      }
    } finally {
      if (stalled != null) {
        stalled.close();
      }
    }
    assertFalse(Files.exists(dir), "close() removes " + dir);
    return dir;
  }

  /**
   * A tunnel whose process is killed (SIGKILL: no clean-up runs) leaves its private directory;
   * the next tunnel of the same user removes it, and leaves a live tunnel's alone.
   */
  @Test
  void theDirectoryOfAKilledTunnelIsRemovedByTheNext() throws Exception {
    String cp = String.join(java.io.File.pathSeparator, java.util.stream.Stream.of(
        System.getProperty("java.class.path"), System.getProperty("jdk.module.path"),
        Path.of(KilledTunnel.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString()).filter(v -> v != null && !v.isEmpty()).toList());
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-XX:-UsePerfData", "-cp", cp, KilledTunnel.class.getName(),
        lab().destination(), lab().clientKey().toString(), lab().knownHosts().toString(),
        lab().echo().socket().toString()).redirectErrorStream(true).start();
    Path socket;
    try {
      java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
          child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("socket ")) {
        // its log
      }
      assertTrue(line != null, "the child printed its socket");
      socket = Path.of(line.substring("socket ".length()));
      try (SocketTunnel live = SocketTunnel.open(options(lab().echo().socket()).build())) {
        assertTrue(Files.exists(socket), "a live tunnel's directory is left alone");
        child.destroyForcibly(); // kill -9
        assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        assertTrue(Files.exists(socket), "a killed tunnel cleans up nothing itself");
        try (SocketTunnel next = SocketTunnel.open(options(lab().echo().socket()).build())) {
          assertFalse(Files.exists(socket.getParent()), "the next tunnel removed "
              + socket.getParent());
          assertTrue(Files.exists(live.localSocket().orElseThrow()), "and not a live one");
        }
      }
    } finally {
      child.destroyForcibly();
    }
  }
}
