package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers of the backend's top-level options, created and started ahead of the logins that
 * take them ({@link DockerBackendOptions.Builder#warm}). The pool refills after each take, with
 * at most {@link #MAX_FILLERS} launches at once, and backs off (1 s doubling to a minute) while
 * the daemon fails; it never holds more than {@code size}. Each pooled container carries the owner labels
 * (a killed gateway's pool is removed by the next start's orphan sweep) and {@link
 * DockerBackend#POOL_LABEL}. A take checks that the container still runs (one inspect): one that
 * died or was removed behind the gateway's back is dropped, never handed out. Thread-safe.
 */
final class WarmPool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final long MAX_BACKOFF_MS = 60_000;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final DockerClient docker;
  private final ScheduledThreadPoolExecutor filler;
  /** Renames and removals, off the login's path and off the filler's. */
  private final ExecutorService chores;
  private final AccountsCache accounts;
  /** Guarded by this. */
  private final Deque<OnDemandContainer> ready = new ArrayDeque<>();
  /** Guarded by this. */
  private Generation generation;
  /** Fill tasks running or scheduled. Guarded by this. */
  private int fillers;
  /** Launches under way. Guarded by this. */
  private int launching;
  /** Launches at once: a refill after a burst of logins overlaps the daemon's round trips. */
  static final int MAX_FILLERS = 2;
  /** Guarded by this. */
  private boolean closed;
  /** Guarded by this. */
  private long backoffMs;

  /** What the pool makes now: a reconfiguration starts a new one. */
  private record Generation(ContainerSpec spec, int size) {}

  WarmPool(DockerClient docker, DockerBackendOptions options, AccountsCache accounts) {
    this.docker = docker;
    this.accounts = accounts;
    int n = POOLS.incrementAndGet();
    this.filler = new ScheduledThreadPoolExecutor(1, r -> daemon(r,
        "ssh-container-warm-pool-" + n));
    filler.setCorePoolSize(MAX_FILLERS);
    filler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a back-off wait ends
    this.chores = Executors.newSingleThreadExecutor(r -> daemon(r,
        "ssh-container-warm-pool-chores-" + n));
    synchronized (this) {
      generation = new Generation(spec(options), options.warm());
    }
    log.info("gateway: keeping {} warm containers of {}", options.warm(),
        options.container().image());
    schedule(0);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The pooled containers' spec: the options' own, confined, with the pool label. */
  static ContainerSpec spec(DockerBackendOptions options) {
    return options.confine(options.container().toBuilder())
        .label(DockerBackend.POOL_LABEL, "true").build();
  }

  /**
   * A running container of the pool, taken out of it (the pool refills), or empty when none is
   * ready. {@code spec} must be the one the pool makes now ({@link #spec}): after a reload the
   * old containers are gone.
   */
  Optional<OnDemandContainer> take() {
    while (true) {
      OnDemandContainer c;
      synchronized (this) {
        c = closed ? null : ready.pollFirst();
      }
      if (c == null) {
        return Optional.empty();
      }
      schedule(0);
      if (running(c)) {
        return Optional.of(c);
      }
      log.info("gateway: warm container {} is no longer running; dropped",
          c.id().substring(0, 12));
      discard(List.of(c));
    }
  }

  private static boolean running(OnDemandContainer c) {
    try {
      return c.running();
    } catch (RuntimeException e) {
      log.debug("gateway: warm container {} not inspected: {}", c.id(), e.toString());
      return false;
    }
  }

  /** Containers ready now. */
  synchronized int size() {
    return ready.size();
  }

  /** Renames a container handed out after its connection, off the login's path. */
  void rename(String id, String name) {
    try {
      chores.execute(() -> {
        try {
          docker.renameContainerCmd(id).withName(name).exec();
        } catch (RuntimeException e) {
          log.debug("gateway: container {} not renamed {}: {}", id.substring(0, 12), name,
              e.getMessage());
        }
      });
    } catch (RejectedExecutionException closing) {
      // the pool is closing: the container keeps Docker's name
    }
  }

  /**
   * From now on the pool makes containers of {@code next}; those made of the options before are
   * removed (in the background).
   */
  void reconfigure(DockerBackendOptions next) {
    List<OnDemandContainer> old;
    synchronized (this) {
      generation = new Generation(spec(next), next.warm());
      old = List.copyOf(ready);
      ready.clear();
      backoffMs = 0;
    }
    discard(old);
    schedule(0);
  }

  private void schedule(long delayMs) {
    synchronized (this) {
      if (closed || fillers >= MAX_FILLERS
          || ready.size() + launching + fillers >= generation.size()) {
        return;
      }
      fillers++;
    }
    try {
      filler.schedule(this::fill, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      synchronized (this) {
        fillers--;
      }
    }
  }

  /** Makes containers until the pool is full; on a failure, tries again later. */
  private void fill() {
    while (true) {
      Generation g;
      synchronized (this) {
        if (closed || ready.size() + launching >= generation.size()) {
          fillers--;
          return;
        }
        g = generation;
        launching++;
      }
      if (fillers() < MAX_FILLERS) {
        schedule(0); // another launch beside this one, while more are missing
      }
      OnDemandContainer c;
      try {
        c = OnDemandContainer.launch(docker, g.spec());
      } catch (RuntimeException e) {
        long wait;
        synchronized (this) {
          launching--;
          backoffMs = backoffMs == 0 ? 1000 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
          wait = backoffMs;
          fillers--;
        }
        if (wait == 1000) {
          log.warn("gateway: cannot make a warm container of {}: {}; trying again, waiting "
              + "up to {} s between tries", g.spec().image(), e.getMessage(),
              MAX_BACKOFF_MS / 1000);
        } else {
          log.debug("gateway: warm container not made, again in {} ms: {}", wait,
              e.getMessage());
        }
        schedule(wait);
        return;
      }
      try {
        accounts.ofContainer(docker, c.id()); // the image's users read ahead of the login
      } catch (RuntimeException e) {
        log.debug("gateway: accounts of warm container {} not read: {}", c.id(), e.toString());
      }
      boolean keep;
      boolean recovered;
      synchronized (this) {
        launching--;
        keep = !closed && generation == g && ready.size() < g.size();
        recovered = backoffMs > 0;
        backoffMs = 0;
        if (keep) {
          ready.addLast(c);
        }
      }
      if (recovered) {
        log.info("gateway: warm containers are made again");
      }
      if (!keep) {
        c.remove();
      }
    }
  }

  private synchronized int fillers() {
    return fillers;
  }

  private void discard(List<OnDemandContainer> containers) {
    if (containers.isEmpty()) {
      return;
    }
    try {
      chores.execute(() -> containers.forEach(OnDemandContainer::remove));
    } catch (RejectedExecutionException closing) {
      containers.forEach(OnDemandContainer::remove);
    }
  }

  /** Stops refilling and removes the containers that are ready (bounded: a minute). */
  @Override
  public void close() {
    List<OnDemandContainer> left;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      left = List.copyOf(ready);
      ready.clear();
    }
    filler.shutdown(); // not interrupted: a launch under way ends, and fill removes it
    try {
      filler.awaitTermination(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    chores.execute(() -> left.forEach(OnDemandContainer::remove));
    chores.shutdown();
    try {
      if (!chores.awaitTermination(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS)) {
        log.warn("gateway: warm containers still being removed after a minute");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
