package io.github.sshcontainer.gateway.internal;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one session's events one at a time, in the order they were given, on the gateway's
 * workers (never on MINA's I/O threads), as grpc's {@code SerializingExecutor} runs a call's
 * callbacks. A task that blocks (a container that starts) holds the ones behind it, so a
 * signal or window change that arrives during the start reaches the backend after it, never
 * before and never lost. Each task runs with the session's log context (connection, user,
 * client) in the MDC. Thread-safe.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  private final Executor workers;
  private final Map<String, String> context;
  private final Queue<Runnable> queue = new ArrayDeque<>();
  private boolean running; // guarded by queue

  SerialExecutor(Executor workers, Map<String, String> context) {
    this.workers = Objects.requireNonNull(workers, "workers");
    this.context = Map.copyOf(context);
  }

  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    synchronized (queue) {
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    try {
      workers.execute(this::drain);
    } catch (RejectedExecutionException shuttingDown) {
      drain(); // the gateway is closing: run here rather than drop a close
    }
  }

  private void drain() {
    Map<String, String> before = MDC.getCopyOfContextMap();
    context.forEach(MDC::put);
    try {
      while (true) {
        Runnable next;
        synchronized (queue) {
          next = queue.poll();
          if (next == null) {
            running = false;
            return;
          }
        }
        try {
          next.run();
        } catch (RuntimeException e) {
          log.warn("gateway: a session event failed: {}", e.toString());
        }
      }
    } finally {
      if (before == null) {
        MDC.clear();
      } else {
        MDC.setContextMap(before);
      }
    }
  }
}
