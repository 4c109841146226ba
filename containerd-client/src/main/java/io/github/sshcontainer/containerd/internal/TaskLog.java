package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A task's stdout and stderr kept in one log file on the daemon's host while it runs, and
 * brought back over SSH once both have ended.
 *
 * <p>Not containerd's {@code file://} logging: its shim copies stdout and stderr into the file
 * with a goroutine each, and the stdout one closes the file as soon as stdout ends, while the
 * stderr one may still hold bytes to write: those are lost, with {@code error copying stderr}
 * in the shim's log (containerd 1.6 to 2.x, {@code copyPipes}: the stdout copy is handed the
 * file itself, not the counting closer the two share). Here the shim copies each stream into a
 * FIFO of its own, as for live I/O, and a copier on the remote host appends both to the log.
 * The shim closes a FIFO only once it has copied all of its stream, so when the copier's two
 * readers have ended, the log is complete; only then is it read.
 */
final class TaskLog implements AutoCloseable {
  static final String STDOUT = "stdout";
  static final String STDERR = "stderr";
  private static final String COPIED = "copied ";

  private final SocketTunnel tunnel;
  private final FifoDir dir;
  private final SocketChannel copier;
  private final int maxBytes;

  private TaskLog(SocketTunnel tunnel, FifoDir dir, SocketChannel copier, int maxBytes) {
    this.tunnel = tunnel;
    this.dir = dir;
    this.copier = copier;
    this.maxBytes = maxBytes;
  }

  /**
   * Starts the copier for the FIFOs {@value #STDOUT} and {@value #STDERR} of {@code dir}: it
   * appends both to {@code log} there (two writers appending, as the shim's file logging has
   * them), and once both have ended prints {@code copied <status> <status>} and the log's first
   * {@code maxBytes}.
   */
  static TaskLog open(SocketTunnel tunnel, FifoDir dir, int maxBytes) {
    String script = "cd " + SocketCommand.quote(dir.path()) + " || exit 1; "
        + "cat " + STDOUT + " >>log & o=$!; cat " + STDERR + " >>log & e=$!; "
        + "wait $o; a=$?; wait $e; b=$?; echo \"" + COPIED + "$a $b\"; "
        + "exec head -c " + maxBytes + " log";
    return new TaskLog(tunnel, dir, tunnel.openCommand("exec sh -c "
        + SocketCommand.quote(script)), maxBytes);
  }

  String stdoutPath() {
    return dir.path(STDOUT);
  }

  String stderrPath() {
    return dir.path(STDERR);
  }

  /**
   * Waits until the shim has closed both FIFOs (the task has exited and its output is copied),
   * then returns the log, at most {@code deadline} in all.
   *
   * @throws ContainerdException TIMED_OUT if the output has not ended in time, FAILED if the
   *     log could not be kept or read
   */
  String read(String task, Duration deadline) {
    byte[] said;
    try {
      said = CommandOutput.readToEnd(copier, deadline, maxBytes + 64); // and the status line
    } catch (SocketTimeoutException e) {
      throw new ContainerdException(ContainerdException.Reason.TIMED_OUT, "task " + task
          + " exited, but its stdout and stderr did not end within " + deadline.toMillis()
          + " ms; does a process outside the task hold them?", e);
    } catch (IOException e) {
      throw new ContainerdException(ContainerdException.Reason.FAILED, "reading the output of"
          + " task " + task + " from " + dir.path() + " on " + tunnel.remote() + " failed: "
          + e.getMessage(), e);
    }
    String text = new String(said, StandardCharsets.UTF_8);
    int nl = text.indexOf('\n');
    if (!text.startsWith(COPIED) || nl < 0) {
      throw new ContainerdException(ContainerdException.Reason.FAILED, "the copy of task "
          + task + "'s output into " + dir.path() + "/log on " + tunnel.remote()
          + " ended early (" + (text.isEmpty() ? "nothing said" : text.trim()) + ")");
    }
    if (!text.substring(COPIED.length(), nl).equals("0 0")) {
      throw new ContainerdException(ContainerdException.Reason.FAILED, "task " + task
          + "'s output could not be kept in " + dir.path() + "/log on " + tunnel.remote()
          + " (the copies of stdout and stderr exited with " + text.substring(COPIED.length(),
          nl) + "); is that file system full?");
    }
    return text.substring(nl + 1);
  }

  /** Stops the copier; the FIFO directory and the log in it go with {@link FifoDir#close}. */
  @Override
  public void close() {
    try {
      copier.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
