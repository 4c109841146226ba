package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One source cannot lock everyone out: while 127.0.0.1 keeps 300 connections open that say
 * nothing and 127.0.0.3 sends garbage in a loop, logins from 127.0.0.2 (loopback too) succeed
 * within 2 s, 20 of 20; the garbage sender's penalty is logged once per penalty, not once per
 * connection, and the gateway's resident memory stays within 50 MB of where it started. The
 * gateway runs as the CLI process with a fixed, pre-touched heap, so that its RSS measures
 * what the flood costs rather than how far the heap happened to grow.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayFloodCliTest {
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private static long rssKib(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  @Test
  void aFloodFromOneSourceAndGarbageFromAnotherLockNobodyOut() throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--listen", "127.0.0.1:0", "--image", DockerDaemon.BUSYBOX, "--pull",
        "never", "--host-key", hostKey.toString(), "--authorized-keys", authorized.toString(),
        "--stop-timeout", "1s"));
    GatewayProcess gateway = GatewayProcess.start(tmp,
        List.of("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch"), args, hostKey);
    Process g = gateway.process();
    Path err = gateway.err();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> attackers = new ArrayList<>();
    try {
      int port = gateway.port();
      Path kh = Files.writeString(tmp.resolve("kh"), Keys.knownHostsLine(hostKey, port) + "\n");
      OpenSshClient victim = new OpenSshClient(lab().clientKey(), kh, port, "victim");
      String[] from2 = {"-o", "BindAddress=127.0.0.2"};
      assertEquals(0, victim.ssh("true", null, Duration.ofSeconds(60), from2).code(),
          "a warm-up login");
      long rss0 = rssKib(g.pid());

      AtomicLong idleOpened = new AtomicLong();
      Thread idle = new Thread(() -> {
        // 300 connections from 127.0.0.1 that say nothing, opened again every 5 s
        List<Socket> held = new ArrayList<>();
        while (!stop.get()) {
          for (Socket s : held) {
            closeQuietly(s);
          }
          held.clear();
          for (int i = 0; i < 300 && !stop.get(); i++) {
            try {
              Socket s = new Socket();
              s.bind(new InetSocketAddress("127.0.0.1", 0));
              s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
              held.add(s);
              idleOpened.incrementAndGet();
            } catch (Exception e) {
              // refused or reset: the gateway's answer to a flood
            }
          }
          sleep(5000, stop);
        }
        held.forEach(GatewayFloodCliTest::closeQuietly);
      }, "flood-idle");
      AtomicLong garbageSent = new AtomicLong();
      Thread garbage = new Thread(() -> {
        Random random = new Random(7);
        while (!stop.get()) {
          try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress("127.0.0.3", 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            byte[] junk = new byte[256];
            random.nextBytes(junk);
            s.getOutputStream().write("SSH-2.0-garbage\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(junk);
            s.getOutputStream().flush();
            garbageSent.incrementAndGet();
            s.getInputStream().read(junk); // its banner, then go: the next one
          } catch (Exception e) {
            // refused, reset or timed out
          }
          sleep(20, stop); // a loop of about 50 connections a second
        }
      }, "flood-garbage");
      attackers.add(idle);
      attackers.add(garbage);
      attackers.forEach(Thread::start);
      Thread.sleep(3000); // the flood is on

      List<Long> millis = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        long t0 = System.nanoTime();
        OpenSshClient.Result r = victim.ssh("echo in-" + i, null, Duration.ofSeconds(30),
            from2);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        millis.add(ms);
        assertEquals("in-" + i + "\n", r.out(), "login " + i + " from 127.0.0.2: " + r.err());
      }
      System.out.printf("FIGURES gateway flood: 20 of 20 logins from 127.0.0.2, ms %s; "
          + "%d idle connections opened from 127.0.0.1, %d garbage connections from "
          + "127.0.0.3%n", millis, idleOpened.get(), garbageSent.get());
      for (int i = 0; i < millis.size(); i++) {
        assertTrue(millis.get(i) < 2000, "login " + i + " within 2 s: " + millis);
      }
      stop.set(true);
      for (Thread t : attackers) {
        t.join(30_000);
      }
      long rss1 = rssKib(g.pid());
      System.out.printf("FIGURES gateway flood: RSS %d KiB before, %d KiB after (+%d KiB)%n",
          rss0, rss1, rss1 - rss0);
      assertTrue(rss1 - rss0 < 50 * 1024, "RSS within 50 MB: " + rss0 + " -> " + rss1 + " KiB");

      String log = Files.readString(err);
      long penalties = log.lines().filter(l -> l.contains("refusing new connections from "
          + "127.0.0.3")).count();
      assertTrue(penalties >= 1, "the garbage sender is penalized: " + log);
      assertTrue(garbageSent.get() > 10 * penalties, "logged once per penalty ("
          + penalties + "), not per connection (" + garbageSent.get() + ")");
      long drops = log.lines().filter(l -> l.contains("dropping new connections from "
          + "127.0.0.1")).count();
      assertTrue(drops >= 1 && drops <= 2, "the idle flood's drops are logged once a minute: "
          + drops);
      assertTrue(log.lines().noneMatch(l -> l.contains("127.0.0.2") && l.contains("WARN")),
          "nothing held against the victim: " + log);
      long warns = log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).count();
      assertTrue(warns <= 2 * penalties + drops + 2, "a line per penalty and per minute of "
          + "drops, not one per connection: " + warns + " WARN/ERROR lines");
    } finally {
      stop.set(true);
      for (Thread t : attackers) {
        t.join(30_000);
      }
      g.destroy();
      g.waitFor(60, TimeUnit.SECONDS);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }

  private static void sleep(long ms, AtomicBoolean stop) {
    long end = System.currentTimeMillis() + ms;
    while (!stop.get() && System.currentTimeMillis() < end) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
