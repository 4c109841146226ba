package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The measurements, identical for every path under test. */
final class Probes {
  static final int MESSAGE = 64;

  private Probes() {}

  record Latency(double p50Micros, double p99Micros, int samples) {}

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
  static Latency keepAlive(SocketAddress echo, int warmup, int samples) throws IOException {
    long[] t = new long[samples];
    ByteBuffer out = ByteBuffer.allocate(MESSAGE);
    ByteBuffer in = ByteBuffer.allocate(MESSAGE);
    try (SocketChannel c = SocketChannel.open(echo)) {
      for (int i = 0; i < warmup; i++) {
        roundTrip(c, out, in);
      }
      for (int i = 0; i < samples; i++) {
        long s = System.nanoTime();
        roundTrip(c, out, in);
        t[i] = System.nanoTime() - s;
      }
    }
    return summarize(t);
  }

  /** Connect, one round trip, close: what a client without a pool pays per request. */
  static Latency fresh(SocketAddress echo, int warmup, int samples, long pauseMillis)
      throws IOException, InterruptedException {
    long[] t = new long[samples];
    ByteBuffer out = ByteBuffer.allocate(MESSAGE);
    ByteBuffer in = ByteBuffer.allocate(MESSAGE);
    for (int i = -warmup; i < samples; i++) {
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
    return summarize(t);
  }

  /** Remote to local: asks the SOURCE server for {@code bytes}; returns MB/s (10^6 B/s). */
  static double download(SocketAddress source, long bytes) throws IOException {
    try (SocketChannel c = SocketChannel.open(source)) {
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
      if (got != bytes) {
        throw new IOException("got " + got + " of " + bytes + " bytes");
      }
      c.shutdownOutput();
      return bytes / (elapsed / 1e9) / 1e6;
    }
  }

  /** Local to remote: sends {@code bytes} to the DISCARD server and waits for its count. */
  static double upload(SocketAddress discard, long bytes) throws IOException {
    ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
    block.put(io.github.sshcontainer.lab.Pattern.block()).flip();
    try (SocketChannel c = SocketChannel.open(discard)) {
      long start = System.nanoTime();
      for (long sent = 0; sent < bytes; sent += block.capacity()) {
        block.clear();
        writeFully(c, block);
      }
      c.shutdownOutput();
      ByteBuffer answer = ByteBuffer.allocate(8);
      readFully(c, answer);
      long elapsed = System.nanoTime() - start;
      long counted = answer.flip().getLong();
      if (counted != bytes) {
        throw new IOException("far end counted " + counted + " of " + bytes);
      }
      return bytes / (elapsed / 1e9) / 1e6;
    }
  }

  /** Requests per second from {@code clients} connections doing round trips for a while. */
  static double parallel(SocketAddress echo, int clients, long millis) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Long>> futures = new ArrayList<>();
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
      return total / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static Latency summarize(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return new Latency(s[(int) (s.length * 0.50)] / 1e3,
        s[Math.min(s.length - 1, (int) (s.length * 0.99))] / 1e3, s.length);
  }
}
