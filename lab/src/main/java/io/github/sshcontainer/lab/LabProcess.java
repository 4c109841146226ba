package io.github.sshcontainer.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short helper commands (ssh-keygen, …) with a deadline and a readable failure. */
final class LabProcess {
  private LabProcess() {}

  static String run(Duration deadline, List<String> command) {
    try {
      Path out = Files.createTempFile("sshc-lab-cmd", ".out");
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                new java.io.File("/dev/null"))).start();
        if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          throw new IllegalStateException("timed out after " + deadline + ": " + command);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IllegalStateException(
              "exit " + p.exitValue() + " from " + command + ":\n" + text);
        }
        return text;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a later run uses a fresh directory anyway
        }
      });
    } catch (IOException ignored) {
      // same
    }
  }
}
