package io.github.sshcontainer.docker.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A TTY session's input: a terminal has no end of input, and Docker treats the end of a TTY
 * session's stdin as a detach, closing its output too (moby's attach: stdin ends, so stdout and
 * stderr are closed), so that what the program prints afterwards is lost. So the end of the
 * given stream is held back here until the session is over, as sshd does with a pty: the program
 * ends by itself (exit, ^D in the input) or by a signal.
 *
 * <p>Nor does the program get any input before its terminal has its first size: a daemon older
 * than API 1.42 starts the terminal at 0x0 and takes the size from a resize made once the
 * process runs, while the program may already print (a shell its prompt). A user who types at
 * once (`stty size` on the first prompt) would otherwise meet a terminal of no size.
 */
final class TerminalInput extends FilterInputStream {
  // volatile: once the terminal has its size, a read checks one field and takes no monitor
  private volatile boolean released;
  private volatile boolean sized;

  TerminalInput(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    awaitSized();
    int b = super.read();
    return b < 0 ? holdEnd() : b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    awaitSized();
    int n = super.read(b, off, len);
    return n < 0 ? holdEnd() : n;
  }

  private void awaitSized() throws IOException {
    if (sized || released) {
      return; // every read after the first size
    }
    synchronized (this) {
      while (!sized && !released) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted before the terminal had its size");
        }
      }
    }
  }

  /** The terminal has its first size (or none is coming): input may flow. */
  synchronized void sized() {
    sized = true;
    notifyAll();
  }

  /** {@link #sized()} on {@code t}, if the session has one (a TTY with input). */
  static void sized(TerminalInput t) {
    if (t != null) {
      t.sized();
    }
  }

  /** {@link #release()} on {@code t}, if the session has one. */
  static void release(TerminalInput t) {
    if (t != null) {
      t.release();
    }
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
