package io.github.sshcontainer.containerd;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A live task's (or exec'd process's) standard streams, carried over the SSH connection with
 * per-stream flow control: a task that writes faster than the caller reads waits, nobody else.
 */
public interface TaskIo {
  /** What the process writes to stdout (with a terminal: everything), as it writes it. */
  InputStream stdout();

  /** What it writes to stderr; empty with a terminal. */
  InputStream stderr();

  /**
   * Its stdin, when the spec opened it; {@code close()} gives the process end of input once
   * every byte written has reached it. On a terminal that end is the terminal's own, Ctrl-D
   * (twice after a partial line), as a user would type it: the terminal stays, so what the
   * process prints afterwards arrives and {@link #resize} still works; a program that reads
   * its terminal raw sees the byte 4.
   *
   * @throws IllegalStateException when stdin was not opened
   */
  OutputStream stdin();

  /** Changes the terminal's size; only for a process on a terminal. */
  void resize(int columns, int rows);
}
