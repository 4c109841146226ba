package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's real OpenSSH client programs ({@code ssh}, {@code sftp}, {@code scp}) pointed at one
 * server, with nothing of this machine's own config: {@code -F /dev/null}, one identity, a
 * known_hosts of the test's, batch mode, strict host key checking, ssh's own log level (so a
 * server's disconnect message shows, as users see it).
 *
 * @param key the private key to log in with
 * @param knownHosts the server's host key line
 * @param port the server's port on 127.0.0.1
 * @param user the user name to log in as
 */
public record OpenSshClient(Path key, Path knownHosts, int port, String user) {
  /** What a client program did. */
  public record Result(int code, String out, String err) {}

  /** The options every program gets, in {@code -o} form. */
  public List<String> options() {
    return List.of("-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", "IdentityFile=" + key, "-o", "UserKnownHostsFile=" + knownHosts,
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
        "-o", "ConnectTimeout=30");
  }

  /** {@code ssh [extra…] -p PORT user@127.0.0.1 [command]} as a command line. */
  public List<String> ssh(List<String> extra, String command) {
    List<String> cmd = new ArrayList<>(List.of(program("ssh").toString()));
    cmd.addAll(options());
    cmd.addAll(extra);
    cmd.addAll(List.of("-p", String.valueOf(port), user + "@127.0.0.1"));
    if (command != null) {
      cmd.add(command);
    }
    return cmd;
  }

  /** The options a client uses to go through the ControlMaster on {@code control}. */
  public static List<String> viaMaster(Path control) {
    return List.of("-o", "ControlMaster=no", "-o", "ControlPath=" + control);
  }

  /**
   * Starts a ControlMaster ({@code ssh -N}) on {@code control}, its output to {@code log}, and
   * returns once {@code ssh -O check} answers: before that, a client with the same ControlPath
   * would open a connection of its own. The caller stops it.
   *
   * @throws IllegalStateException if it does not answer within 30 s (it is stopped then)
   */
  public Process startMaster(Path control, Path log) {
    Process master = start(ssh(List.of("-o", "ControlMaster=yes", "-o", "ControlPath=" + control,
        "-N"), null), log);
    List<String> check = new ArrayList<>(viaMaster(control));
    check.addAll(List.of("-O", "check"));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (run(ssh(check, null), null, Duration.ofSeconds(30)).code() != 0) {
      if (!master.isAlive() || System.nanoTime() > end) {
        master.destroyForcibly();
        throw new IllegalStateException("the ControlMaster on " + control + " did not come up;"
            + " its log: " + log);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        master.destroyForcibly();
        throw new IllegalStateException("interrupted waiting for the ControlMaster", e);
      }
    }
    return master;
  }

  /** Runs {@code ssh … command} with {@code stdin} (null: /dev/null), within {@code deadline}. */
  public Result ssh(String command, byte[] stdin, Duration deadline, String... extra) {
    return run(ssh(List.of(extra), command), stdin, deadline);
  }

  /** {@code sftp -b BATCH} against the server. */
  public Result sftp(Path batch, Duration deadline) {
    List<String> cmd = new ArrayList<>(List.of(program("sftp").toString()));
    cmd.addAll(options());
    cmd.addAll(List.of("-b", batch.toString(), "-P", String.valueOf(port),
        user + "@127.0.0.1"));
    return run(cmd, null, deadline);
  }

  /** {@code scp [extra…] FROM TO}, where a remote side is written {@code :path}. */
  public Result scp(String from, String to, Duration deadline, String... extra) {
    List<String> cmd = new ArrayList<>(List.of(program("scp").toString()));
    cmd.addAll(options());
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of("-P", String.valueOf(port), remote(from), remote(to)));
    return run(cmd, null, deadline);
  }

  private String remote(String side) {
    return side.startsWith(":") ? user + "@127.0.0.1" + side : side;
  }

  private static Path program(String name) {
    return switch (name) {
      case "ssh" -> Prerequisites.require("openssh-client", "/usr/bin/ssh");
      case "sftp" -> Prerequisites.require("openssh-client", "/usr/bin/sftp");
      case "scp" -> Prerequisites.require("openssh-client", "/usr/bin/scp");
      default -> throw new IllegalArgumentException("not an OpenSSH client program: " + name);
    };
  }

  /** Runs a command line, feeding {@code stdin}, and collects its output. */
  public static Result run(List<String> cmd, byte[] stdin, Duration deadline) {
    try {
      Path out = Files.createTempFile("sshc-ssh", ".out");
      Path err = Files.createTempFile("sshc-ssh", ".err");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
            .redirectError(err.toFile());
        if (stdin == null) {
          pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        if (stdin != null) {
          Thread feeder = new Thread(() -> {
            try (OutputStream in = p.getOutputStream()) {
              in.write(stdin);
            } catch (IOException ignored) {
              // the program stopped reading
            }
          }, "lab-ssh-stdin");
          feeder.setDaemon(true);
          feeder.start();
        }
        if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          throw new IllegalStateException("timed out after " + deadline + ": " + cmd
              + "\nstderr: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  /** Starts {@code ssh …} in the background (stdio to files); the caller stops it. */
  public Process start(List<String> cmd, Path log) {
    try {
      return new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
