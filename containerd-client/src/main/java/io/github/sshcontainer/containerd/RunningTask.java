package io.github.sshcontainer.containerd;

import java.time.Duration;
import java.util.Optional;

/** A started task: signal it, wait for it, and close to remove everything it used. */
public interface RunningTask extends AutoCloseable {
  /** The container id. */
  String id();

  /** The task's init process id on the remote host. */
  int pid();

  /** Sends {@code signal} (e.g. 15 for TERM, 9 for KILL) to the task's init process. */
  void kill(int signal);

  /** The live streams, when the spec asked for them ({@link RunSpec.Builder#live()}). */
  Optional<TaskIo> io();

  /**
   * Waits for the task to exit and brings its output back (for a live task the output was
   * read from {@link #io()}, and {@link TaskResult#output()} is empty).
   *
   * @throws ContainerdException TIMED_OUT if it runs longer than {@code timeout}
   */
  TaskResult await(Duration timeout);

  /** Kills the task if it still runs; removes task, container, snapshot and log. Idempotent. */
  @Override
  void close();
}
