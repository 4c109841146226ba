package io.github.sshcontainer.gateway.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's worker threads (container starts, session starts, closes): daemon threads named
 * {@code ssh-container-gateway-<id>-worker-<n>}, kept 30 s when idle, made here only.
 */
public final class GatewayThreads {
  private GatewayThreads() {}

  /** One daemon thread for the gateway's deadlines, {@code …-<id>-timer}. */
  public static ScheduledExecutorService timer(String id) {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, body -> {
      Thread th = new Thread(body, "ssh-container-gateway-" + id + "-timer");
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  public static ThreadPoolExecutor workers(String id) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), body -> {
          Thread t = new Thread(body, "ssh-container-gateway-" + id + "-worker-"
              + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }
}
