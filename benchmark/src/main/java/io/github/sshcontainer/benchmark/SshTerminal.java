package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.OpenSshClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenSSH's {@code ssh -tt -e none} without a command: a shell on a pty the server allocates,
 * though this side has no terminal (stdin and stdout are pipes, so nothing is buffered or
 * edited here; the pty's echo comes from the far end). TERM is xterm-256color, the web page's.
 * Its output is read by a daemon thread {@code bench-ssh-tty-out}.
 */
final class SshTerminal implements Terminal {
  private final Process ssh;
  private final OutputStream keys;
  private final Screen screen = new Screen();
  private final Thread reader;

  private SshTerminal(OpenSshClient client) {
    ProcessBuilder pb = new ProcessBuilder(client.ssh(List.of("-tt", "-e", "none"), null))
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("TERM", "xterm-256color");
    try {
      ssh = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + pb.command(), e);
    }
    keys = ssh.getOutputStream();
    InputStream out = ssh.getInputStream();
    reader = new Thread(() -> {
      byte[] b = new byte[16 << 10];
      try {
        int n;
        while ((n = out.read(b)) >= 0) {
          screen.received(b, 0, n);
        }
      } catch (IOException ended) {
        // the process went
      }
    }, "bench-ssh-tty-out");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code ssh -tt} with {@code client}'s key, known hosts, port and user. */
  static SshTerminal open(OpenSshClient client) {
    return new SshTerminal(client);
  }

  @Override
  public void type(byte[] bytes) {
    try {
      keys.write(bytes);
      keys.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("ssh -tt stopped reading its input (exit "
          + (ssh.isAlive() ? "-" : ssh.exitValue()) + ")", e);
    }
  }

  @Override
  public Screen screen() {
    return screen;
  }

  @Override
  public boolean awaitEnd(Duration limit) throws InterruptedException {
    return ssh.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    ssh.destroy();
    try {
      if (!ssh.waitFor(10, TimeUnit.SECONDS)) {
        ssh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
