package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway home directory set up as a user's machine is: {@code ~/.ssh/config} naming a host
 * alias, the key as {@code ~/.ssh/id_ed25519} and the host in {@code ~/.ssh/known_hosts}. A
 * program run with {@link #run} sees it as its home ({@code user.home}) and no ssh-agent, so
 * code that states no key, known_hosts or socket runs on its real defaults.
 */
public final class UserHome implements AutoCloseable {
  private final Path dir;

  private UserHome(Path dir) {
    this.dir = dir;
  }

  /**
   * A home whose ssh config calls {@code sshd} {@code alias}, logging in as root with the lab's
   * client key.
   */
  public static UserHome forHost(Lab lab, Sshd sshd, String alias) {
    return forHost(lab, sshd, alias,
        Keys.knownHostsLine(lab.hostKey(), sshd.host(), sshd.port()) + "\n");
  }

  /** As {@link #forHost(Lab, Sshd, String)}, for a host with its own known_hosts file. */
  public static UserHome forHost(Lab lab, Sshd sshd, String alias, Path knownHosts) {
    try {
      return forHost(lab, sshd, alias, Files.readString(knownHosts));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static UserHome forHost(Lab lab, Sshd sshd, String alias, String knownHosts) {
    try {
      Path dir = Files.createTempDirectory(lab.dir(), "home-");
      Path ssh = Files.createDirectories(dir.resolve(".ssh"));
      Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
      Path key = ssh.resolve("id_ed25519");
      Files.copy(lab.clientKey(), key);
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(ssh.resolve("known_hosts"), knownHosts);
      Files.writeString(ssh.resolve("config"), "Host " + alias + "\n"
          + "  HostName " + sshd.host() + "\n"
          + "  Port " + sshd.port() + "\n"
          + "  User " + lab.user() + "\n");
      return new UserHome(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** What a program printed and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code mainClass} in a JVM of its own with this home, stdin at /dev/null, and neither
   * {@code SSH_AUTH_SOCK} nor {@code DOCKER_HOST}; killed and reported at the deadline.
   */
  public Result run(List<Path> classPath, String mainClass, Duration deadline, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Duser.home=" + dir);
    command.add("-cp");
    command.add(String.join(File.pathSeparator,
        classPath.stream().map(Path::toString).toList()));
    command.add(mainClass);
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(dir, "stdout", ".txt");
      Path err = Files.createTempFile(dir, "stderr", ".txt");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
          .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
              new File("/dev/null")));
      Map<String, String> env = pb.environment();
      env.remove("SSH_AUTH_SOCK");
      env.remove("DOCKER_HOST");
      env.remove("DOCKER_CONTEXT");
      env.put("HOME", dir.toString());
      Process p = pb.start();
      if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(mainClass + " did not end within " + deadline + "; stdout:\n"
            + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + mainClass, e);
    }
  }

  @Override
  public void close() {
    LabProcess.deleteTree(dir);
  }
}
