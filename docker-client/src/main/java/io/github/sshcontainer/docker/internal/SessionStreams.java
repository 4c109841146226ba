package io.github.sshcontainer.docker.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The stdio of a live session, an exec's or a container's own process: stdin as a pipe the
 * caller writes (unless a stream was given), stdout and stderr as pipes the caller reads (unless
 * streams were given; with a TTY everything is stdout), the router that writes the daemon's
 * frames into them, and a TTY's input guard ({@link TerminalInput}).
 */
final class SessionStreams {
  /** Each output pipe buffers this much for a reader that falls behind. */
  static final int OUTPUT_BUFFER = 256 * 1024;
  private static final int INPUT_BUFFER = 64 * 1024;

  private final boolean tty;
  private final InputStream givenStdin;
  private final BytePipe stdinPipe;
  private final BytePipe stdoutPipe = new BytePipe(OUTPUT_BUFFER);
  private final BytePipe stderrPipe = new BytePipe(OUTPUT_BUFFER);
  private final FrameRouter router;
  private volatile TerminalInput terminalInput;

  /**
   * @param withStdin the session reads input: {@code givenStdin}, or a pipe when that is null
   * @param out, err where output goes; null: to the pipes {@link #stdout()}, {@link #stderr()}
   */
  SessionStreams(boolean withStdin, InputStream givenStdin, boolean tty, OutputStream out,
      OutputStream err) {
    this.tty = tty;
    this.givenStdin = givenStdin;
    this.stdinPipe = withStdin && givenStdin == null ? new BytePipe(INPUT_BUFFER) : null;
    this.router = new FrameRouter(out != null ? out : stdoutPipe.sink(),
        err != null ? err : stderrPipe.sink());
    if (out != null) {
      stdoutPipe.closeSink(null);
    }
    if (err != null || tty) {
      stderrPipe.closeSink(null);
    }
  }

  /** What writes the daemon's frames into the output streams. */
  FrameRouter router() {
    return router;
  }

  /** The input to attach, held back on a TTY until {@link #sized()}; null when none. */
  InputStream input() {
    InputStream in = stdinPipe != null ? stdinPipe.source() : givenStdin;
    if (in != null && tty) {
      terminalInput = new TerminalInput(in);
      in = terminalInput;
    }
    return in;
  }

  /** The terminal has its first size, or none is coming: input may flow. */
  void sized() {
    TerminalInput.sized(terminalInput);
  }

  /** The caller's end of stdin; {@code why} explains when there is none. */
  OutputStream stdin(String givenWhy, String noneWhy) {
    if (stdinPipe == null) {
      throw new IllegalStateException(givenStdin != null ? givenWhy : noneWhy);
    }
    return stdinPipe.sink();
  }

  InputStream stdout() {
    return stdoutPipe.source();
  }

  InputStream stderr() {
    return stderrPipe.source();
  }

  /** The daemon's stream ended: readers get their end of stream once the pipes are drained. */
  void outputEnded() {
    stdoutPipe.closeSink(null);
    stderrPipe.closeSink(null);
  }

  /** The process is gone: a TTY's input gets its end, a later write fails as on a dead pipe. */
  void inputEnded() {
    TerminalInput.release(terminalInput);
    if (stdinPipe != null) {
      stdinPipe.closeSink(null);
    }
  }

  /** Frees everything: input ended, the daemon's stream closed, the output pipes closed. */
  void release() {
    inputEnded();
    router.close();
    try {
      stdoutPipe.source().close();
      stderrPipe.source().close();
    } catch (IOException ignored) {
      // in-memory pipes
    }
  }
}
