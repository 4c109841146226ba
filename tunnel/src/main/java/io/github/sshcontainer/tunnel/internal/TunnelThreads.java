package io.github.sshcontainer.tunnel.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place a tunnel's threads are made: daemon threads named {@code
 * ssh-container-<id>-<role>}, so that a thread dump says where each comes from, and tracked so
 * that {@code close()} can wait until every one has ended.
 */
final class TunnelThreads {
  /** Prefix of every thread name. */
  public static final String PREFIX = "ssh-container-";

  private final String id;
  private final AtomicInteger pumps = new AtomicInteger();
  private final Set<Thread> live = ConcurrentHashMap.newKeySet();

  public TunnelThreads(String id) {
    this.id = id;
  }

  /** Starts a daemon thread named {@code ssh-container-<id>-<role>}. */
  public Thread start(String role, Runnable body) {
    Thread t = create(role, body);
    t.start();
    return t;
  }

  /** Creates (does not start) a tracked daemon thread named {@code ssh-container-<id>-<role>}. */
  public Thread create(String role, Runnable body) {
    String name = PREFIX + id + "-" + role;
    Thread t = new Thread(() -> {
      Thread me = Thread.currentThread();
      me.setName(name); // JSch renames the threads it asks for; ours keep their names
      try {
        body.run();
      } finally {
        live.remove(me);
      }
    }, name);
    t.setDaemon(true);
    live.add(t);
    return t;
  }

  /** The next pump thread's role, {@code pump-<n>}. */
  public String nextPump() {
    return "pump-" + pumps.incrementAndGet();
  }

  /**
   * Waits until every thread made here has ended, at most until {@code deadlineNanos}
   * ({@link System#nanoTime()} based); returns the names of those still alive.
   */
  public List<String> awaitAll(long deadlineNanos) {
    for (Thread t : live) {
      if (t == Thread.currentThread()) {
        continue;
      }
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        t.join(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return live.stream().filter(t -> t != Thread.currentThread() && t.isAlive())
        .map(Thread::getName).toList();
  }

  /** Interrupts every live thread made here (they only block in interruptible waits). */
  public void interruptAll() {
    for (Thread t : live) {
      if (t != Thread.currentThread()) {
        t.interrupt();
      }
    }
  }
}
