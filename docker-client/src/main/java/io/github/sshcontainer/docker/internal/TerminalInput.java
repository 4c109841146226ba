package io.github.sshcontainer.docker.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A TTY session's input: a terminal has no end of input, and Docker treats the end of a TTY
 * session's stdin as a detach, closing its output too (moby's attach: stdin ends, so stdout and
 * stderr are closed), so that what the program prints afterwards is lost. So the end of the
 * given stream is held back here until the session is over, as sshd does with a pty: the program
 * ends by itself (exit, ^D in the input) or by a signal.
 */
final class TerminalInput extends FilterInputStream {
  private boolean released;

  TerminalInput(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    return b < 0 ? holdEnd() : b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    return n < 0 ? holdEnd() : n;
  }

  private synchronized int holdEnd() {
    while (!released) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    return -1;
  }

  /** The session is over: the reader gets its end of stream. */
  synchronized void release() {
    released = true;
    notifyAll();
  }
}
