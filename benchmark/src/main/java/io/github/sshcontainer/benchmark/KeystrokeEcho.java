package io.github.sshcontainer.benchmark;

import java.time.Duration;

/**
 * Keystroke to echo on one {@link Terminal}: the time from sending one printable character
 * until that character comes back in the terminal's output, which is the pty's own echo (the
 * kernel's line discipline in the container) under {@code cat > /dev/null}, one keystroke at
 * a time. Every 50 keystrokes an untimed Enter clears the line (cat reads it and drops it).
 * The same method for every terminal, so that only the way in differs. Not thread-safe.
 */
final class KeystrokeEcho {
  private static final Duration LIMIT = Duration.ofSeconds(30);
  private static final String KEYS = "abcdefghijklmnopqrstuvwxyz";
  private static final int LINE = 50;

  private final Terminal terminal;
  private int typed;

  private KeystrokeEcho(Terminal terminal) {
    this.terminal = terminal;
  }

  /**
   * Waits for the shell's prompt, starts {@code cat > /dev/null} (after a marker the command's
   * own echo does not hold, so that cat's start is seen), then warms up: {@code burst}
   * keystrokes (a multiple of 50) typed one by one without waiting for their echoes, and once
   * all have come back, {@code paced} keystrokes as {@link #once()} types them. The burst is
   * for the JIT compiler: the gateway's SSH path has served many sessions before this, its web
   * path none, and without it the web path's first few hundred keystrokes would run
   * interpreted.
   *
   * @throws IllegalStateException when the prompt, the marker or an echo does not come within
   *     30 s
   */
  static KeystrokeEcho ready(Terminal terminal, int burst, int paced)
      throws InterruptedException {
    if (burst % LINE != 0) {
      throw new IllegalArgumentException("burst " + burst + " must be a multiple of " + LINE);
    }
    Terminal.Screen screen = terminal.screen();
    screen.awaitMore(0, LIMIT); // the prompt, the shell's first output
    int from = screen.size();
    terminal.type("echo RE\"\"ADY; cat > /dev/null\r");
    from = screen.await("READY\r\n", from, LIMIT);
    int echoes = 0;
    for (int i = 0; i < burst; i++) {
      terminal.type(new byte[] {(byte) KEYS.charAt(i % KEYS.length())});
      echoes++;
      if ((i + 1) % LINE == 0) {
        terminal.type("\r");
        echoes += 2; // \r\n
      }
    }
    screen.awaitMore(from + echoes - 1, LIMIT);
    KeystrokeEcho k = new KeystrokeEcho(terminal);
    for (int i = 0; i < paced; i++) {
      k.once();
    }
    return k;
  }

  /**
   * Ends the session as a person does: Enter and ^D end cat, {@code exit} the shell; then
   * waits for the session's end. A closed SSH connection or page also ends it, but the gateway
   * then stops the shell with TERM and, as an interactive shell ignores TERM, KILL after its
   * grace period.
   *
   * @throws IllegalStateException when the session has not ended within 30 s
   */
  void exit() throws InterruptedException {
    terminal.type("\r\u0004exit\r");
    if (!terminal.awaitEnd(LIMIT)) {
      throw new IllegalStateException("the shell did not exit within " + LIMIT + " of ^D and "
          + "exit");
    }
  }

  /** One keystroke: the nanoseconds from sending it until its echo arrived. */
  long once() throws InterruptedException {
    Terminal.Screen screen = terminal.screen();
    if (typed > 0 && typed % LINE == 0) {
      screen.expect((byte) '\n'); // Enter comes back as \r\n (onlcr)
      terminal.type("\r");
      screen.awaitExpected(LIMIT);
    }
    byte key = (byte) KEYS.charAt(typed % KEYS.length());
    typed++;
    screen.expect(key);
    long t0 = System.nanoTime();
    terminal.type(new byte[] {key});
    return screen.awaitExpected(LIMIT) - t0;
  }
}
