package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time a process has used, user plus system ({@code utime + stime} in {@code
 * /proc/PID/stat}), threads that already ended included; optionally with that of the children it
 * has waited for ({@code cutime + cstime}). Clock ticks are 10 ms on Linux, so a measured phase
 * must run for seconds of CPU to be read to a few percent.
 */
final class CpuClock {
  /** {@code getconf CLK_TCK}: 100 on every Linux the benchmark runs on. */
  static final long NANOS_PER_TICK = 10_000_000L;

  private final long pid;
  private final boolean children;

  CpuClock(long pid) {
    this(pid, false);
  }

  private CpuClock(long pid, boolean children) {
    this.pid = pid;
    this.children = children;
  }

  /**
   * A clock of {@code pid} and of every child it has reaped, theirs included (a child's {@code
   * cutime} holds its own children's): sshd's listener, whose per-connection processes are its
   * children. A child still running counts only once it has ended and been waited for.
   */
  static CpuClock withReapedChildren(long pid) {
    return new CpuClock(pid, true);
  }

  /** CPU time used so far, in nanoseconds (always 0 for {@link #none()}). */
  long nanos() {
    if (pid < 0) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // the command name in parentheses may hold spaces: the fields count from its ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14, 15
      if (children) {
        ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime, cstime: 16, 17
      }
      return ticks * NANOS_PER_TICK;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CPU time of process " + pid, e);
    }
  }

  /** A clock that always reads 0: the direct path has no process in the middle. */
  static CpuClock none() {
    return new CpuClock(-1);
  }
}
