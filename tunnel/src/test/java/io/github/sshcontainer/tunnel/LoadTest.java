package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Load through one tunnel, a server allowing one session, and many tunnels in one JVM. */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class LoadTest {
  @TempDir Path tmp;

  @Test
  void sixtyFourClientsManyRequestsZeroErrors() throws Exception {
    int requests = Scale.of(1_000, 10_000);
    AtomicLong errors = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      List<Future<Long>> done = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 64; i++) {
        int client = i;
        done.add(pool.submit(() -> {
          long ok = 0;
          try (SocketChannel c = SocketChannel.open(t.localAddress())) {
            ByteBuffer out = ByteBuffer.allocate(64);
            for (int r = 0; r < requests; r++) {
              out.clear();
              out.putInt(0, client).putInt(4, r);
              writeFully(c, out);
              ByteBuffer in = readExactly(c, 64);
              if (in.getInt(0) == client && in.getInt(4) == r) {
                ok++;
              } else {
                errors.incrementAndGet();
              }
            }
          } catch (Exception e) {
            errors.incrementAndGet();
          }
          return ok;
        }));
      }
      long ok = 0;
      for (Future<Long> f : done) {
        ok += f.get(600, TimeUnit.SECONDS);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("FIGURES load: 64 clients x %d requests: %d ok, %d errors, %.0f req/s%n",
          requests, ok, errors.get(), ok / secs);
      assertEquals(0, errors.get());
      assertEquals(64L * requests, ok);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theCommandFallbackGoesBeyondMaxSessionsOnMoreConnections() throws Exception {
    // exec channels are sessions: with MaxSessions 2 the third is refused on one connection
    try (Sshd limited = lab().startSshd("maxcmd-" + System.nanoTime(), lab().hostKey(),
        List.of("MaxSessions 2", "AllowStreamLocalForwarding no"))) {
      Path kh = tmp.resolve("kh-cmd");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), limited.port()) + "\n");
      try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", limited.port()))
          .socketCommand(p -> "docker --host unix://" + SocketCommand.quote(p)
              + " system dial-stdio").build())) {
        assertEquals(TunnelOptions.Forwarding.COMMAND, t.forwarding());
        List<SocketChannel> open = new ArrayList<>();
        try {
          for (int i = 0; i < 12; i++) {
            SocketChannel c = SocketChannel.open(t.localAddress());
            open.add(c);
            writeFully(c, ByteBuffer.wrap(new byte[] {(byte) i}));
          }
          for (int i = 0; i < 12; i++) {
            assertEquals(i, readExactly(open.get(i), 1).get(), "connection " + i + " works");
          }
        } finally {
          for (SocketChannel c : open) {
            c.close();
          }
        }
      }
      long logins = Files.readAllLines(limited.logFile()).stream()
          .filter(l -> l.contains("Accepted publickey")).count();
      assertTrue(logins >= 6, "12 held connections need 6 SSH connections at 2 sessions each; "
          + "logins: " + logins);
    }
  }

  @Test
  void maxSessionsOneDoesNotLimitForwardedChannels() throws Exception {
    try (Sshd one = lab().startSshd("maxsessions-" + System.nanoTime(), lab().hostKey(),
        List.of("MaxSessions 1"))) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), one.port()) + "\n");
      try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", one.port())).build())) {
        List<SocketChannel> open = new ArrayList<>();
        try {
          for (int i = 0; i < 8; i++) {
            SocketChannel c = SocketChannel.open(t.localAddress());
            open.add(c);
            writeFully(c, ByteBuffer.wrap(new byte[] {(byte) i}));
          }
          for (int i = 0; i < 8; i++) {
            assertEquals(i, readExactly(open.get(i), 1).get(), "channel " + i + " works");
          }
        } finally {
          for (SocketChannel c : open) {
            c.close();
          }
        }
      }
    }
  }

  @Test
  void threadsAndHeapPerTunnel() throws Exception {
    int tunnels = Scale.of(20, 200);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Thread.sleep(3_500); // pump threads of earlier tests end after 3 s idle
    settle();
    int threads0 = tunnelThreads();
    long heap0 = usedHeap(memory);
    List<SocketTunnel> open = new ArrayList<>();
    List<SocketChannel> conns = new ArrayList<>();
    try {
      for (int i = 0; i < tunnels; i++) {
        open.add(SocketTunnel.open(options(lab().echo().socket()).build()));
      }
      settle();
      int threadsIdle = tunnelThreads();
      long heapIdle = usedHeap(memory);
      for (SocketTunnel t : open) {
        SocketChannel c = SocketChannel.open(t.localAddress());
        writeFully(c, ByteBuffer.wrap(new byte[] {7}));
        readExactly(c, 1);
        conns.add(c);
      }
      int threadsActive = tunnelThreads();
      long heapActive = usedHeap(memory);
      double threadsPerIdle = (threadsIdle - threads0) / (double) tunnels;
      double heapPerIdleKiB = (heapIdle - heap0) / 1024.0 / tunnels;
      double threadsPerActive = (threadsActive - threadsIdle) / (double) tunnels;
      double heapPerActiveKiB = (heapActive - heapIdle) / 1024.0 / tunnels;
      System.out.printf("FIGURES scale: %d tunnels: %.2f threads and %.0f KiB heap per idle "
          + "tunnel; %.2f threads and %.0f KiB heap per active connection%n", tunnels,
          threadsPerIdle, heapPerIdleKiB, threadsPerActive, heapPerActiveKiB);
      assertTrue(threadsPerIdle <= 2.0, "threads per idle tunnel: " + threadsPerIdle);
      assertTrue(heapPerIdleKiB <= 1024, "heap per idle tunnel KiB: " + heapPerIdleKiB);
    } finally {
      for (SocketChannel c : conns) {
        c.close();
      }
      for (SocketTunnel t : open) {
        t.close();
      }
    }
  }

  /** Threads the tunnels made (the lab's far ends run in this JVM too and are not counted). */
  private static int tunnelThreads() {
    return (int) Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("ssh-container-")).count();
  }

  private static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
  }

  private static long usedHeap(MemoryMXBean memory) throws InterruptedException {
    settle();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
