package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A process's stdio for containerd's shim, which opens FIFOs on the daemon's host: the FIFOs of
 * a {@link FifoDir}, each joined to this machine by {@code cat} over its own exec channel of the
 * tunnel's SSH connection (no SFTP), with the tunnel's per-connection flow control.
 */
final class RemoteStdio implements TaskIo, AutoCloseable {
  static final String STDOUT = "stdout";
  static final String STDERR = "stderr";
  static final String STDIN = "stdin";
  /** A terminal's end-of-file character (VEOF) unless a program changed it: Ctrl-D. */
  private static final int END_OF_FILE = 4;

  private final FifoDir dir;
  private final boolean tty;
  private final SocketChannel stdout;
  private final SocketChannel stderr;
  private final SocketChannel stdin;
  private volatile BiConsumer<Integer, Integer> resizer;
  private volatile Runnable stdinCloser = () -> { };

  private RemoteStdio(FifoDir dir, boolean tty, SocketChannel stdout, SocketChannel stderr,
      SocketChannel stdin) {
    this.dir = dir;
    this.tty = tty;
    this.stdout = stdout;
    this.stderr = stderr;
    this.stdin = stdin;
  }

  /** The FIFOs a process with these streams needs ({@code stderr} goes with a terminal). */
  static List<String> fifos(boolean withStdin, boolean tty) {
    List<String> names = new ArrayList<>(List.of(STDOUT));
    if (!tty) {
      names.add(STDERR);
    }
    if (withStdin) {
      names.add(STDIN);
    }
    return names;
  }

  /**
   * Starts copying the FIFOs of {@code dir} (made with {@link #fifos}); the caller closes the
   * directory after this.
   */
  static RemoteStdio open(SocketTunnel tunnel, FifoDir dir, boolean withStdin, boolean tty) {
    SocketChannel out = null;
    SocketChannel err = null;
    SocketChannel in = null;
    try {
      out = tunnel.openCommand("exec cat " + SocketCommand.quote(dir.path(STDOUT)));
      if (!tty) {
        err = tunnel.openCommand("exec cat " + SocketCommand.quote(dir.path(STDERR)));
      }
      if (withStdin) {
        in = tunnel.openCommand("exec cat > " + SocketCommand.quote(dir.path(STDIN)));
      }
      return new RemoteStdio(dir, tty, out, err, in);
    } catch (RuntimeException e) {
      new RemoteStdio(dir, tty, out, err, in).close();
      throw e;
    }
  }

  String stdoutPath() {
    return dir.path(STDOUT);
  }

  String stderrPath() {
    return tty ? "" : dir.path(STDERR);
  }

  String stdinPath() {
    return stdin == null ? "" : dir.path(STDIN);
  }

  void resizer(BiConsumer<Integer, Integer> r) {
    this.resizer = r;
  }

  /**
   * What closes the process's stdin once every byte is in the FIFO: the shim keeps the FIFO
   * open, so the writer's end is not an end of input; containerd's CloseIO is. Not used with a
   * terminal (see {@link #stdin()}).
   */
  void stdinCloser(Runnable r) {
    this.stdinCloser = r;
  }

  @Override
  public InputStream stdout() {
    return Channels.newInputStream(stdout);
  }

  @Override
  public InputStream stderr() {
    return stderr == null ? InputStream.nullInputStream() : Channels.newInputStream(stderr);
  }

  /**
   * Closing it ends the process's input. Without a terminal that is containerd's CloseIO once
   * the FIFO has every byte. With one it is the terminal's own end of input, Ctrl-D (twice
   * after a partial line: the first ends the line), as a user would type it or {@code
   * pexpect}'s {@code sendeof()} sends it: CloseIO would end the shim's copy of the terminal
   * (its stdin copy shuts the console down when the FIFO ends, containerd 1.6 to 2.x {@code
   * CopyConsole}), and what the process printed after that, and any resize, would be lost.
   */
  @Override
  public OutputStream stdin() {
    if (stdin == null) {
      throw new IllegalStateException("stdin was not opened: ask for it with stdin() in the "
          + "spec");
    }
    OutputStream raw = Channels.newOutputStream(stdin);
    return new OutputStream() {
      private int last = '\n';
      private boolean closed;

      @Override
      public synchronized void write(int b) throws IOException {
        raw.write(b);
        last = b & 0xff;
      }

      @Override
      public synchronized void write(byte[] b, int off, int len) throws IOException {
        raw.write(b, off, len);
        if (len > 0) {
          last = b[off + len - 1] & 0xff;
        }
      }

      /** End of input for the process; what it prints still arrives. */
      @Override
      public synchronized void close() throws IOException {
        if (closed || !stdin.isOpen()) {
          return;
        }
        closed = true;
        if (tty) {
          boolean lineOpen = last != '\n' && last != '\r';
          raw.write(lineOpen ? new byte[] {END_OF_FILE, END_OF_FILE} : new byte[] {END_OF_FILE});
        }
        stdin.shutdownOutput();
        try {
          CommandOutput.readToEnd(stdin, FifoDir.DEADLINE, 0); // its cat wrote all and exited
        } catch (SocketTimeoutException e) {
          throw new IOException("the process's stdin was not drained within "
              + FifoDir.DEADLINE.toSeconds() + " s", e);
        }
        if (!tty) {
          stdinCloser.run();
        }
      }
    };
  }

  @Override
  public void resize(int columns, int rows) {
    if (!tty) {
      throw new IllegalStateException("the process has no terminal to resize");
    }
    if (columns < 1 || rows < 1) {
      throw new IllegalArgumentException("terminal size " + columns + "x" + rows);
    }
    BiConsumer<Integer, Integer> r = resizer;
    if (r != null) {
      r.accept(columns, rows);
    }
  }

  /** Closes the local ends (their remote {@code cat}s end with them). */
  @Override
  public void close() {
    for (SocketChannel c : new SocketChannel[] {stdin, stdout, stderr}) {
      if (c != null) {
        try {
          c.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
  }
}
