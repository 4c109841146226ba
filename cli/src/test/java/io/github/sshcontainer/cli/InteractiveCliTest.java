package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Tmux;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code exec} and {@code run} as a person uses them: on a real terminal (tmux) that is
 * resized, with signals sent to the CLI process, and a container per session with stdin.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class InteractiveCliTest {
  private static final Path JAR = Path.of("target/ssh-container.jar").toAbsolutePath();
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private static List<String> cli(String sub, List<String> args, List<String> command) {
    List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", JAR.toString(), sub, "--identity",
        lab().clientKey().toString(), "--known-hosts", lab().knownHosts().toString(),
        "--remote-socket", lab().docker().socket().toString()));
    c.addAll(args);
    c.add("--");
    c.addAll(command);
    return c;
  }

  private static String container() {
    return lab().docker().cli(SOON, "run", "-d", "--network", "none", DockerDaemon.BUSYBOX,
        "sleep", "600").trim();
  }

  @Test
  void execOnATerminalFollowsTheWindowSize() throws Exception {
    String id = container();
    try (Tmux t = Tmux.start(cli("exec", List.of("-i", "-t", lab().destination(), id),
        List.of("sh")), 90, 25)) {
      t.await("/ #", SOON); // busybox sh's prompt (capture-pane drops the trailing space)
      t.type("stty size");
      t.await("25 90", SOON);
      t.resize(132, 43);
      t.typeUntil("stty size", "43 132", SOON);
      t.type("exit");
    } finally {
      lab().docker().cli(SOON, "rm", "-f", id);
    }
  }

  @Test
  void sigtermToExecReachesTheRemoteTrapAndTheCliReturnsItsCode() throws Exception {
    String id = container();
    Path out = tmp.resolve("out");
    try {
      Process p = new ProcessBuilder(cli("exec", List.of(lab().destination(), id),
          List.of("sh", "-c", "trap 'echo got-TERM; exit 5' TERM; echo ready; "
              + "while :; do sleep 1 & wait $!; done")))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(tmp.resolve("err").toFile()).start();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(out).contains("ready")) {
        assertTrue(System.nanoTime() < end && p.isAlive(), "started: "
            + Files.readString(tmp.resolve("err")));
        Thread.sleep(50);
      }
      p.destroy(); // SIGTERM to the CLI
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI ended");
      assertEquals(5, p.exitValue(), "the remote trap's code: "
          + Files.readString(tmp.resolve("err")));
      assertTrue(Files.readString(out).contains("got-TERM"), Files.readString(out));
    } finally {
      lab().docker().cli(SOON, "rm", "-f", id);
    }
  }

  @Test
  void runWithStdinAndATerminalReadsALineAndEchoesIt() throws Exception {
    try (Tmux t = Tmux.start(cli("run", List.of("-i", "-t", lab().destination(),
        DockerDaemon.BUSYBOX, "--pull", "never", "--network", "none"),
        List.of("sh", "-c", "echo ask; read x; echo got-$x; stty size")), 100, 30)) {
      t.await("ask", SOON);
      t.type("hello");
      String screen = t.await("got-hello", SOON);
      assertTrue(t.await("30 100", SOON).contains("30 100"), screen);
    }
  }
}
