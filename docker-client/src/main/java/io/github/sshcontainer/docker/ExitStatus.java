package io.github.sshcontainer.docker;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How a process in a container ended: with an exit code, or killed by a signal. Immutable.
 *
 * <p>Docker reports a death by signal N as exit code 128+N, the same number {@code exit 137}
 * gives. So a session reports a signal when it delivered that signal itself ({@link
 * ExecSession#signal}, or {@code close()}), or when the daemon says the container was killed
 * for memory (KILL); any other 128+N stays an exit code.
 */
public final class ExitStatus {
  private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT",
      "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD",
      "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
      "IO", "PWR", "SYS"};

  private final int code;
  private final String signal;

  private ExitStatus(int code, String signal) {
    this.code = code;
    this.signal = signal;
  }

  /** Ended with {@code code} (0 to 255). */
  public static ExitStatus code(int code) {
    if (code < 0 || code > 255) {
      throw new IllegalArgumentException("exit code " + code + " must be 0..255");
    }
    return new ExitStatus(code, null);
  }

  /** Killed by {@code signal}, a name as {@code kill -l} prints it ({@code TERM}, {@code KILL}). */
  public static ExitStatus signal(String signal) {
    String name = signalName(signal);
    return new ExitStatus(128 + signalNumber(name), name);
  }

  /** The signal's name without {@code SIG}, upper case, for a name or a number ("15", "TERM"). */
  public static String signalName(String signal) {
    Objects.requireNonNull(signal, "signal");
    String s = signal.trim().toUpperCase(Locale.ROOT);
    if (s.startsWith("SIG")) {
      s = s.substring(3);
    }
    if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
      int n = Integer.parseInt(s);
      if (n > 0 && n < NAMES.length) {
        return NAMES[n];
      }
      throw new IllegalArgumentException("signal number " + signal + " must be 1.."
          + (NAMES.length - 1));
    }
    for (int i = 1; i < NAMES.length; i++) {
      if (NAMES[i].equals(s)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown signal '" + signal + "': use a name such as "
        + "TERM, INT, HUP, KILL, USR1 or a number 1.." + (NAMES.length - 1));
  }

  /** The Linux number of a signal name ({@code TERM} is 15). */
  public static int signalNumber(String signal) {
    String name = signalName(signal);
    for (int i = 1; i < NAMES.length; i++) {
      if (NAMES[i].equals(name)) {
        return i;
      }
    }
    throw new IllegalStateException(name);
  }

  /**
   * The signal named by a Docker exit code, if it is 128+N for a known signal N (not saying that
   * the process died of it: see the class comment).
   */
  public static Optional<String> signalOfCode(int code) {
    int n = code - 128;
    return n > 0 && n < NAMES.length ? Optional.of(NAMES[n]) : Optional.empty();
  }

  /** True if the process was killed by a signal. */
  public boolean isSignal() {
    return signal != null;
  }

  /** The signal's name ({@code KILL}), if killed by one. */
  public Optional<String> signal() {
    return Optional.ofNullable(signal);
  }

  /**
   * The exit code as a shell reports it: the code, or 128 + the signal number for a signal
   * (what {@code ssh} and {@code docker exec} return).
   */
  public int code() {
    return code;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExitStatus e && e.code == code && Objects.equals(e.signal, signal);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, signal);
  }

  @Override
  public String toString() {
    return signal != null ? "signal " + signal : "exit " + code;
  }
}
