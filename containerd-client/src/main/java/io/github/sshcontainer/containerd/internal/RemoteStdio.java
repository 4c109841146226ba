package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.tunnel.RemoteCommandResult;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's stdio for containerd's shim, which opens FIFOs on the daemon's host: the FIFOs are
 * made in a private directory (0700) there, and each is joined to this machine by {@code cat}
 * over its own exec channel of the tunnel's SSH connection (no SFTP), with the tunnel's
 * per-connection flow control.
 */
final class RemoteStdio implements TaskIo, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RemoteStdio.class);
  private static final Duration SETUP_DEADLINE = Duration.ofSeconds(30);

  private final SocketTunnel tunnel;
  private final String dir;
  private final boolean tty;
  private final SocketChannel stdout;
  private final SocketChannel stderr;
  private final SocketChannel stdin;
  private RemoteReaper reaper;
  private volatile BiConsumer<Integer, Integer> resizer;
  private volatile Runnable stdinCloser = () -> { };

  private RemoteStdio(SocketTunnel tunnel, String dir, boolean tty, SocketChannel stdout,
      SocketChannel stderr, SocketChannel stdin) {
    this.tunnel = tunnel;
    this.dir = dir;
    this.tty = tty;
    this.stdout = stdout;
    this.stderr = stderr;
    this.stdin = stdin;
  }

  /** Makes the FIFOs under {@code baseDir} on the remote host and starts copying them. */
  static RemoteStdio open(SocketTunnel tunnel, String baseDir, boolean withStdin, boolean tty) {
    String q = SocketCommand.quote(baseDir);
    String fifos = "\"$d/stdout\"" + (tty ? "" : " \"$d/stderr\"")
        + (withStdin ? " \"$d/stdin\"" : "");
    RemoteCommandResult made = tunnel.run("umask 077 && d=$(mktemp -d " + q
        + "/sshc-io-XXXXXXXX) && mkfifo " + fifos + " && printf %s \"$d\"", SETUP_DEADLINE,
        4096);
    if (made.exitStatus() != 0 || made.stdoutText().isBlank()) {
      throw new ContainerdException(ContainerdException.Reason.FAILED, "cannot make the task's"
          + " FIFOs under " + baseDir + " on " + tunnel.remote() + " (exit " + made.exitStatus()
          + "): " + made.stderr().trim() + "; is the directory writable by the SSH user?");
    }
    String dir = made.stdoutText().trim();
    // if this client dies, the FIFOs still go: a cat blocked opening one is released, the
    // directory removed
    RemoteReaper reaper = RemoteReaper.start(tunnel, release(dir));
    SocketChannel out = null;
    SocketChannel err = null;
    SocketChannel in = null;
    try {
      out = tunnel.openCommand("exec cat " + SocketCommand.quote(dir + "/stdout"));
      if (!tty) {
        err = tunnel.openCommand("exec cat " + SocketCommand.quote(dir + "/stderr"));
      }
      if (withStdin) {
        in = tunnel.openCommand("exec cat > " + SocketCommand.quote(dir + "/stdin"));
      }
      RemoteStdio io = new RemoteStdio(tunnel, dir, tty, out, err, in);
      io.reaper = reaper;
      return io;
    } catch (RuntimeException e) {
      RemoteStdio io = new RemoteStdio(tunnel, dir, tty, out, err, in);
      io.reaper = reaper;
      io.close();
      throw e;
    }
  }

  String stdoutPath() {
    return dir + "/stdout";
  }

  String stderrPath() {
    return tty ? "" : dir + "/stderr";
  }

  String stdinPath() {
    return stdin == null ? "" : dir + "/stdin";
  }

  void resizer(BiConsumer<Integer, Integer> r) {
    this.resizer = r;
  }

  /**
   * What closes the process's stdin once every byte is in the FIFO: the shim keeps the FIFO
   * open, so the writer's end is not an end of input; containerd's CloseIO is.
   */
  void stdinCloser(Runnable r) {
    this.stdinCloser = r;
  }

  /** Waits until the remote {@code cat} feeding the stdin FIFO has written all and exited. */
  private void awaitStdinDrained() throws IOException {
    stdin.configureBlocking(false);
    try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
      stdin.register(sel, java.nio.channels.SelectionKey.OP_READ);
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(256);
      long end = System.nanoTime() + SETUP_DEADLINE.toNanos();
      while (System.nanoTime() < end) {
        sel.select(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        sel.selectedKeys().clear();
        b.clear();
        if (stdin.read(b) < 0) {
          return;
        }
      }
      throw new IOException("the task's stdin was not drained within "
          + SETUP_DEADLINE.toSeconds() + " s");
    }
  }

  @Override
  public InputStream stdout() {
    return Channels.newInputStream(stdout);
  }

  @Override
  public InputStream stderr() {
    return stderr == null ? InputStream.nullInputStream() : Channels.newInputStream(stderr);
  }

  @Override
  public OutputStream stdin() {
    if (stdin == null) {
      throw new IllegalStateException("stdin was not opened: ask for it with stdin() in the "
          + "spec");
    }
    OutputStream raw = Channels.newOutputStream(stdin);
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        raw.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        raw.write(b, off, len);
      }

      private boolean closed;

      /** End of input for the process; what it prints still arrives. */
      @Override
      public synchronized void close() throws IOException {
        if (closed || !stdin.isOpen()) {
          return;
        }
        closed = true;
        stdin.shutdownOutput();
        awaitStdinDrained();
        stdinCloser.run();
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

  /**
   * Closes the local ends and removes the directory. A {@code cat} still blocked opening a FIFO
   * (the task never started) is released by opening that FIFO read-write for a moment.
   */
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
    try {
      RemoteCommandResult r = tunnel.run(release(dir), SETUP_DEADLINE, 0);
      if (r.exitStatus() != 0) {
        log.warn("removing {} on {} exited with {}: {}", dir, tunnel.remote(), r.exitStatus(),
            r.stderr().trim());
      }
    } catch (RuntimeException e) {
      log.warn("cannot remove the task's FIFOs {} on {}: {}", dir, tunnel.remote(),
          e.getMessage());
    }
    if (reaper != null) {
      reaper.close();
    }
  }

  /** Releases any cat blocked opening a FIFO (by opening it read-write), removes the dir. */
  private static String release(String dir) {
    String q = SocketCommand.quote(dir);
    return "for f in " + q + "/stdin " + q + "/stdout " + q + "/stderr; do [ -p \"$f\" ] && "
        + "(exec 3<>\"$f\"); done; rm -rf -- " + q;
  }
}
