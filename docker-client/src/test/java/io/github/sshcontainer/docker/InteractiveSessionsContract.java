package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.github.sshcontainer.lab.DockerDaemon;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Live sessions (an exec, and a container per session) against a real daemon: what a remote
 * shell into a container needs. Subclasses give the daemon: Docker, Podman.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
abstract class InteractiveSessionsContract {
  private static final Duration SOON = Duration.ofSeconds(30);

  /** The daemon under test; the subclass owns it. */
  abstract DockerClient docker();

  private ContainerSpec.Builder busybox() {
    return ContainerSpec.of(DockerDaemon.BUSYBOX).networkMode("none")
        .pullPolicy(PullPolicy.NEVER);
  }

  private static void write(OutputStream out, String text) throws Exception {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private int managed() {
    return docker().listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(OnDemandContainer.MANAGED_LABEL, "true")).exec().size();
  }

  private void assertGone(String containerId) {
    assertThrows(NotFoundException.class,
        () -> docker().inspectContainerCmd(containerId).exec(), "container removed");
  }

  @Test
  void aSessionLastsAsLongAsItsCommandWithNoTimeoutSet() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh", "-c", "sleep 15; echo done").build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "out");
      long t0 = System.nanoTime();
      assertEquals(ExitStatus.code(0), s.awaitExit(Duration.ofSeconds(60)));
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
      assertTrue(seconds >= 14, "it ran its 15 s: " + seconds);
      assertEquals("done\n", out.awaitEnd(SOON));
    }
  }

  @Test
  void theTerminalSizeIsTheSpecsAndFollowsAResizeMidSession() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh").tty(80, 24).build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "tty");
      write(s.stdin(), "stty size\n");
      out.await("24 80", SOON);
      s.resize(100, 40);
      write(s.stdin(), "stty size\n");
      out.await("40 100", SOON);
      write(s.stdin(), "exit 6\n");
      assertEquals(ExitStatus.code(6), s.awaitExit(SOON));
      assertEquals(-1, s.stderr().read(), "with a TTY stderr is empty");
    }
  }

  /**
   * Input given in the spec is there from the first moment (a user typing at once, the
   * gateway's channel), while an older daemon sizes the terminal only after the process runs:
   * the program must still meet its size with the first input, in both kinds of session.
   */
  @Test
  void inputGivenInTheSpecMeetsTheTerminalsSizeFromItsFirstLine() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh").tty(77, 22).stdin(new ByteArrayInputStream(
            "stty size\nexit 4\n".getBytes(StandardCharsets.UTF_8))).stdout(out).build())) {
      assertEquals(ExitStatus.code(4), s.awaitExit(SOON));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("22 77"), out.toString(
          StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream own = new ByteArrayOutputStream();
    try (ExecSession s = OnDemandContainer.start(docker(), busybox().command("sh").tty(78, 23)
        .build(), new ByteArrayInputStream("stty size\nexit 5\n".getBytes(
            StandardCharsets.UTF_8)), own, own)) {
      assertEquals(ExitStatus.code(5), s.awaitExit(SOON));
      assertTrue(own.toString(StandardCharsets.UTF_8).contains("23 78"), own.toString(
          StandardCharsets.UTF_8));
    }
  }

  @Test
  void aTtySessionKeepsItsOutputAfterItsStdinIsClosed() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh", "-c", "echo early; sleep 1; echo late")
            .tty(80, 24).build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "tty-eof");
      s.stdin().close();
      assertEquals(ExitStatus.code(0), s.awaitExit(SOON));
      String text = out.awaitEnd(SOON);
      assertTrue(text.contains("early") && text.contains("late"), text);
    }
  }

  @Test
  void termReachesATrapAndTheExitCodeIsTheTraps() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh", "-c",
            "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 1 & wait $!; done")
            .build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "trap");
      out.await("ready", SOON);
      s.signal("TERM");
      assertEquals(ExitStatus.code(3), s.awaitExit(SOON));
      assertTrue(out.awaitEnd(SOON).contains("got TERM"), out.text());
    }
  }

  @Test
  void aProcessKilledByKillReportsTheSignalNot137() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build());
        ExecSession s = box.start(ExecSpec.of("sh", "-c", "echo ready; exec sleep 600")
            .build())) {
      new StreamWatcher(s.stdout(), "kill").await("ready", SOON);
      s.signal(9);
      ExitStatus status = s.awaitExit(SOON);
      assertTrue(status.isSignal(), "" + status);
      assertEquals("KILL", status.signal().orElseThrow());
      assertEquals(137, status.code());
      // a plain `exit 137` stays an exit code
      ExecSession plain = box.start(ExecSpec.of("sh", "-c", "exit 137").build());
      assertEquals(ExitStatus.code(137), plain.awaitExit(SOON));
      plain.close();
    }
  }

  @Test
  void thirtyTwoSessionsInOneContainerKeepTheirOwnStreamsAndExitStatus() throws Exception {
    int n = 32;
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build())) {
      List<ExecSession> sessions = new ArrayList<>();
      List<byte[]> inputs = new ArrayList<>();
      ExecutorService feeders = Executors.newFixedThreadPool(n);
      try {
        for (int i = 0; i < n; i++) {
          byte[] data = new byte[1 << 20];
          new Random(i).nextBytes(data);
          inputs.add(data);
          sessions.add(box.start(ExecSpec.of("sh", "-c", "sha256sum | cut -d' ' -f1; exit "
              + (i % 7)).build()));
        }
        List<Future<?>> feeding = new ArrayList<>();
        List<StreamWatcher> outs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          ExecSession s = sessions.get(i);
          byte[] data = inputs.get(i);
          outs.add(new StreamWatcher(s.stdout(), "sum-" + i));
          feeding.add(feeders.submit(() -> {
            try (OutputStream in = s.stdin()) {
              in.write(data);
            }
            return null;
          }));
        }
        for (Future<?> f : feeding) {
          f.get(120, TimeUnit.SECONDS);
        }
        for (int i = 0; i < n; i++) {
          String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
              .digest(inputs.get(i)));
          assertEquals(ExitStatus.code(i % 7), sessions.get(i).awaitExit(Duration.ofSeconds(120)),
              "session " + i);
          assertEquals(expected + "\n", outs.get(i).awaitEnd(SOON), "session " + i);
        }
      } finally {
        feeders.shutdownNow();
        for (ExecSession s : sessions) {
          s.close();
        }
      }
    }
  }

  @Test
  void closingASessionEndsItsCommandWithTerm() throws Exception {
    try (OnDemandContainer box = OnDemandContainer.launch(docker(), busybox().build())) {
      ExecSession s = box.start(ExecSpec.of("sh", "-c",
          "trap 'echo bye > /tmp/closed; exit 0' TERM; echo ready; while :; do sleep 1 & wait $!; done")
          .build());
      new StreamWatcher(s.stdout(), "close").await("ready", SOON);
      s.close();
      assertEquals("bye\n", box.exec(ExecSpec.of("cat", "/tmp/closed").build()).stdout());
      assertTrue(s.exitStatus().isPresent(), "it ended before close returned");
    }
  }

  @Test
  void aContainerPerSessionReadsStdinAndIsRemovedAfterItsExit() throws Exception {
    int before = managed();
    ExecSession s = OnDemandContainer.start(docker(), busybox()
        .command("sh", "-c", "read x; echo got $x; exit 4").build());
    StreamWatcher out = new StreamWatcher(s.stdout(), "read");
    write(s.stdin(), "hello\n");
    assertEquals(ExitStatus.code(4), s.awaitExit(SOON));
    assertEquals("got hello\n", out.awaitEnd(SOON));
    assertGone(s.containerId());
    s.close();
    assertEquals(before, managed());
  }

  @Test
  void aContainerPerSessionHasATerminalOfTheGivenSize() throws Exception {
    try (ExecSession s = OnDemandContainer.start(docker(), busybox().command("sh")
        .tty(100, 30).build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "ctty");
      write(s.stdin(), "stty size\n");
      out.await("30 100", SOON);
      s.resize(120, 50);
      write(s.stdin(), "stty size\n");
      out.await("50 120", SOON);
      write(s.stdin(), "exit 5\n");
      assertEquals(ExitStatus.code(5), s.awaitExit(SOON));
    }
  }

  @Test
  void aContainerPerSessionNeverLosesItsFirstOutput() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (ExecSession s = OnDemandContainer.start(docker(), busybox()
          .command("echo", "first " + i).build())) {
        StreamWatcher out = new StreamWatcher(s.stdout(), "first");
        s.stdin().close();
        assertEquals(ExitStatus.code(0), s.awaitExit(SOON), "run " + i);
        assertEquals("first " + i + "\n", out.awaitEnd(SOON), "run " + i);
      }
    }
  }

  @Test
  void aContainerPerSessionTakesSignalsThroughTheDaemon() throws Exception {
    try (ExecSession s = OnDemandContainer.start(docker(), busybox().command("sh", "-c",
        "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 1 & wait $!; done")
        .build())) {
      StreamWatcher out = new StreamWatcher(s.stdout(), "csig");
      out.await("ready", SOON);
      s.signal("TERM");
      assertEquals(ExitStatus.code(3), s.awaitExit(SOON));
      assertTrue(out.awaitEnd(SOON).contains("got TERM"));
    }
    try (ExecSession s = OnDemandContainer.start(docker(), busybox().command("sleep", "600")
        .build())) {
      s.signal("KILL");
      assertEquals(ExitStatus.signal("KILL"), s.awaitExit(SOON));
    }
  }

  @Test
  void closingAnIdleContainerRunsTheIdleCommandsTermTrapBeforeRemoval() throws Exception {
    // the default idle command exits on TERM: close is quick, well inside the stop timeout
    OnDemandContainer quick = OnDemandContainer.launch(docker(), busybox()
        .stopTimeout(Duration.ofSeconds(20)).build());
    long t0 = System.nanoTime();
    quick.close();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms < 10_000, "the default idle command ended on TERM: " + ms + " ms");
    assertGone(quick.id());
    // a trap of its own runs before the container goes: it leaves its mark in a bind mount
    Path proof = Files.createTempDirectory("sshc-trap");
    try {
      OnDemandContainer trapped = OnDemandContainer.launch(docker(), busybox()
          .bind(proof.toString(), "/proof", false)
          .idleCommand(List.of("sh", "-c", "trap 'echo trapped > /proof/mark; exit 0' TERM; "
              + "while :; do sleep 1 & wait $!; done")).build());
      trapped.close();
      assertEquals("trapped\n", Files.readString(proof.resolve("mark")));
      assertGone(trapped.id());
    } finally {
      Files.deleteIfExists(proof.resolve("mark"));
      Files.delete(proof);
    }
  }

  @Test
  void anIdleCommandThatIgnoresTermIsKilledAfterTheStopTimeout() {
    OnDemandContainer stubborn = OnDemandContainer.launch(docker(), busybox()
        .idleCommand(List.of("sh", "-c", "trap '' TERM; while :; do sleep 1; done"))
        .stopTimeout(Duration.ofSeconds(2)).build());
    long t0 = System.nanoTime();
    stubborn.close();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(ms >= 1900, "waited the stop timeout before KILL: " + ms + " ms");
    assertTrue(ms < 15_000, "then killed: " + ms + " ms");
    assertGone(stubborn.id());
    assertFalse(managedIds().contains(stubborn.id()));
  }

  private List<String> managedIds() {
    List<String> ids = new ArrayList<>();
    docker().listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(OnDemandContainer.MANAGED_LABEL, "true")).exec()
        .forEach(c -> ids.add(c.getId()));
    return ids;
  }
}
