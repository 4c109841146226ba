package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded fuzz of what the gateway reads before anyone has authenticated: random and mutated
 * identification lines and binary packets over raw TCP, several connections at once, in
 * rounds. After each round a real OpenSSH login still works; at the end no thread, file
 * descriptor, connection or host process is left.
 *
 * <p>Reproducible: the seed is printed; rerun with {@code -Dfuzz.seed=N}. Bounds: {@code
 * -Dfuzz.cases} (default 2000) and {@code -Dfuzz.seconds} (default 120; the fuzzing stops
 * there and the final checks still run).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GatewayFuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 20261206L);
  private static final int CASES = Integer.getInteger("fuzz.cases", 2000);
  private static final long SECONDS = Long.getLong("fuzz.seconds", 120);
  /** Connections at once: under the default per-source cap of unauthenticated ones (10). */
  private static final int THREADS = 8;
  private static final int ROUND = 200;
  /** How long a case reads what the gateway answers before it gives up and closes. */
  private static final int READ_WINDOW_MS = 2000;
  private static final int READ_MAX = 64 * 1024;
  /** A case's socket is closed after this whatever it does (a write the gateway never reads). */
  private static final long CASE_DEADLINE_MS = 10_000;
  /**
   * Fuzz traffic comes from another loopback address than the OpenSSH checks (127.0.0.1), so
   * a gateway that penalizes sources whose connections fail the protocol does not refuse the
   * checks.
   */
  private static final String FUZZ_SOURCE = "127.0.0.3";
  private static final Duration CHECK = Duration.ofSeconds(60);
  private static final byte[] BANNER = "SSH-2.0-fuzz\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  enum Kind {
    GARBAGE_BEFORE_BANNER, LONG_BANNER, MANY_BANNER_LINES, BANNER_WITHOUT_CRLF, NUL_IN_BANNER,
    BAD_PACKET_LENGTH, BAD_PADDING, TRUNCATED_PACKET, MUTATED_KEXINIT, OUT_OF_ORDER,
    RANDOM_MESSAGES, FLIPPED_OPENSSH_PREFIX
  }

  /**
   * One connection's traffic; {@code what}: how it was made, for the report; {@code abandon}:
   * close as soon as it is sent, read nothing.
   */
  record Case(int index, Kind kind, String what, byte[] bytes, boolean abandon) {}

  enum Outcome { SERVER_CLOSED, LEFT_OPEN, ABANDONED, CONNECT_FAILED, SKIPPED }

  @Test
  void randomAndMutatedTrafficBeforeAuthenticationLeavesTheGatewayWorkingAndLeaksNothing()
      throws Exception {
    assertTrue(SECONDS > 0 && SECONDS <= 360, "fuzz.seconds " + SECONDS + " must be in 1..360"
        + " (the test's @Timeout is 600 s, with room for the final checks)");
    assertTrue(CASES > 0, "fuzz.cases " + CASES + " must be positive");
    System.out.printf("GatewayFuzzTest seed %d (rerun with -Dfuzz.seed=%d), up to %d cases, "
        + "%d s%n", SEED, SEED, CASES, SECONDS);
    Random random = new Random(SEED);
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        // the penalties would soon refuse the fuzzing address at once, and the cases would
        // then test only the refusal: off here, so that every case reaches the parser
        o -> o.perSourcePenalties(false, Duration.ofSeconds(15), Duration.ofMinutes(10)))) {
      int port = g.server.port();
      Generator cases = new Generator(random, recordOpenSshPrefix(random));
      ExecutorService clients = Executors.newFixedThreadPool(THREADS, daemon("gateway-fuzz-client"));
      ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1,
          daemon("gateway-fuzz-watchdog"));
      watchdog.setRemoveOnCancelPolicy(true);
      try {
        // warm up: a login and a few parallel connections, so that the baselines hold the
        // threads a used gateway keeps (MINA's I/O pool grows to its size on demand and stays)
        check(g, "warm-up");
        List<Case> warm = new ArrayList<>();
        for (int i = 0; i < 2 * THREADS; i++) {
          warm.add(new Case(-1 - i, Kind.MUTATED_KEXINIT, "valid", cat(BANNER, packet(kexinit(random,
              Generator.kexLists(), false), random)), false));
        }
        run(warm, port, clients, watchdog, Long.MAX_VALUE);
        awaitConnections(g, 0);

        Set<String> threads = LabGateway.threads();
        long fds = openFds();
        Map<Long, String> children = children();

        Map<Kind, int[]> byKind = new EnumMap<>(Kind.class);
        // what the gateway kept open for the whole read window, a few of each kind
        Map<Kind, List<String>> leftOpen = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
          byKind.put(k, new int[Outcome.values().length]);
        }
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(SECONDS);
        int tried = 0;
        int round = 0;
        while (tried < CASES && System.nanoTime() < deadline) {
          round++;
          List<Case> batch = new ArrayList<>();
          for (int i = 0; i < Math.min(ROUND, CASES - tried); i++) {
            batch.add(cases.next(tried + i));
          }
          List<Outcome> outcomes = run(batch, port, clients, watchdog, deadline);
          for (int i = 0; i < batch.size(); i++) {
            Outcome o = outcomes.get(i);
            if (o != Outcome.SKIPPED) {
              tried++;
              byKind.get(batch.get(i).kind())[o.ordinal()]++;
              List<String> open = leftOpen.computeIfAbsent(batch.get(i).kind(),
                  k -> new ArrayList<>());
              if (o == Outcome.LEFT_OPEN && open.size() < 4) {
                open.add("#" + batch.get(i).index() + " " + batch.get(i).what());
              }
            }
            assertTrue(o != Outcome.CONNECT_FAILED, "the gateway stopped accepting at case "
                + batch.get(i).index() + " (" + batch.get(i).kind() + "), seed " + SEED);
          }
          check(g, "round " + round + " (" + tried + " cases, seed " + SEED + ")");
        }
        double took = (System.nanoTime() - t0) / 1e9;
        StringBuilder line = new StringBuilder();
        int closed = 0;
        for (Map.Entry<Kind, int[]> e : byKind.entrySet()) {
          int[] n = e.getValue();
          closed += n[Outcome.SERVER_CLOSED.ordinal()];
          line.append(String.format(" %s=%d(closed %d, open %d, abandoned %d)", e.getKey(),
              n[0] + n[1] + n[2], n[Outcome.SERVER_CLOSED.ordinal()],
              n[Outcome.LEFT_OPEN.ordinal()], n[Outcome.ABANDONED.ordinal()]));
        }
        System.out.printf("FIGURES gateway fuzz: seed %d, %d cases in %d rounds, %d closed by "
            + "the server, %.1f s;%s%n", SEED, tried, round, closed, took, line);
        System.out.println("gateway fuzz: kept open for the read window, for example: "
            + leftOpen);

        clients.shutdown();
        watchdog.shutdown();
        assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS), "fuzz clients ended");
        assertTrue(watchdog.awaitTermination(30, TimeUnit.SECONDS), "watchdog ended");
        awaitConnections(g, 0);
        g.awaitNoContainers("fuzz-check", Duration.ofSeconds(60));
        LabGateway.awaitThreadsBackTo(threads);
        awaitFds(fds);
        awaitNoNewChildren(children);
        System.out.printf("gateway fuzz: afterwards %d file descriptors (%d before), %d gateway "
            + "threads (%d before), %d open connections, children of this JVM %s%n", openFds(),
            fds, LabGateway.threads().size(), threads.size(), g.server.openConnections(),
            children().values());
      } finally {
        clients.shutdownNow();
        watchdog.shutdownNow();
      }
    }
  }

  /** A real OpenSSH login from 127.0.0.1 still gets a session. */
  private static void check(LabGateway g, String when) {
    OpenSshClient.Result r = g.client("fuzz-check").ssh("echo alive", null, CHECK);
    assertEquals("alive\n", r.out(), "OpenSSH login after " + when + ": exit " + r.code()
        + ", stderr " + r.err());
  }

  /** Runs the cases, THREADS at once; those not started by {@code deadline} are skipped. */
  private static List<Outcome> run(List<Case> batch, int port, ExecutorService clients,
      ScheduledThreadPoolExecutor watchdog, long deadline) throws Exception {
    List<Future<Outcome>> futures = new ArrayList<>();
    for (Case c : batch) {
      futures.add(clients.submit(() -> System.nanoTime() < deadline
          ? send(c, port, watchdog) : Outcome.SKIPPED));
    }
    List<Outcome> outcomes = new ArrayList<>();
    for (Future<Outcome> f : futures) {
      // each case ends by its own deadline (connect 5 s, then CASE_DEADLINE_MS at most)
      outcomes.add(f.get(5 * 60, TimeUnit.SECONDS));
    }
    return outcomes;
  }

  /** Connects from FUZZ_SOURCE, sends, reads what comes (bounded), closes. */
  private static Outcome send(Case c, int port, ScheduledThreadPoolExecutor watchdog)
      throws IOException {
    Socket s = new Socket();
    // a blocking write has no timeout: the watchdog closes the socket, which ends it
    ScheduledFuture<?> kill = watchdog.schedule(() -> closeQuietly(s), CASE_DEADLINE_MS,
        TimeUnit.MILLISECONDS);
    try (s) {
      s.bind(new InetSocketAddress(FUZZ_SOURCE, 0));
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      } catch (IOException e) {
        System.out.printf("gateway fuzz: case %d (%s) could not connect: %s%n", c.index(),
            c.kind(), e);
        return Outcome.CONNECT_FAILED;
      }
      try {
        OutputStream out = s.getOutputStream();
        out.write(c.bytes());
        out.flush();
      } catch (IOException closedWhileWriting) {
        return Outcome.SERVER_CLOSED;
      }
      if (c.abandon()) {
        return Outcome.ABANDONED;
      }
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_WINDOW_MS);
      int total = 0;
      while (total < READ_MAX) {
        long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) {
          return Outcome.LEFT_OPEN;
        }
        s.setSoTimeout((int) left);
        try {
          int n = in.read(buf);
          if (n < 0) {
            return Outcome.SERVER_CLOSED;
          }
          total += n;
        } catch (SocketTimeoutException quiet) {
          return Outcome.LEFT_OPEN;
        } catch (IOException reset) {
          return Outcome.SERVER_CLOSED;
        }
      }
      return Outcome.LEFT_OPEN;
    } finally {
      kill.cancel(false);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing to end a stuck write: nothing more to do
    }
  }

  /**
   * What OpenSSH's client sends first (its identification line and KEXINIT), recorded from a
   * real {@code ssh} against a listener here that answers with a server identification line.
   * The KEXINIT cookie is overwritten from the seeded random so a seed reproduces the bytes.
   */
  private byte[] recordOpenSshPrefix(Random random) throws Exception {
    try (ServerSocket listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress("127.0.0.1", 0));
      listener.setSoTimeout(10_000);
      OpenSshClient client = new OpenSshClient(tmp.resolve("no-key"), tmp.resolve("no-hosts"),
          listener.getLocalPort(), "fuzz");
      Process ssh = client.start(client.ssh(List.of(), "true"), tmp.resolve("record.log"));
      try (Socket s = listener.accept()) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int bannerEnd = -1;
        while (true) {
          int b = in.read();
          assertTrue(b >= 0, "ssh sent its banner and KEXINIT: " + got);
          got.write(b);
          byte[] sofar = got.toByteArray();
          if (bannerEnd < 0 && b == '\n') {
            bannerEnd = sofar.length;
          }
          if (bannerEnd > 0 && sofar.length >= bannerEnd + 4) {
            int len = ((sofar[bannerEnd] & 0xff) << 24) | ((sofar[bannerEnd + 1] & 0xff) << 16)
                | ((sofar[bannerEnd + 2] & 0xff) << 8) | (sofar[bannerEnd + 3] & 0xff);
            assertTrue(len > 0 && len < 35000, "a plausible KEXINIT length " + len);
            if (sofar.length == bannerEnd + 4 + len) {
              assertEquals(20, sofar[bannerEnd + 5], "ssh's first packet is a KEXINIT");
              byte[] cookie = new byte[16];
              random.nextBytes(cookie);
              System.arraycopy(cookie, 0, sofar, bannerEnd + 6, 16);
              return sofar;
            }
          }
        }
      } finally {
        ssh.destroy();
        if (!ssh.waitFor(10, TimeUnit.SECONDS)) {
          ssh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** Makes the cases: which kind, and its bytes, from the seeded random only. */
  static final class Generator {
    private final Random r;
    private final byte[] recorded;
    /** How the case being made was made, for the report. */
    private final StringBuilder note = new StringBuilder();

    Generator(Random r, byte[] recorded) {
      this.r = r;
      this.recorded = recorded;
    }

    Case next(int index) {
      Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
      boolean abandon = r.nextInt(8) == 0;
      byte[] bytes = switch (kind) {
        case GARBAGE_BEFORE_BANNER -> garbageBeforeBanner();
        case LONG_BANNER -> longBanner();
        case MANY_BANNER_LINES -> manyBannerLines();
        case BANNER_WITHOUT_CRLF -> bannerWithoutCrlf();
        case NUL_IN_BANNER -> nulInBanner();
        case BAD_PACKET_LENGTH -> badPacketLength();
        case BAD_PADDING -> badPadding();
        case TRUNCATED_PACKET -> truncated();
        case MUTATED_KEXINIT -> mutatedKexinit();
        case OUT_OF_ORDER -> outOfOrder();
        case RANDOM_MESSAGES -> randomMessages();
        case FLIPPED_OPENSSH_PREFIX -> flippedPrefix();
      };
      String what = note.toString();
      note.setLength(0);
      return new Case(index, kind, what, bytes, abandon);
    }

    private byte[] garbageBeforeBanner() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      if (r.nextBoolean()) {
        int n = 1 + r.nextInt(8192);
        note("random", n);
        b.writeBytes(randomBytes(n));
      } else {
        int n = 1 + r.nextInt(50);
        note("lines", n);
        for (int i = 0; i < n; i++) {
          b.writeBytes((printable(r.nextInt(200)) + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
      }
      if (r.nextBoolean()) {
        note("+banner+kexinit");
        b.writeBytes(BANNER);
        b.writeBytes(validKexinitPacket());
      }
      return b.toByteArray();
    }

    private byte[] longBanner() {
      int n = 250 + r.nextInt(r.nextBoolean() ? 300 : 70_000);
      String line = "SSH-2.0-" + "x".repeat(n);
      String end = List.of("\r\n", "\n", "").get(r.nextInt(3));
      note("length", 8 + n, "end", end.length());
      return cat((line + end).getBytes(StandardCharsets.US_ASCII), r.nextBoolean()
          ? validKexinitPacket() : new byte[0]);
    }

    private byte[] manyBannerLines() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int n = 2 + r.nextInt(r.nextBoolean() ? 60 : 5000);
      note("lines", n);
      for (int i = 0; i < n; i++) {
        String line = switch (r.nextInt(3)) {
          case 0 -> "SSH-2.0-fuzz" + i;
          case 1 -> "SSH-1.99-" + printable(r.nextInt(40));
          default -> printable(r.nextInt(120));
        };
        b.writeBytes((line + (r.nextBoolean() ? "\r\n" : "\n"))
            .getBytes(StandardCharsets.UTF_8));
      }
      if (r.nextBoolean()) {
        b.writeBytes(validKexinitPacket());
      }
      return b.toByteArray();
    }

    private byte[] bannerWithoutCrlf() {
      byte[] line = "SSH-2.0-fuzz".getBytes(StandardCharsets.US_ASCII);
      int variant = r.nextInt(4);
      note(List.of("nothing", "CR", "kexinit", "LF+kexinit").get(variant));
      return switch (variant) {
        case 0 -> line;
        case 1 -> cat(line, "\r".getBytes(StandardCharsets.US_ASCII));
        case 2 -> cat(line, validKexinitPacket());
        default -> cat(line, "\n".getBytes(StandardCharsets.US_ASCII), validKexinitPacket());
      };
    }

    private byte[] nulInBanner() {
      byte[] line = BANNER.clone();
      int at = r.nextInt(line.length - 2);
      note("at", at);
      line[at] = 0;
      if (r.nextBoolean()) {
        line = cat(Arrays.copyOf(line, line.length - 2), new byte[r.nextInt(100)],
            "\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      return cat(line, r.nextBoolean() ? validKexinitPacket() : new byte[0]);
    }

    private byte[] badPacketLength() {
      long[] lengths = {0, 1, 4, 0xFFFFFFFFL, 35_000, 256 * 1024, 256 * 1024 + 1, 0x80000000L,
          r.nextInt() & 0xFFFFFFFFL, 5 + r.nextInt(64)};
      long len = lengths[r.nextInt(lengths.length)];
      Wire w = new Wire().raw(BANNER).u32(len);
      int variant = r.nextInt(3);
      note("length", len, List.of("alone", "+bytes", "+body").get(variant));
      switch (variant) {
        case 0 -> { } // the length alone, then nothing
        case 1 -> w.raw(randomBytes(1 + r.nextInt(64)));
        default -> w.u8(r.nextInt(256)).u8(20).raw(randomBytes((int) Math.min(len,
            256 * 1024 + 64)));
      }
      return w.bytes();
    }

    private byte[] badPadding() {
      byte[] payload = r.nextBoolean() ? kexinit(r, kexLists(), false)
          : new Wire().u8(r.nextInt(256)).raw(randomBytes(r.nextInt(64))).bytes();
      int padding = switch (r.nextInt(5)) {
        case 0 -> payload.length + 10 + r.nextInt(200); // more than the packet holds
        case 1 -> r.nextInt(4); // under the minimum of 4
        case 2 -> 4 + r.nextInt(4); // the packet not a multiple of 8
        case 3 -> 255;
        default -> r.nextInt(256);
      };
      long packetLength = r.nextBoolean() ? 1L + payload.length + padding
          : 1L + payload.length + r.nextInt(16);
      int padBytes = (int) Math.max(0, packetLength - 1 - payload.length);
      note("packet_length", packetLength, "padding_length", padding, "payload", payload.length);
      return new Wire().raw(BANNER).u32(packetLength).u8(padding).raw(payload)
          .raw(randomBytes(padBytes)).bytes();
    }

    private byte[] truncated() {
      byte[] whole = validKexinitPacket();
      int cut = 1 + r.nextInt(whole.length - 1);
      note(cut, "of", whole.length);
      return cat(BANNER, Arrays.copyOf(whole, cut));
    }

    private byte[] mutatedKexinit() {
      byte[][] lists = kexLists();
      boolean follows = false;
      for (int m = 0, n = 1 + r.nextInt(3); m < n; m++) {
        int i = r.nextInt(lists.length);
        int mutation = r.nextInt(6);
        note(List.of("empty", "huge", "unknown", "non-ascii", "commas", "follows").get(mutation)
            + (mutation < 5 ? "@" + i : ""));
        switch (mutation) {
          case 0 -> lists[i] = new byte[0];
          case 1 -> lists[i] = hugeList();
          case 2 -> lists[i] = ("unknown-" + r.nextInt(1000) + "@fuzz,"
              + printable(r.nextInt(64)).replace(' ', '-')).getBytes(StandardCharsets.UTF_8);
          case 3 -> lists[i] = nonAscii();
          case 4 -> lists[i] = (new String(lists[i], StandardCharsets.UTF_8) + ",,,"
              + ",".repeat(r.nextInt(10))).getBytes(StandardCharsets.UTF_8);
          default -> follows = true;
        }
      }
      byte[] payload = kexinit(r, lists, follows);
      int damage = r.nextInt(4);
      note(List.of("cut", "flipped", "lying-length", "framed").get(damage));
      switch (damage) {
        case 0 -> payload = Arrays.copyOf(payload, 1 + r.nextInt(payload.length)); // fields missing
        case 1 -> flipBits(payload, 1 + r.nextInt(8));
        case 2 -> { // a name-list length that lies
          int at = 17 + 4 * r.nextInt(3);
          if (at + 4 <= payload.length) {
            int lie = r.nextBoolean() ? 0xFFFFFFF0 : r.nextInt(100_000);
            payload[at] = (byte) (lie >>> 24);
            payload[at + 1] = (byte) (lie >>> 16);
            payload[at + 2] = (byte) (lie >>> 8);
            payload[at + 3] = (byte) lie;
          }
        }
        default -> { } // structurally valid, odd contents
      }
      byte[] bytes = cat(BANNER, packet(payload, r));
      if (follows || r.nextInt(4) == 0) { // a guessed packet, or a second KEXINIT
        bytes = cat(bytes, packet(r.nextBoolean() ? kexinit(r, kexLists(), false)
            : new Wire().u8(30).string(randomBytes(r.nextInt(80))).bytes(), r));
      }
      return bytes;
    }

    private byte[] outOfOrder() {
      Wire w = new Wire().raw(BANNER);
      int stage = r.nextInt(3);
      note(List.of("first", "after-kexinit", "after-kexdh-init").get(stage));
      if (stage >= 1) {
        w.raw(validKexinitPacket());
      }
      if (stage == 2) { // a well-formed X25519 exchange start, so the server answers it
        w.raw(packet(new Wire().u8(30).string(randomBytes(32)).bytes(), r));
      }
      for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
        byte[] m = outOfOrderMessage();
        note("msg", m[0] & 0xff, "len", m.length);
        w.raw(packet(m, r));
      }
      if (r.nextBoolean()) {
        w.raw(randomBytes(r.nextInt(256)));
      }
      return w.bytes();
    }

    private byte[] outOfOrderMessage() {
      int[] keyLengths = {0, 1, 31, 33, 64, 65, 97, 1184, 1216, 5000, r.nextInt(40_000)};
      return switch (r.nextInt(10)) {
        case 0 -> new Wire().u8(5).string("ssh-userauth").bytes();
        case 1 -> new Wire().u8(50).string("root").string("ssh-connection")
            .string(r.nextBoolean() ? "none" : "publickey").u8(0).string("ssh-ed25519")
            .string(randomBytes(51)).bytes();
        case 2 -> new Wire().u8(90).string("session").u32(0).u32(0x200000).u32(0x8000).bytes();
        case 3 -> new Wire().u8(21).bytes();
        case 4 -> new Wire().u8(30).string(randomBytes(keyLengths[r.nextInt(keyLengths.length)]))
            .bytes();
        case 5 -> new Wire().u8(31).string(randomBytes(r.nextInt(200)))
            .string(randomBytes(32)).string(randomBytes(r.nextInt(100))).bytes();
        case 6 -> new Wire().u8(80).string("tcpip-forward").u8(1).string("0.0.0.0").u32(22)
            .bytes();
        case 7 -> new Wire().u8(94).u32(0).string(randomBytes(r.nextInt(100))).bytes();
        case 8 -> new Wire().u8(1).u32(r.nextInt(20)).string(printable(r.nextInt(50)))
            .string("").bytes();
        default -> new Wire().u8(List.of(2, 3, 4, 7, 60, 61, 98, 100).get(r.nextInt(8)))
            .raw(randomBytes(r.nextInt(64))).bytes();
      };
    }

    private byte[] randomMessages() {
      Wire w = new Wire().raw(BANNER);
      if (r.nextBoolean()) {
        note("after-kexinit");
        w.raw(validKexinitPacket());
      }
      for (int i = 0, n = 1 + r.nextInt(5); i < n; i++) {
        byte[] m = new Wire().u8(r.nextInt(256)).raw(randomBytes(r.nextInt(4000))).bytes();
        note("msg", m[0] & 0xff, "len", m.length);
        w.raw(packet(m, r));
      }
      return w.bytes();
    }

    private byte[] flippedPrefix() {
      byte[] b = recorded.clone();
      if (r.nextBoolean()) {
        note("+kexdh-init");
        b = cat(b, packet(new Wire().u8(30).string(randomBytes(32)).bytes(), r));
      }
      int variant = r.nextInt(5);
      note(List.of("bits", "bytes", "removed", "inserted", "repeated").get(variant));
      switch (variant) {
        case 0 -> flipBits(b, 1 + r.nextInt(16));
        case 1 -> {
          for (int i = 0, n = 1 + r.nextInt(16); i < n; i++) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
          }
        }
        case 2 -> { // a range removed
          int from = r.nextInt(b.length);
          int to = Math.min(b.length, from + 1 + r.nextInt(64));
          b = cat(Arrays.copyOf(b, from), Arrays.copyOfRange(b, to, b.length));
        }
        case 3 -> { // random bytes inserted
          int at = r.nextInt(b.length);
          b = cat(Arrays.copyOf(b, at), randomBytes(1 + r.nextInt(64)),
              Arrays.copyOfRange(b, at, b.length));
        }
        default -> { // a range repeated
          int from = r.nextInt(b.length);
          int to = Math.min(b.length, from + 1 + r.nextInt(256));
          b = cat(Arrays.copyOf(b, to), Arrays.copyOfRange(b, from, b.length));
        }
      }
      return b;
    }

    private void note(Object... parts) {
      for (Object p : parts) {
        note.append(note.length() == 0 ? "" : " ").append(p);
      }
    }

    private byte[] validKexinitPacket() {
      return packet(kexinit(r, kexLists(), false), r);
    }

    /** A client's plausible name-lists, RFC 4253 7.1 order. */
    static byte[][] kexLists() {
      String[] s = {"curve25519-sha256,curve25519-sha256@libssh.org,ext-info-c,"
          + "kex-strict-c-v00@openssh.com", "ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
          "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
          "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
          "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com",
          "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com", "none,zlib@openssh.com",
          "none,zlib@openssh.com", "", ""};
      byte[][] b = new byte[s.length][];
      for (int i = 0; i < s.length; i++) {
        b[i] = s[i].getBytes(StandardCharsets.US_ASCII);
      }
      return b;
    }

    private byte[] hugeList() {
      StringBuilder b = new StringBuilder();
      int target = r.nextBoolean() ? 30_000 : 300_000;
      for (int i = 0; b.length() < target; i++) {
        b.append(i == 0 ? "" : ",").append("name-").append(i).append("@fuzz.example");
      }
      return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private byte[] nonAscii() {
      if (r.nextBoolean()) {
        return ("curve25519-sha256,ключ-" + r.nextInt(100) + ",名前").getBytes(
            StandardCharsets.UTF_8);
      }
      byte[] b = randomBytes(1 + r.nextInt(100));
      for (int i = 0; i < b.length; i++) {
        b[i] |= (byte) 0x80;
      }
      return b;
    }

    private void flipBits(byte[] b, int n) {
      for (int i = 0; i < n; i++) {
        b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
      }
    }

    private byte[] randomBytes(int n) {
      byte[] b = new byte[n];
      r.nextBytes(b);
      return b;
    }

    private String printable(int n) {
      StringBuilder b = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        b.append((char) (32 + r.nextInt(95)));
      }
      return b.toString();
    }
  }

  /** SSH_MSG_KEXINIT (RFC 4253 7.1): a cookie, ten name-lists, first_kex_packet_follows. */
  static byte[] kexinit(Random r, byte[][] lists, boolean follows) {
    byte[] cookie = new byte[16];
    r.nextBytes(cookie);
    Wire w = new Wire().u8(20).raw(cookie);
    for (byte[] list : lists) {
      w.string(list);
    }
    return w.u8(follows ? 1 : 0).u32(0).bytes();
  }

  /**
   * An unencrypted binary packet (RFC 4253 6): uint32 packet_length, byte padding_length,
   * payload, random padding of 4 or more bytes making the whole a multiple of 8.
   */
  static byte[] packet(byte[] payload, Random r) {
    int padding = 8 - (5 + payload.length) % 8;
    if (padding < 4) {
      padding += 8;
    }
    byte[] pad = new byte[padding];
    r.nextBytes(pad);
    return new Wire().u32(1L + payload.length + padding).u8(padding).raw(payload).raw(pad)
        .bytes();
  }

  /** Writes SSH's data types (RFC 4251 5). */
  static final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Wire u8(int v) {
      out.write(v);
      return this;
    }

    Wire u32(long v) {
      out.write((int) (v >>> 24));
      out.write((int) (v >>> 16));
      out.write((int) (v >>> 8));
      out.write((int) v);
      return this;
    }

    Wire raw(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    Wire string(byte[] b) {
      return u32(b.length).raw(b);
    }

    Wire string(String s) {
      return string(s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return body -> {
      Thread t = new Thread(body, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void awaitConnections(LabGateway g, int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (g.server.openConnections() != n && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(n, g.server.openConnections(), "the gateway's open connections");
  }

  private static long openFds() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  /**
   * Waits (30 s at most) until this JVM has no more than {@code before} + 10 descriptors. The
   * slack is for what a JVM opens once and keeps, not per connection: a jar or class file first
   * read for an exception class the fuzz reaches, the JDK's lazily opened /dev/urandom or
   * /proc files, an epoll descriptor for a selector MINA or the JDK makes on first need. A leak
   * per connection over 2000 connections is far above it.
   */
  private static void awaitFds(long before) throws IOException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long now = openFds();
    while (now > before + 10 && System.nanoTime() < end) {
      Thread.sleep(200);
      now = openFds();
    }
    assertTrue(now <= before + 10, "file descriptors back to " + before + " (+10): " + now
        + " open: " + fdTargets());
  }

  private static String fdTargets() throws IOException {
    Map<String, Integer> kinds = new HashMap<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          kinds.merge(target.replaceAll("\\[\\d+\\]", "[]"), 1, Integer::sum);
        } catch (IOException gone) {
          // closed while listing
        }
      }
    }
    return kinds.toString();
  }

  /** This JVM's child processes now: pid and command name, from /proc/PID/stat. */
  private static Map<Long, String> children() throws IOException {
    long self = ProcessHandle.current().pid();
    Map<Long, String> children = new HashMap<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().matches("\\d+")) {
          continue;
        }
        String stat;
        try {
          stat = Files.readString(p.resolve("stat"));
        } catch (IOException | UncheckedIOException gone) {
          continue; // ended while listing
        }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses
        int close = stat.lastIndexOf(')');
        String[] rest = stat.substring(close + 2).split(" ");
        if (Long.parseLong(rest[1]) == self) {
          children.put(Long.parseLong(p.getFileName().toString()),
              stat.substring(stat.indexOf('(') + 1, close));
        }
      }
    }
    return children;
  }

  /** Waits (30 s at most) until no child of this JVM is new since {@code before}. */
  private static void awaitNoNewChildren(Map<Long, String> before) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<Long, String> now = children();
    now.keySet().removeAll(before.keySet());
    while (!now.isEmpty() && System.nanoTime() < end) {
      Thread.sleep(200);
      now = children();
      now.keySet().removeAll(before.keySet());
    }
    assertEquals(Map.of(), now, "no process started on the gateway's host; before: " + before);
  }
}
