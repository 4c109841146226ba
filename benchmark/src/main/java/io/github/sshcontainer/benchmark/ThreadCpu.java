package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * This JVM's CPU time thread by thread ({@code utime + stime} of each {@code
 * /proc/self/task/TID/stat}), for when the gateway and the benchmark that drives it share one
 * process: what the gateway's threads used can be told from what the JIT compiler, the garbage
 * collector and the benchmark's own threads used. Clock ticks of 10 ms, as {@link CpuClock}.
 */
final class ThreadCpu {
  /**
   * HotSpot's compiler and collector threads as {@code /proc} names them (the first 15 bytes of
   * the thread's name): {@code C1/C2 CompilerThreadN}, {@code Sweeper thread}; {@code GC
   * Thread#N} and {@code G1 …} (G1's workers, marker, refinement and service threads), and the
   * {@code VM Thread}, which runs the collector's pauses; with digits folded, as {@link
   * Usage#byName} has them.
   */
  private static final Pattern JIT_OR_GC = Pattern.compile(
      "CN CompilerThre|Sweeper thread|GC Thread#N|GN .*|VM Thread");

  /** CPU time so far: the process's (ended threads included) and each live thread's. */
  record Snapshot(long processTicks, Map<Long, Live> threads) {}

  /** One live thread: its {@code /proc} name and the ticks it has used. */
  record Live(String name, long ticks) {}

  /**
   * What was used between two snapshots, in nanoseconds.
   *
   * @param all the whole process, every thread
   * @param byName live threads by name, digits folded to {@code N} ({@code GC Thread#N}, {@code
   *     sshd-Listener[})
   * @param ended threads that ended in between (their names are gone with them)
   */
  record Usage(long all, Map<String, Long> byName, long ended) {
    /** The JIT compiler's and the garbage collector's threads. */
    long jitAndGc() {
      return sum(n -> JIT_OR_GC.matcher(n).matches());
    }

    /** Live threads whose name {@code names} accepts. */
    long sum(Predicate<String> names) {
      return byName.entrySet().stream().filter(e -> names.test(e.getKey()))
          .mapToLong(Map.Entry::getValue).sum();
    }
  }

  private ThreadCpu() {}

  static Snapshot take() {
    Map<Long, Live> threads = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (NoSuchFileException ended) {
          continue;
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        threads.put(Long.parseLong(task.getFileName().toString()),
            new Live(stat.substring(open + 1, close), ticks(stat)));
      }
      return new Snapshot(ticks(Files.readString(Path.of("/proc/self/stat"))), threads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/task", e);
    }
  }

  /** What this process used since {@code before}. */
  static Usage since(Snapshot before) {
    Snapshot now = take();
    Map<String, Long> byName = new TreeMap<>();
    long live = 0;
    for (Map.Entry<Long, Live> e : now.threads().entrySet()) {
      Live then = before.threads().get(e.getKey());
      long used = e.getValue().ticks() - (then == null ? 0 : then.ticks());
      byName.merge(folded(e.getValue().name()), used * CpuClock.NANOS_PER_TICK, Long::sum);
      live += used;
    }
    long all = now.processTicks() - before.processTicks();
    return new Usage(all * CpuClock.NANOS_PER_TICK, byName,
        Math.max(0, all - live) * CpuClock.NANOS_PER_TICK);
  }

  /**
   * A thread's name with digits folded to {@code N} and what follows a {@code [} dropped (MINA's
   * {@code sshd-Listener[1f2e3d4c]…}, cut to 15 bytes, ends in a hash digit): one name per kind.
   */
  private static String folded(String name) {
    return name.replaceAll("\\[.*", "[").replaceAll("[0-9]+", "N");
  }

  /** {@code utime + stime} of a {@code stat} line (fields 14 and 15). */
  private static long ticks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
