package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.DockerExec;
import io.github.sshcontainer.docker.ExecResult;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams the way users break them: a hundred sessions held open at once, one more than a
 * connection may have, and a client that stops reading its output while others work.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GatewayStreamsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway gateway;
  private static ExecutorService readers;

  @BeforeAll
  static void start() {
    gateway = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build());
    readers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-reader");
      t.setDaemon(true);
      return t;
    });
  }

  @AfterAll
  static void stop() throws Exception {
    readers.shutdownNow();
    gateway.close();
  }

  /** One {@code ssh} client process whose stdin and stdout the test holds. */
  private record Client(Process process, OutputStream in, BufferedReader out, Path err) {
    static Client start(List<String> cmd, Path err) throws IOException {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      return new Client(p, p.getOutputStream(), new BufferedReader(new InputStreamReader(
          p.getInputStream(), StandardCharsets.UTF_8)), err);
    }

    void send(String line) throws IOException {
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    String stderr() {
      try {
        return Files.readString(err);
      } catch (IOException e) {
        return e.toString();
      }
    }

    int awaitExit(Duration deadline) throws InterruptedException {
      if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("ssh did not exit within " + deadline + ": " + stderr());
      }
      return process.exitValue();
    }
  }

  /** The next line of {@code c}'s output, within {@code deadline}. */
  private static String readLine(Client c, Duration deadline) throws Exception {
    Future<String> line = readers.submit(c.out()::readLine);
    try {
      return line.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      line.cancel(true);
      throw new AssertionError("no line within " + deadline + "; stderr: " + c.stderr());
    }
  }

  /**
   * Ten connections of one user (the per-user default) with ten sessions each (the
   * per-connection default), a hundred {@code cat}s held open, each echoing three rounds of
   * lines; an eleventh session on a full connection is refused with the limit named, and is
   * served once one of the ten has ended. Then every input ends, every session exits 0, and
   * the containers and threads go.
   */
  @Test
  void aHundredSessionsHeldOpenOnTenConnectionsEchoUntilTheirInputEnds() throws Exception {
    OpenSshClient c = gateway.client("hundred");
    // one short login first, so the thread baseline has what a used gateway keeps
    assertEquals(0, gateway.client("warm").ssh("true", null, SOON).code());
    gateway.awaitNoContainers("warm", Duration.ofSeconds(30));
    Set<String> baseline = LabGateway.threads();
    List<Process> masters = new ArrayList<>();
    List<List<String>> muxes = new ArrayList<>();
    List<Client> sessions = new ArrayList<>();
    try {
      for (int m = 0; m < 10; m++) {
        Path control = tmp.resolve("h" + m);
        masters.add(c.startMaster(control, tmp.resolve("master-" + m + ".log")));
        muxes.add(OpenSshClient.viaMaster(control));
      }
      long t0 = System.nanoTime();
      for (int m = 0; m < 10; m++) {
        for (int s = 0; s < 10; s++) {
          sessions.add(Client.start(c.ssh(muxes.get(m), "cat"),
              tmp.resolve("session-" + m + "-" + s + ".err")));
        }
      }
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < sessions.size(); i++) {
          sessions.get(i).send("session " + i + " round " + round);
        }
        for (int i = 0; i < sessions.size(); i++) {
          assertEquals("session " + i + " round " + round,
              readLine(sessions.get(i), SOON), "session " + i);
        }
        if (round == 0) {
          System.out.printf("FIGURES gateway 100 sessions: all open and echoing in %d ms, "
              + "%d gateway threads (baseline %d)%n", TimeUnit.NANOSECONDS.toMillis(
                  System.nanoTime() - t0), LabGateway.threads().size(), baseline.size());
        }
      }
      assertEquals(10, gateway.containersOf("hundred").size(), "one container a connection");

      String[] first = muxes.get(0).toArray(String[]::new);
      OpenSshClient.Result eleventh = c.ssh("echo eleventh", null, SOON, first);
      assertNotEquals(0, eleventh.code(), "an eleventh session on a full connection");
      assertEquals("", eleventh.out(), "the refused session ran nothing");
      String masterLog = Files.readString(tmp.resolve("master-0.log"));
      assertTrue(masterLog.contains("administratively prohibited: gateway: this connection has "
          + "10 sessions open, the limit per connection; end one first"),
          "the refusal names the limit: " + eleventh.err() + " / " + masterLog);

      Client ended = sessions.remove(0);
      ended.in().close();
      assertEquals(0, ended.awaitExit(SOON), ended.stderr());
      OpenSshClient.Result next = null;
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      do { // the slot is freed once the gateway has closed that channel too
        next = c.ssh("echo eleventh", null, SOON, first);
      } while (next.code() != 0 && System.nanoTime() < end);
      assertEquals(0, next.code(), "served once a session ended: " + next.err());
      assertEquals("eleventh\n", next.out());

      for (Client s : sessions) {
        s.in().close();
      }
      for (int i = 0; i < sessions.size(); i++) {
        Client s = sessions.get(i);
        assertEquals(0, s.awaitExit(SOON), "session " + (i + 1) + ": " + s.stderr());
      }
      assertEquals(10, gateway.containersOf("hundred").size(), "held by the connections");
    } finally {
      for (Client s : sessions) {
        s.process().destroyForcibly();
      }
      for (Process m : masters) {
        m.destroy();
        m.waitFor(10, TimeUnit.SECONDS);
      }
    }
    gateway.awaitNoContainers("hundred", Duration.ofSeconds(60));
    LabGateway.awaitThreadsBackTo(baseline);
  }

  /** The lines the command has written; its file is empty for a moment at each rewrite. */
  private static int progressOf(String containerId) throws InterruptedException {
    for (int tries = 0; tries < 50; tries++) {
      ExecResult r = DockerExec.run(gateway.docker, containerId,
          ExecSpec.of("cat", "/tmp/progress").build());
      if (r.exitCode() != 0) {
        return 0; // not written yet
      }
      if (!r.stdout().isBlank()) {
        return Integer.parseInt(r.stdout().trim());
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the progress file stayed empty");
  }

  /**
   * A client whose reader stopped: its command blocks once the buffers on the way are full
   * (the gateway holds no unbounded backlog of it), other users' logins are answered meanwhile,
   * and when the client reads again it gets every byte, in order, and the exit status.
   */
  @Test
  void aClientThatStopsReadingStallsOnlyItsOwnSessionAndLosesNothing() throws Exception {
    int lines = 4096; // of 16 KiB: 64 MiB in all
    int lineBytes = 16384;
    OpenSshClient c = gateway.client("stalled");
    Path err = tmp.resolve("stalled.err");
    Process p = new ProcessBuilder(c.ssh(List.of(), "i=0; while [ $i -lt " + lines
        + " ]; do printf '%" + (lineBytes - 1) + "d\\n' $i; i=$((i+1)); echo $i > "
        + "/tmp/progress; done; exit 3"))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(err.toFile()).start();
    try {
      // nobody reads p's output yet: wait until the command stops advancing
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      List<Container> mine = gateway.containersOf("stalled");
      while (mine.isEmpty() && System.nanoTime() < end) {
        Thread.sleep(100);
        mine = gateway.containersOf("stalled");
      }
      assertEquals(1, mine.size(), "the stalled client's container: " + Files.readString(err));
      String id = mine.get(0).getId();
      int before = -1;
      int now = progressOf(id);
      while (now != before && System.nanoTime() < end) {
        before = now;
        Thread.sleep(2000);
        now = progressOf(id);
      }
      assertEquals(before, now, "the command stopped advancing while its output is not read");
      assertTrue(now < lines, "blocked after " + now + " of " + lines + " lines ("
          + (long) now * lineBytes / 1024 + " KiB): nothing holds all of it");
      System.out.printf("FIGURES gateway stalled reader: the command blocked after %d KiB "
          + "unread%n", (long) now * lineBytes / 1024);

      for (int i = 0; i < 5; i++) {
        OpenSshClient.Result r = gateway.alice().ssh("echo served-" + i, null, SOON);
        assertEquals(0, r.code(), "alice's login " + i + " while another stalls: " + r.err());
        assertEquals("served-" + i + "\n", r.out());
      }
      assertEquals(now, progressOf(id), "still stalled while others were served");

      Future<long[]> drained = readers.submit(() -> {
        long bytes = 0;
        long ordered = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.US_ASCII), 1 << 16)) {
          String line;
          while ((line = r.readLine()) != null) {
            bytes += line.length() + 1;
            if (line.length() == lineBytes - 1 && line.trim().equals(Long.toString(ordered))) {
              ordered++;
            }
          }
        }
        return new long[] {bytes, ordered};
      });
      long[] got = drained.get(120, TimeUnit.SECONDS);
      assertEquals((long) lines * lineBytes, got[0], "every byte arrived");
      assertEquals(lines, got[1], "every line whole and in order");
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ssh exited");
      assertEquals(3, p.exitValue(), "the command's exit status: " + Files.readString(err));
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    gateway.awaitNoContainers("stalled", Duration.ofSeconds(60));
  }
}
