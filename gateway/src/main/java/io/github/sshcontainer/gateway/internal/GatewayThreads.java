package io.github.sshcontainer.gateway.internal;

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
