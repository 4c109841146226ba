package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Exec with live stdio in a running container on the lab's dockerd. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerExecTest {
  private static DockerClient docker;
  private static OnDemandContainer box;

  @BeforeAll
  static void start() {
    docker = client();
    box = OnDemandContainer.launch(docker, busybox().build());
  }

  @AfterAll
  static void stop() throws Exception {
    box.close();
    docker.close();
  }

  @Test
  void stdinThenEndOfInputLetsWcFinishWithTheFullCount() {
    byte[] data = new byte[3 << 20];
    new Random(1).nextBytes(data);
    ExecResult r = box.exec(ExecSpec.of("wc", "-c").stdin(new ByteArrayInputStream(data))
        .timeout(Duration.ofSeconds(60)).build());
    assertEquals(0, r.exitCode());
    assertEquals(String.valueOf(data.length), r.stdout().trim());
  }

  @Test
  void catEchoesStdinAndEndsAtEndOfInput() {
    String text = "line one\nline two\n".repeat(500);
    ExecResult r = box.exec(ExecSpec.of("cat").stdin(new ByteArrayInputStream(
        text.getBytes(StandardCharsets.UTF_8))).build());
    assertEquals(0, r.exitCode());
    assertEquals(text, r.stdout());
  }

  @Test
  void shReadsAScriptFromStdin() {
    ExecResult r = box.exec(ExecSpec.of("sh", "-s").stdin(new ByteArrayInputStream(
        "echo from script\nexit 4\n".getBytes(StandardCharsets.UTF_8))).build());
    assertEquals(4, r.exitCode());
    assertEquals("from script\n", r.stdout());
  }

  @Test
  void stdoutAndStderrStaySeparateAndTheExitCodeComesBack() {
    ExecResult r = box.exec(ExecSpec.of("sh", "-c", "echo out; echo err >&2; exit 3").build());
    assertEquals(3, r.exitCode());
    assertEquals("out\n", r.stdout());
    assertEquals("err\n", r.stderr());
  }

  @Test
  void envWorkingDirAndUserApply() {
    ExecResult r = box.exec(ExecSpec.of("sh", "-c", "echo $GREETING; pwd; id -u")
        .env("GREETING", "hello").workingDir("/tmp").user("65534").build());
    assertEquals(0, r.exitCode());
    assertEquals("hello\n/tmp\n65534\n", r.stdout());
  }

  @Test
  void liveStdinIsDeliveredAsItIsWritten() throws Exception {
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(feed, 1 << 16);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread writer = new Thread(() -> {
      try (feed) {
        for (int i = 0; i < 5; i++) {
          feed.write(("tick " + i + "\n").getBytes(StandardCharsets.UTF_8));
          feed.flush();
          Thread.sleep(50);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();
    ExecResult r = box.exec(ExecSpec.of("sh", "-c", "while read l; do echo got $l; done")
        .stdin(stdin).stdout(out).build());
    writer.join(10_000);
    assertEquals(0, r.exitCode());
    assertEquals("got tick 0\ngot tick 1\ngot tick 2\ngot tick 3\ngot tick 4\n",
        out.toString(StandardCharsets.UTF_8));
    assertEquals("", r.stdout(), "nothing is captured when a stream is given");
  }

  @Test
  void ttyExecHasTheRequestedSize() {
    ExecResult r = box.exec(ExecSpec.of("sh", "-c", "sleep 0.5; stty size; tty")
        .tty(100, 40).build());
    assertEquals(0, r.exitCode());
    String[] lines = r.stdout().replace("\r", "").split("\n");
    assertEquals("40 100", lines[0]);
    assertTrue(lines[1].startsWith("/dev/pts/"), r.stdout());
  }

  @Test
  void unknownContainerIsNamed() {
    RemoteDockerException e = assertThrows(RemoteDockerException.class,
        () -> DockerExec.run(docker, "no-such-container", ExecSpec.of("true").build()));
    assertEquals(RemoteDockerException.Reason.CONTAINER_NOT_FOUND, e.reason());
    assertTrue(e.getMessage().contains("no-such-container"), e.getMessage());
  }
}
