package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.ListContainersRequest;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SshTarget;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live task I/O against the lab's containerd 1.6, through an sshd without the sftp subsystem:
 * stdout and stderr while the task runs, stdin to a real end of input, a terminal, signals,
 * and nothing left behind on the remote host.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LiveTaskTest {
  @TempDir static Path tmp;
  /** This test's own directory for the remote FIFO directories (the lab's host is this one). */
  private static Path ioDir;
  private static Sshd noSftp;
  private static ContainerdClient ctr;
  private static String ns;
  private static String id;

  @BeforeAll
  static void connect() throws Exception {
    Lab lab = Lab.shared();
    ioDir = Files.createTempDirectory(Path.of("/tmp"), "sshc-live-io-");
    noSftp = lab.startSshd("live-nosftp-" + System.nanoTime(), lab.hostKey(),
        List.of("Subsystem none /bin/false"));
    Path kh = Files.writeString(tmp.resolve("kh"),
        Keys.knownHostsLine(lab.hostKey(), noSftp.port()) + "\n");
    ns = "sshc-live-" + UUID.randomUUID().toString().substring(0, 8);
    ctr = SshContainerd.connect(ContainerdClientTest.options().knownHosts(kh)
        .target(SshTarget.of(lab.user(), "127.0.0.1", noSftp.port())).build(), ns);
    try (InputStream tar = Files.newInputStream(lab.busyboxTar())) {
      ctr.importImage(tar);
    }
  }

  @AfterAll
  static void close() throws Exception {
    ctr.close();
    noSftp.close();
    Files.deleteIfExists(ioDir);
  }

  private static RunSpec.Builder spec(String... args) {
    id = "live-" + UUID.randomUUID().toString().substring(0, 8);
    return RunSpec.of(ContainerdClientTest.IMAGE).id(id).logDir(ioDir.toString()).args(args);
  }

  /** No task, container, snapshot or FIFO directory of this test is left on the host. */
  @AfterEach
  void nothingLeft() throws Exception {
    ContainerdClientTest.assertNoTask(ctr, id);
    try (Stream<Path> left = Files.list(ioDir)) {
      assertEquals(List.of(), left.toList(), "FIFO directories or logs left");
    }
  }

  @Test
  void stdinWithARealEndOfInputAndTheExitStatus() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", "read x; echo got-$x; exit 4")
        .stdin().build())) {
      TaskIo io = task.io().orElseThrow();
      try (OutputStream in = io.stdin()) {
        in.write("hello\n".getBytes(StandardCharsets.UTF_8));
      }
      assertEquals("got-hello\n", new String(io.stdout().readAllBytes(),
          StandardCharsets.UTF_8));
      assertEquals(4, task.await(Duration.ofSeconds(30)).exitStatus());
    }
  }

  @Test
  void catSeesEndOfInputAfterAllTheBytes() throws Exception {
    try (RunningTask task = ctr.start(spec("wc", "-c").stdin().build())) {
      TaskIo io = task.io().orElseThrow();
      byte[] data = new byte[3 << 20];
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(io.stdout().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      try (OutputStream in = io.stdin()) {
        in.write(data);
      }
      assertEquals(String.valueOf(data.length), out.get(60, TimeUnit.SECONDS).trim());
      assertEquals(0, task.await(Duration.ofSeconds(30)).exitStatus());
    }
  }

  @Test
  void outputArrivesWhileTheTaskRunsWithStdoutAndStderrApart() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c",
        "echo first; echo oops >&2; sleep 3; echo second").live().build())) {
      TaskIo io = task.io().orElseThrow();
      BufferedReader out = new BufferedReader(new InputStreamReader(io.stdout(),
          StandardCharsets.UTF_8));
      long start = System.nanoTime();
      assertEquals("first", out.readLine());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms < 2500, "the first line came while the task ran: " + ms + " ms");
      assertEquals("oops\n", new String(io.stderr().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals("second", out.readLine());
      assertEquals(null, out.readLine());
      assertEquals(0, task.await(Duration.ofSeconds(30)).exitStatus());
      assertThrows(IllegalStateException.class, io::stdin, "stdin was not asked for");
    }
  }

  @Test
  void aTerminalOfTheRequestedSizeAndResize() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c",
        "stty size; read x; stty size; tty").stdin().tty(100, 40).build())) {
      TaskIo io = task.io().orElseThrow();
      BufferedReader out = new BufferedReader(new InputStreamReader(io.stdout(),
          StandardCharsets.UTF_8));
      assertEquals("40 100", out.readLine().trim());
      io.resize(120, 50);
      try (OutputStream in = io.stdin()) {
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
      }
      String rest = new String(io.stdout().readAllBytes(), StandardCharsets.UTF_8)
          .replace("\r", "");
      assertTrue(rest.contains("50 120"), "resized: " + rest);
      assertTrue(rest.contains("/dev/pts/"), rest);
      assertEquals("", new String(io.stderr().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(0, task.await(Duration.ofSeconds(30)).exitStatus());
    }
  }

  /**
   * A terminal outlives the end of its stdin: closing stdin gives the program end of input, and
   * what it prints afterwards, and a resize afterwards, still arrive.
   */
  @Test
  void aTerminalKeepsWorkingAfterStdinEnds() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", "read x; echo got-$x; "
        + "read y || echo stdin-ended; sleep 1; echo later; "
        + "while [ \"$(stty size)\" != '20 70' ]; do sleep 0.1; done; echo resized")
        .stdin().tty(80, 24).build())) {
      TaskIo io = task.io().orElseThrow();
      try (OutputStream in = io.stdin()) {
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
      }
      BufferedReader out = new BufferedReader(new InputStreamReader(io.stdout(),
          StandardCharsets.UTF_8));
      StringBuilder said = new StringBuilder();
      for (String line; (line = out.readLine()) != null; ) {
        said.append(line.replace("\r", "")).append('\n');
        if (line.startsWith("later")) {
          break;
        }
      }
      assertTrue(said.toString().contains("got-go\nstdin-ended\nlater\n"), said.toString());
      io.resize(70, 20);
      String rest = new String(io.stdout().readAllBytes(), StandardCharsets.UTF_8)
          .replace("\r", "");
      assertEquals("resized\n", rest);
      assertEquals(0, task.await(Duration.ofSeconds(30)).exitStatus());
    }
  }

  /**
   * The same for a process exec'd on a terminal, its input ending in a partial line: the line
   * and then the end of input reach it, and what it prints afterwards arrives.
   */
  @Test
  void anExecTerminalKeepsWorkingAfterStdinEnds() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", "echo task-ready; exec sleep 300")
        .live().build())) {
      BufferedReader ready = new BufferedReader(new InputStreamReader(
          task.io().orElseThrow().stdout(), StandardCharsets.UTF_8));
      assertEquals("task-ready", ready.readLine());
      try (RunningTask p = ctr.exec(task.id(), ExecSpec.of("sh", "-c",
          "read x; tr a-z A-Z; sleep 1; echo exec-got-$x").stdin().tty(80, 24)
          .ioDir(ioDir.toString()).build())) {
        TaskIo io = p.io().orElseThrow();
        try (OutputStream in = io.stdin()) {
          in.write("go\nno newline".getBytes(StandardCharsets.UTF_8));
        }
        String said = new String(io.stdout().readAllBytes(), StandardCharsets.UTF_8)
            .replace("\r", "");
        // a partial last line still reaches the program, then the end of input
        assertTrue(said.contains("NO NEWLINE") && said.endsWith("exec-got-go\n"), said);
        assertEquals(0, p.await(Duration.ofSeconds(30)).exitStatus());
      }
    }
  }

  /**
   * 1 MiB on each stream written at once, then an immediate exit: once the task has exited,
   * both streams end, and they carried every byte.
   */
  @Test
  void aLiveTaskDeliversEveryByteOfBothStreams() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", KnownOutput.BOTH_STREAMS).live()
        .build())) {
      TaskIo io = task.io().orElseThrow();
      CompletableFuture<String> out = KnownOutput.readToEnd(io.stdout(), "stdout");
      CompletableFuture<String> err = KnownOutput.readToEnd(io.stderr(), "stderr");
      assertEquals(0, task.await(Duration.ofSeconds(60)).exitStatus());
      KnownOutput.assertStream("stdout", KnownOutput.STDOUT, out.get(60, TimeUnit.SECONDS));
      KnownOutput.assertStream("stderr", KnownOutput.STDERR, err.get(60, TimeUnit.SECONDS));
    }
  }

  /** The same through a terminal: every byte (the terminal writes each newline as CR LF). */
  @Test
  void aTerminalDeliversEveryByte() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", KnownOutput.STDOUT_ONLY).tty(80, 24)
        .build())) {
      CompletableFuture<String> out = KnownOutput.readToEnd(task.io().orElseThrow().stdout(),
          "tty");
      assertEquals(0, task.await(Duration.ofSeconds(60)).exitStatus());
      KnownOutput.assertStream("terminal", KnownOutput.STDOUT, out.get(60, TimeUnit.SECONDS)
          .replace("\r\n", "\n"));
    }
  }

  /** The same for a process exec'd into a running task. */
  @Test
  void anExecDeliversEveryByteOfBothStreams() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", "echo task-ready; exec sleep 300")
        .live().build())) {
      BufferedReader ready = new BufferedReader(new InputStreamReader(
          task.io().orElseThrow().stdout(), StandardCharsets.UTF_8));
      assertEquals("task-ready", ready.readLine());
      try (RunningTask p = ctr.exec(task.id(), ExecSpec.of("sh", "-c",
          KnownOutput.BOTH_STREAMS).ioDir(ioDir.toString()).build())) {
        TaskIo io = p.io().orElseThrow();
        CompletableFuture<String> out = KnownOutput.readToEnd(io.stdout(), "exec-stdout");
        CompletableFuture<String> err = KnownOutput.readToEnd(io.stderr(), "exec-stderr");
        assertEquals(0, p.await(Duration.ofSeconds(60)).exitStatus());
        KnownOutput.assertStream("stdout", KnownOutput.STDOUT, out.get(60, TimeUnit.SECONDS));
        KnownOutput.assertStream("stderr", KnownOutput.STDERR, err.get(60, TimeUnit.SECONDS));
      }
    }
  }

  @Test
  void aSignalEndsALiveTask() throws Exception {
    // the task is pid 1 in its namespace: only a signal it handles, or KILL, ends it
    try (RunningTask task = ctr.start(spec("sh", "-c", "trap 'exit 7' TERM; echo ready; "
        + "while :; do sleep 1; done").live().build())) {
      BufferedReader out = new BufferedReader(new InputStreamReader(
          task.io().orElseThrow().stdout(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine());
      task.kill(15);
      assertEquals(7, task.await(Duration.ofSeconds(30)).exitStatus());
      assertEquals(null, out.readLine(), "stdout ends with the task");
    }
  }

  @Test
  void execIntoARunningTaskWithStdinItsOwnExitStatusAndATerminal() throws Exception {
    try (RunningTask task = ctr.start(spec("sh", "-c", "echo task-ready; exec sleep 300")
        .live().build())) {
      BufferedReader out = new BufferedReader(new InputStreamReader(
          task.io().orElseThrow().stdout(), StandardCharsets.UTF_8));
      assertEquals("task-ready", out.readLine());
      try (RunningTask p = ctr.exec(task.id(), ExecSpec.of("sh", "-c",
          "read x; echo exec-got-$x-$GREETING; echo to-err >&2; exit 5")
          .env("GREETING", "hi").stdin().ioDir(ioDir.toString()).build())) {
        TaskIo io = p.io().orElseThrow();
        try (OutputStream in = io.stdin()) {
          in.write("hello\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("exec-got-hello-hi\n", new String(io.stdout().readAllBytes(),
            StandardCharsets.UTF_8));
        assertEquals("to-err\n", new String(io.stderr().readAllBytes(),
            StandardCharsets.UTF_8));
        assertEquals(5, p.await(Duration.ofSeconds(30)).exitStatus());
        assertTrue(p.pid() > 0);
      }
      try (RunningTask p = ctr.exec(task.id(), ExecSpec.of("sh", "-c", "stty size; tty")
          .tty(90, 30).ioDir(ioDir.toString()).build())) {
        String said = new String(p.io().orElseThrow().stdout().readAllBytes(),
            StandardCharsets.UTF_8).replace("\r", "");
        assertTrue(said.startsWith("30 90\n/dev/pts/"), said);
        assertEquals(0, p.await(Duration.ofSeconds(30)).exitStatus());
      }
      try (RunningTask p = ctr.exec(task.id(), ExecSpec.of("sleep", "300")
          .ioDir(ioDir.toString()).build())) {
        p.kill(9);
        assertEquals(137, p.await(Duration.ofSeconds(30)).exitStatus());
      }
      ContainerdException none = assertThrows(ContainerdException.class,
          () -> ctr.exec("no-such-container", ExecSpec.of("true").build()));
      assertEquals(ContainerdException.Reason.NOT_FOUND, none.reason());
    }
  }

  /** The client dies (SIGKILL) with a live task: the remote host cleans up after it. */
  @Test
  void aClientKilledMidTaskLeavesNothingBehind() throws Exception {
    Lab lab = Lab.shared();
    id = "crash-" + UUID.randomUUID().toString().substring(0, 8);
    Path kh = tmp.resolve("kh");
    // the child runs on the plain class path: this JVM's class path, its module path (the
    // client is a named module in tests) and the test classes patched into it
    String cp = Stream.of(System.getProperty("java.class.path"),
        System.getProperty("jdk.module.path"), Path.of(CrashingClient.class
            .getProtectionDomain().getCodeSource().getLocation().toURI()).toString())
        .filter(v -> v != null && !v.isEmpty()).collect(Collectors.joining(File.pathSeparator));
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-XX:-UsePerfData", "-cp", cp, CrashingClient.class.getName(),
        "ssh://" + lab.user() + "@127.0.0.1:" + noSftp.port(), lab.clientKey().toString(),
        kh.toString(), lab.containerd().socket().toString(), ns, id, ioDir.toString())
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("started ")) {
        // its log lines
      }
      assertEquals("started " + id, line);
      try (Stream<Path> dirs = Files.list(ioDir)) {
        assertEquals(1, dirs.count(), "the task's FIFO directory exists while it runs");
      }
      child.destroyForcibly(); // kill -9: no close(), no shutdown hook
      assertTrue(child.waitFor(20, TimeUnit.SECONDS));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < end && (ctr.stub(ContainersGrpc::newBlockingStub).list(
          ListContainersRequest.getDefaultInstance()).getContainersList().stream()
          .anyMatch(c -> c.getId().equals(id)) || Files.list(ioDir).findAny().isPresent())) {
        Thread.sleep(200);
      }
    } finally {
      child.destroyForcibly();
    }
    // the @AfterEach check asserts no task, container or directory is left
  }

  @Test
  void closingWithoutWaitingCleansUp() throws Exception {
    RunningTask task = ctr.start(spec("sh", "-c", "read x").stdin().build());
    task.close(); // never fed, never awaited
  }
}
