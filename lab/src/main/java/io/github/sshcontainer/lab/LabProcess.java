package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs short helper commands (ssh-keygen, …) with a deadline and a readable failure. */
final class LabProcess {
  private LabProcess() {}

  static String run(Duration deadline, List<String> command) {
    return run(deadline, command, Map.of());
  }

  /** Runs {@code command} with {@code environment} added to this process's. */
  static String run(Duration deadline, List<String> command,
      Map<String, String> environment) {
    try {
      Path out = Files.createTempFile("sshc-lab-cmd", ".out");
      try {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                new File("/dev/null")));
        pb.environment().putAll(environment);
        Process p = pb.start();
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

  /**
   * Unmounts (lazily, deepest first) every mount point at or under {@code root}: daemons leave
   * their overlay and bind mounts behind when / is mounted private and they are stopped hard.
   */
  static void unmountUnder(Path root) {
    String prefix = root.toAbsolutePath().normalize().toString();
    List<String> points = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4) {
          // octal escapes for space, tab, newline and backslash in mountinfo
          String point = f[4].replace("\\040", " ").replace("\\011", "\t")
              .replace("\\012", "\n").replace("\\134", "\\");
          if (point.equals(prefix) || point.startsWith(prefix + "/")) {
            points.add(point);
          }
        }
      }
    } catch (IOException e) {
      return; // no /proc: nothing this lab could have mounted
    }
    points.sort(Comparator.comparingInt(String::length).reversed());
    for (String point : points) {
      try {
        run(Duration.ofSeconds(20), List.of("umount", "-l", point));
      } catch (RuntimeException e) {
        System.err.println("lab: cannot unmount " + point + ": " + e.getMessage());
      }
    }
  }

  /** The processes running as {@code uid}. */
  static List<ProcessHandle> processesOf(int uid) {
    List<ProcessHandle> found = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()),
            "status"))) {
          if (line.startsWith("Uid:")) {
            if (line.split("\\s+")[1].equals(Integer.toString(uid))) {
              found.add(p);
            }
            break;
          }
        }
      } catch (IOException | RuntimeException gone) {
        // exited meanwhile
      }
    });
    return found;
  }

  /** The processes whose command line names a path at or under {@code dir}. */
  static List<ProcessHandle> processesUnder(Path dir) {
    String prefix = dir.toAbsolutePath().normalize().toString();
    List<ProcessHandle> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses().forEach(p -> {
      if (p.pid() == self) {
        return;
      }
      try {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
        for (String arg : new String(raw, StandardCharsets.UTF_8).split("\0")) {
          if (arg.equals(prefix) || arg.startsWith(prefix + "/")
              || arg.contains("=" + prefix + "/") || arg.contains("//" + prefix + "/")) {
            found.add(p);
            return;
          }
        }
      } catch (IOException | RuntimeException gone) {
        // exited meanwhile, or not ours to read
      }
    });
    return found;
  }

  /**
   * Kills what a daemon that died hard leaves running: containerd shims re-parent to init and
   * keep their containers (and their mounts) alive; they name the daemon's directory.
   */
  /** TERM to {@code p}, KILL after 10 s, and the wait for it to be gone (null: nothing). */
  static void stop(Process p) {
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void killProcessesUnder(Path dir) {
    List<ProcessHandle> left = processesUnder(dir);
    for (ProcessHandle p : left) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (ProcessHandle p : left) {
      p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    unmountUnder(root);
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
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
