package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.SourceBlock;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/** The measurements, identical for every path under test. */
final class Probes {
  static final int MESSAGE = 64;

  private Probes() {}

  /** Round trips: percentiles, and the CPU the process in the middle spent per sample. */
  record Latency(double p50Micros, double p99Micros, int samples, double cpuMicrosPerOp) {}

  /** A throughput or rate, and the CPU the process in the middle spent per unit of work. */
  record Work(double value, double cpuNanos, double units) {
    double cpuPerUnit() {
      return cpuNanos / units;
    }
  }

  static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  static void readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        throw new IOException("unexpected EOF");
      }
    }
  }

  private static void roundTrip(SocketChannel c, ByteBuffer out, ByteBuffer in)
      throws IOException {
    out.clear();
    writeFully(c, out);
    in.clear();
    readFully(c, in);
  }

  /** Small request, small reply, over one kept-alive connection to the echo server. */
  static Latency keepAlive(SocketAddress echo, int warmup, int samples, CpuClock cpu)
      throws IOException {
    long[] t = new long[samples];
    long cpu0;
    ByteBuffer out = ByteBuffer.allocate(MESSAGE);
    ByteBuffer in = ByteBuffer.allocate(MESSAGE);
    try (SocketChannel c = SocketChannel.open(echo)) {
      for (int i = 0; i < warmup; i++) {
        roundTrip(c, out, in);
      }
      cpu0 = cpu.nanos();
      for (int i = 0; i < samples; i++) {
        long s = System.nanoTime();
        roundTrip(c, out, in);
        t[i] = System.nanoTime() - s;
      }
    }
    return summarize(t, cpu.nanos() - cpu0);
  }

  /** Connect, one round trip, close: what a client without a pool pays per request. */
  static Latency fresh(SocketAddress echo, int warmup, int samples, long pauseMillis,
      CpuClock cpu) throws IOException, InterruptedException {
    long[] t = new long[samples];
    long cpu0 = 0;
    ByteBuffer out = ByteBuffer.allocate(MESSAGE);
    ByteBuffer in = ByteBuffer.allocate(MESSAGE);
    for (int i = -warmup; i < samples; i++) {
      if (i == 0) {
        cpu0 = cpu.nanos();
      }
      long s = System.nanoTime();
      try (SocketChannel c = SocketChannel.open(echo)) {
        roundTrip(c, out, in);
      }
      if (i >= 0) {
        t[i] = System.nanoTime() - s;
      }
      if (pauseMillis > 0) {
        Thread.sleep(pauseMillis);
      }
    }
    return summarize(t, cpu.nanos() - cpu0);
  }

  /** Remote to local: asks the SOURCE server for {@code bytes}; returns MB/s (10^6 B/s). */
  static Work download(SocketAddress source, long bytes, CpuClock cpu) throws IOException {
    try (SocketChannel c = SocketChannel.open(source)) {
      long cpu0 = cpu.nanos();
      long start = System.nanoTime();
      writeFully(c, ByteBuffer.allocate(8).putLong(bytes).flip());
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      long got = 0;
      int n;
      while ((n = c.read(buf)) >= 0) {
        got += n;
        buf.clear();
      }
      long elapsed = System.nanoTime() - start;
      long used = cpu.nanos() - cpu0;
      if (got != bytes) {
        throw new IOException("got " + got + " of " + bytes + " bytes");
      }
      c.shutdownOutput();
      return new Work(bytes / (elapsed / 1e9) / 1e6, used, bytes);
    }
  }

  /** Local to remote: sends {@code bytes} to the DISCARD server and waits for its count. */
  static Work upload(SocketAddress discard, long bytes, CpuClock cpu) throws IOException {
    ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
    block.put(SourceBlock.block()).flip();
    try (SocketChannel c = SocketChannel.open(discard)) {
      long cpu0 = cpu.nanos();
      long start = System.nanoTime();
      for (long sent = 0; sent < bytes; sent += block.capacity()) {
        block.clear();
        writeFully(c, block);
      }
      c.shutdownOutput();
      ByteBuffer answer = ByteBuffer.allocate(8);
      readFully(c, answer);
      long elapsed = System.nanoTime() - start;
      long used = cpu.nanos() - cpu0;
      long counted = answer.flip().getLong();
      if (counted != bytes) {
        throw new IOException("far end counted " + counted + " of " + bytes);
      }
      return new Work(bytes / (elapsed / 1e9) / 1e6, used, bytes);
    }
  }

  /** Requests per second from {@code clients} connections doing round trips for a while. */
  static Work parallel(SocketAddress echo, int clients, long millis, CpuClock cpu)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      long cpu0 = cpu.nanos();
      long end = System.nanoTime() + millis * 1_000_000;
      long start = System.nanoTime();
      for (int i = 0; i < clients; i++) {
        futures.add(pool.submit(() -> {
          long count = 0;
          ByteBuffer out = ByteBuffer.allocate(MESSAGE);
          ByteBuffer in = ByteBuffer.allocate(MESSAGE);
          try (SocketChannel c = SocketChannel.open(echo)) {
            while (System.nanoTime() < end) {
              roundTrip(c, out, in);
              count++;
            }
          }
          return count;
        }));
      }
      long total = 0;
      for (Future<Long> f : futures) {
        total += f.get(millis + 60_000, TimeUnit.MILLISECONDS);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Work(total / seconds, cpu.nanos() - cpu0, total);
    } finally {
      pool.shutdownNow();
    }
  }

  /** What a stalled reader did to the others on the same path. */
  record Stall(int answered, int pings, double maxMillis, double rssGrowthMiB, boolean identical) {}

  /**
   * One connection asks the MIXED far end for {@code bytes} and reads nothing for a while; during
   * that, {@code pings} fresh echo connections must each answer within {@code deadlineMillis}.
   * Then the stalled one is drained and compared with the far end's pattern. {@code rssKiB}
   * measures the memory of whatever sits in the middle (0 when nothing does).
   */
  static Stall stall(SocketAddress mixed, long bytes, int pings, long deadlineMillis,
      LongSupplier rssKiB) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    long rss0 = rssKiB.getAsLong();
    try (SocketChannel stalled = SocketChannel.open(mixed)) {
      writeFully(stalled, ByteBuffer.allocate(9).put((byte) 'S').putLong(bytes).flip());
      Thread.sleep(1500); // every buffer on the way fills
      int answered = 0;
      long worst = 0;
      for (int i = 0; i < pings; i++) {
        SocketChannel c = SocketChannel.open(mixed);
        long start = System.nanoTime();
        Future<Boolean> f = pool.submit(() -> {
          ByteBuffer out = ByteBuffer.allocate(1 + MESSAGE); // the far end echoes after the 'E'
          out.put(0, (byte) 'E');
          ByteBuffer in = ByteBuffer.allocate(MESSAGE);
          writeFully(c, out);
          c.shutdownOutput();
          readFully(c, in);
          return true;
        });
        try {
          f.get(deadlineMillis, TimeUnit.MILLISECONDS);
          answered++;
        } catch (TimeoutException late) {
          f.cancel(true);
        } finally {
          c.close();
        }
        worst = Math.max(worst, System.nanoTime() - start);
      }
      double growth = (rssKiB.getAsLong() - rss0) / 1024.0;
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      long got = 0;
      int n;
      while ((n = stalled.read(buf)) >= 0) {
        md.update(buf.array(), 0, n);
        got += n;
        buf.clear();
      }
      boolean same = got == bytes
          && Arrays.equals(md.digest(), SourceBlock.sha256(bytes));
      return new Stall(answered, pings, worst / 1e6, growth, same);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Resident memory of a process in KiB, from /proc (0 if it cannot be read). */
  static long rssKiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  private static Latency summarize(long[] nanos, long cpuNanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return new Latency(s[(int) (s.length * 0.50)] / 1e3,
        s[Math.min(s.length - 1, (int) (s.length * 0.99))] / 1e3, s.length,
        cpuNanos / 1e3 / s.length);
  }
}
