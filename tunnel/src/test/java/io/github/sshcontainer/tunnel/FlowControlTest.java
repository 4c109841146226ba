package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.tunnelThreads;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.FarEnd;
import io.github.sshcontainer.lab.SourceBlock;
import io.github.sshcontainer.lab.Sshd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Per-connection flow control: a local client that stops reading, or a remote end that stops
 * reading, stalls only its own connection; what it holds is bounded by its window; once it reads
 * again it gets every byte in order.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FlowControlTest {
  private static final long STALLED_BYTES = 256L << 20;
  private static final Duration PING_DEADLINE = Duration.ofSeconds(2);

  private static Path mixed() {
    return lab().mixed().socket();
  }

  /** Opens a connection that asks the far end for {@code n} bytes and reads none of them. */
  private static SocketChannel stalledSource(SocketTunnel t, long n) throws IOException {
    SocketChannel c = SocketChannel.open(t.localAddress());
    ByteBuffer req = ByteBuffer.allocate(9).put(FarEnd.SOURCE_REQUEST).putLong(n).flip();
    writeFully(c, req);
    return c;
  }

  /** One echo round trip on a fresh connection; its latency in microseconds. */
  private static long freshEcho(SocketTunnel t, int i) throws IOException {
    long start = System.nanoTime();
    try (SocketChannel c = SocketChannel.open(t.localAddress())) {
      ByteBuffer out = ByteBuffer.allocate(9).put(FarEnd.ECHO_REQUEST).putLong(i).flip();
      writeFully(c, out);
      c.shutdownOutput();
      ByteBuffer in = readExactly(c, 8);
      assertEquals(i, in.getLong(0), "echo answer");
    }
    return (System.nanoTime() - start) / 1000;
  }

  /** Reads to EOF; the SHA-256 and the count of what was read. */
  private static byte[] drain(SocketChannel c, AtomicLong count) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
    int n;
    while ((n = c.read(buf)) >= 0) {
      md.update(buf.array(), 0, n);
      count.addAndGet(n);
      buf.clear();
    }
    return md.digest();
  }

  /** Pings on fresh connections, each with its own deadline, while something else stalls. */
  private static void pingsAnswered(SocketTunnel t, int count) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      for (int i = 0; i < count; i++) {
        int n = i;
        Future<Long> f = pool.submit(() -> freshEcho(t, n));
        long us = f.get(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(us < PING_DEADLINE.toNanos() / 1000, "ping " + i + " took " + us + " us");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void localReaderThatStopsStallsNobodyAndLaterGetsEveryByte() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(mixed()).build());
        SocketChannel stalled = stalledSource(t, STALLED_BYTES)) {
      // let the far end fill the window and every buffer on the way
      Thread.sleep(1500);
      long held = t.queuedBytes();
      pingsAnswered(t, 20);
      assertTrue(held <= t.options().flowControl().windowSize(),
          "queued " + held + " bytes, more than the window " + t.options().flowControl().windowSize());
      AtomicLong got = new AtomicLong();
      byte[] digest = drain(stalled, got);
      assertEquals(STALLED_BYTES, got.get(), "bytes after the stall");
      assertArrayEquals(SourceBlock.sha256(STALLED_BYTES), digest, "bytes in order after the stall");
      assertEquals(0, t.reconnects());
    }
  }

  @Test
  void remoteEndThatStopsReadingStallsOnlyItsConnection() throws Exception {
    ExecutorService writerPool = Executors.newSingleThreadExecutor();
    try (SocketTunnel t = SocketTunnel.open(options(mixed()).build());
        SocketChannel held = SocketChannel.open(t.localAddress())) {
      writeFully(held, ByteBuffer.wrap(new byte[] {FarEnd.HOLD_REQUEST}));
      AtomicLong written = new AtomicLong();
      Future<?> writing = writerPool.submit(() -> {
        ByteBuffer block = ByteBuffer.wrap(SourceBlock.block());
        try {
          for (int i = 0; i < 256; i++) {
            block.clear();
            while (block.hasRemaining()) {
              written.addAndGet(held.write(block));
            }
          }
        } catch (IOException closed) {
          // the test closes the connection while this writer is blocked
        }
        return null;
      });
      Thread.sleep(1500);
      long stuckAt = written.get();
      assertFalse(writing.isDone(), "a far end that never reads must block the writer");
      pingsAnswered(t, 20);
      assertTrue(written.get() < 256L << 20, "the held connection cannot have sent everything");
      held.close();
      writing.get(10, TimeUnit.SECONDS);
      assertTrue(stuckAt > 0, "the writer sent something before it blocked");
      // the tunnel still works for new connections once the stuck one is gone
      freshEcho(t, 99);
    } finally {
      writerPool.shutdownNow();
    }
  }

  @Test
  void sixtyFourConnectionsOfWhichHalfStall() throws Exception {
    long each = 16L << 20;
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<SocketChannel> stalled = new ArrayList<>();
    try (SocketTunnel t = SocketTunnel.open(options(mixed()).build())) {
      for (int i = 0; i < 32; i++) {
        stalled.add(stalledSource(t, each));
      }
      Thread.sleep(1500);
      long held = t.queuedBytes();
      // 32 live connections, each doing 200 round trips on one connection
      List<Future<Long>> live = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        int client = i;
        live.add(pool.submit(() -> {
          long worst = 0;
          try (SocketChannel c = SocketChannel.open(t.localAddress())) {
            writeFully(c, ByteBuffer.wrap(new byte[] {FarEnd.ECHO_REQUEST}));
            for (int r = 0; r < 200; r++) {
              long start = System.nanoTime();
              writeFully(c, ByteBuffer.allocate(8).putInt(0, client).putInt(4, r));
              ByteBuffer in = readExactly(c, 8);
              assertEquals(client, in.getInt(0));
              assertEquals(r, in.getInt(4));
              worst = Math.max(worst, System.nanoTime() - start);
            }
          }
          return worst / 1_000_000;
        }));
      }
      long worstMs = 0;
      for (Future<Long> f : live) {
        worstMs = Math.max(worstMs, f.get(60, TimeUnit.SECONDS));
      }
      System.out.printf("FIGURES flow: 32 live beside 32 stalled: worst round trip %d ms, "
          + "%d bytes queued for the stalled ones%n", worstMs, held);
      assertTrue(worstMs < PING_DEADLINE.toMillis(), "worst live round trip " + worstMs + " ms");
      assertTrue(held <= 32L * t.options().flowControl().windowSize(), "queued " + held);
      List<Future<byte[]>> drained = new ArrayList<>();
      List<AtomicLong> counts = new ArrayList<>();
      for (SocketChannel c : stalled) {
        AtomicLong n = new AtomicLong();
        counts.add(n);
        drained.add(pool.submit(() -> drain(c, n)));
      }
      byte[] expected = SourceBlock.sha256(each);
      for (int i = 0; i < drained.size(); i++) {
        assertArrayEquals(expected, drained.get(i).get(120, TimeUnit.SECONDS), "stalled #" + i);
        assertEquals(each, counts.get(i).get(), "stalled #" + i + " byte count");
      }
    } finally {
      for (SocketChannel c : stalled) {
        c.close();
      }
      pool.shutdownNow();
    }
  }

  /**
   * The server drops a client that answers none of its keepalives for 10 s; a 60 s stall of one
   * connection must not silence the session.
   */
  @Test
  void sixtySecondStallKeepsTheSessionAlive() throws Exception {
    Duration stall = Duration.ofSeconds(Scale.of(60, 60));
    try (Sshd strict = lab().startSshd("strict-alive", lab().hostKey(),
            List.of("ClientAliveInterval 5", "ClientAliveCountMax 2"));
        SocketTunnel t = SocketTunnel.open(TunnelOptions.builder(
                "ssh://" + lab().user() + "@127.0.0.1:" + strict.port())
            .identityFile(lab().clientKey()).knownHosts(knownHostsFor(strict))
            .noSshConfig().useAgent(false).keepalive(Duration.ofSeconds(5), 3)
            .remoteSocket(mixed().toString()).build());
        SocketChannel stalled = stalledSource(t, STALLED_BYTES)) {
      long end = System.nanoTime() + stall.toNanos();
      int pings = 0;
      while (System.nanoTime() < end) {
        Thread.sleep(5000);
        freshEcho(t, pings++);
      }
      assertEquals(0, t.reconnects(), "the session was lost during the stall");
      AtomicLong got = new AtomicLong();
      assertArrayEquals(SourceBlock.sha256(STALLED_BYTES), drain(stalled, got));
      assertEquals(STALLED_BYTES, got.get());
    }
  }

  private Path knownHostsFor(Sshd sshd) throws IOException {
    Path f = Files.createTempFile("sshc-known", ".txt");
    f.toFile().deleteOnExit();
    Files.writeString(f, io.github.sshcontainer.lab.Keys.knownHostsLine(lab().hostKey(),
        sshd.port()) + "\n");
    return f;
  }

  @Test
  void closeDuringAStallEndsEverything() throws Exception {
    SocketTunnel t = SocketTunnel.open(options(mixed()).build());
    Path socket = t.localSocket().orElseThrow();
    SocketChannel stalled = stalledSource(t, STALLED_BYTES);
    SocketChannel held = SocketChannel.open(t.localAddress());
    writeFully(held, ByteBuffer.wrap(new byte[] {FarEnd.HOLD_REQUEST}));
    Thread.sleep(1000);
    assertTrue(t.queuedBytes() > 0, "the stalled connection should hold bytes");
    long start = System.nanoTime();
    t.close();
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < 6000, "close took " + ms + " ms");
    assertFalse(Files.exists(socket), "socket left: " + socket);
    assertFalse(Files.exists(socket.getParent()), "directory left: " + socket.getParent());
    String id = t.id();
    assertTrue(tunnelThreads().stream().noneMatch(n -> n.contains("-" + id + "-")),
        "threads left: " + tunnelThreads());
    stalled.close();
    held.close();
  }
}
