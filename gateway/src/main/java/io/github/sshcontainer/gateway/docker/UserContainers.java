package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.RemoteDockerException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The containers of {@link DockerBackendOptions.Mode#USER}: one per user name (and per what
 * shaped its settings: a user whom two match blocks shape gets two), made by the first
 * connection, shared by every connection of that user that overlaps or follows, and removed
 * {@code idleTimeout} after the last one ended. Connections that come while the first is still
 * making the container wait for that one. A container found dead when a connection comes
 * (killed or removed behind the gateway's back) is replaced; one of another image than the
 * options name now (a reload changed it) is replaced when no other connection uses it.
 *
 * <p>Closing keeps the containers on the Docker host: the next backend that starts in user mode
 * adopts them ({@link #adopt}) and starts their idle time again. Thread-safe.
 */
final class UserContainers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** Ids held by a user-mode backend of this JVM: not another's to adopt. */
  private static final Set<String> HELD = ConcurrentHashMap.newKeySet();
  private static final AtomicInteger TIMERS = new AtomicInteger();

  /** Whose container: the user, and what shaped its settings ("" for nothing). */
  record Key(String user, String shapedBy) {}

  /** A container and the image it was made from. */
  private record Held(OnDemandContainer container, String image) {}

  /** One user's container: guarded by the enclosing instance. */
  private static final class Entry {
    CompletableFuture<Held> current;
    int connections;
    ScheduledFuture<?> idle;
    /** When the container was last seen running (made, inspected, a connection ended well). */
    volatile long aliveAtNanos;
  }

  /**
   * A container seen running this recently is not inspected again when a connection comes: a
   * user's connections that follow each other (Ansible's tasks, rsync, git) cost one round trip
   * to the daemon fewer each. One killed behind the gateway's back meanwhile fails the next
   * exec, and that exec runs in a new one made in its place ({@link #replace}).
   */
  static final Duration TRUSTED_FOR = Duration.ofSeconds(10);

  private final DockerClient docker;
  private final ScheduledThreadPoolExecutor timer;
  private volatile Duration idleTimeout;
  /** Guarded by this. */
  private final Map<Key, Entry> entries = new HashMap<>();
  /** Guarded by this. */
  private boolean closed;

  UserContainers(DockerClient docker, Duration idleTimeout) {
    this.docker = docker;
    this.idleTimeout = idleTimeout;
    int n = TIMERS.incrementAndGet();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "ssh-container-user-idle-" + n);
      t.setDaemon(true);
      return t;
    });
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    timer.setRemoveOnCancelPolicy(true);
  }

  /** Idle times that start from now on last {@code timeout} (a reload). */
  void idleTimeout(Duration timeout) {
    this.idleTimeout = timeout;
  }

  /**
   * The container of {@code key}'s user, made now by {@code launch} when there is none that
   * runs; the caller {@link #release}s it when its connection ends.
   *
   * @param wait how long to wait for another connection's launch of the same container
   * @throws RemoteDockerException what {@code launch} throws (to every connection waiting for
   *     it), TIMED_OUT past {@code wait}
   */
  OnDemandContainer acquire(Key key, String image, Supplier<OnDemandContainer> launch,
      Duration wait) {
    while (true) {
      Entry e;
      CompletableFuture<Held> f;
      boolean mine = false;
      synchronized (this) {
        if (closed) {
          throw new RemoteDockerException(RemoteDockerException.Reason.DAEMON_UNAVAILABLE,
              "the gateway is shutting down");
        }
        e = entries.computeIfAbsent(key, k -> new Entry());
        if (e.current == null) {
          e.current = new CompletableFuture<>();
          mine = true;
        }
        f = e.current;
        e.connections++;
        if (e.idle != null) {
          e.idle.cancel(false);
          e.idle = null;
        }
      }
      if (mine) {
        OnDemandContainer c;
        try {
          c = launch.get();
        } catch (RuntimeException failure) {
          synchronized (this) {
            e.current = null;
            e.connections--;
            if (e.connections == 0) {
              entries.remove(key, e);
            }
          }
          f.completeExceptionally(failure);
          throw failure;
        }
        HELD.add(c.id());
        e.aliveAtNanos = System.nanoTime();
        f.complete(new Held(c, image));
        log.info("gateway: {}'s container {} made (user mode)", key.user(), shortId(c.id()));
        return c;
      }
      Held h = await(f, key, wait);
      if (h == null) {
        synchronized (this) {
          e.connections--;
          if (e.connections == 0 && e.current == f) {
            e.current = null;
            entries.remove(key, e);
          }
        }
        continue; // the launch this connection waited for failed: it tries one itself
      }
      boolean dead;
      try {
        dead = System.nanoTime() - e.aliveAtNanos > TRUSTED_FOR.toNanos()
            && !h.container().running();
        if (!dead) {
          e.aliveAtNanos = System.nanoTime();
        }
      } catch (RuntimeException failure) {
        release(key);
        throw failure;
      }
      boolean replace;
      synchronized (this) {
        replace = e.current == f && (dead || (!h.image().equals(image) && e.connections == 1));
        if (!replace && !dead) {
          return h.container(); // this connection keeps the hold it took above
        }
        e.connections--;
        if (replace) {
          e.current = null;
        }
      }
      if (replace) {
        log.info("gateway: {}'s container {} {}; a new one is made", key.user(),
            shortId(h.container().id()), dead ? "is no longer running" : "runs " + h.image()
                + ", not " + image);
        HELD.remove(h.container().id());
        h.container().remove();
      }
    }
  }

  private static Held await(CompletableFuture<Held> f, Key key, Duration wait) {
    try {
      return f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException failed) {
      return null;
    } catch (TimeoutException e) {
      throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, key.user()
          + "'s container was not ready within " + wait.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT,
          "interrupted waiting for " + key.user() + "'s container", e);
    }
  }

  /**
   * A connection refused after {@link #acquire} (its login is not one the image has): when
   * no other connection has the container and it was made for this one, it goes now, not
   * after the idle time, so that a name tried buys no container.
   */
  void refused(Key key, OnDemandContainer made) {
    Held h = null;
    synchronized (this) {
      Entry e = entries.get(key);
      if (e == null) {
        return;
      }
      if (e.connections == 1 && e.current != null && e.current.isDone()
          && !e.current.isCompletedExceptionally()
          && e.current.join().container() == made && made != null) {
        h = e.current.join();
        e.connections = 0;
        entries.remove(key, e);
      }
    }
    if (h == null) {
      release(key);
      return;
    }
    HELD.remove(h.container().id());
    h.container().remove();
  }

  /**
   * An exec of a connection that holds {@code key}'s container found {@code old} gone or
   * stopped: the container that replaces it, made now by {@code launch} unless another
   * connection of the user replaced it already. The connection keeps its hold.
   *
   * @throws RemoteDockerException what {@code launch} throws, TIMED_OUT past {@code wait}
   */
  OnDemandContainer replace(Key key, OnDemandContainer old, String image,
      Supplier<OnDemandContainer> launch, Duration wait) {
    Entry e;
    CompletableFuture<Held> f;
    boolean mine = false;
    synchronized (this) {
      e = entries.get(key);
      if (e == null || closed) {
        throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_NOT_FOUND,
            key.user() + "'s container is gone");
      }
      Held now = e.current != null && e.current.isDone() && !e.current.isCompletedExceptionally()
          ? e.current.join() : null;
      if (e.current == null || e.current.isCompletedExceptionally()
          || (now != null && now.container() == old)) {
        e.current = new CompletableFuture<>();
        mine = true;
      }
      f = e.current;
    }
    if (!mine) {
      Held h = await(f, key, wait);
      if (h == null) {
        throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
            key.user() + "'s container could not be made again");
      }
      return h.container();
    }
    HELD.remove(old.id());
    old.remove();
    OnDemandContainer c;
    try {
      c = launch.get();
    } catch (RuntimeException failure) {
      synchronized (this) {
        if (e.current == f) {
          e.current = null;
        }
      }
      f.completeExceptionally(failure);
      throw failure;
    }
    HELD.add(c.id());
    e.aliveAtNanos = System.nanoTime();
    f.complete(new Held(c, image));
    log.info("gateway: {}'s container {} was gone; {} made in its place (user mode)",
        key.user(), shortId(old.id()), shortId(c.id()));
    return c;
  }

  /** A connection of {@code key}'s user ended; the last one starts the idle time. */
  void release(Key key) {
    synchronized (this) {
      Entry e = entries.get(key);
      if (e == null || --e.connections > 0 || closed) {
        return;
      }
      CompletableFuture<Held> f = e.current;
      if (f == null) {
        entries.remove(key, e);
        return;
      }
      idle(key, e, idleTimeout);
    }
  }

  /** Guarded by this. */
  private void idle(Key key, Entry e, Duration after) {
    e.idle = timer.schedule(() -> expire(key, e, after), after.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void expire(Key key, Entry e, Duration after) {
    Held h;
    synchronized (this) {
      if (closed || e.connections > 0 || entries.get(key) != e || e.current == null
          || !e.current.isDone() || e.current.isCompletedExceptionally()) {
        return;
      }
      h = e.current.join();
      entries.remove(key, e);
    }
    HELD.remove(h.container().id());
    h.container().remove();
    log.info("gateway: {}'s container {} removed: no connection for {}", key.user(),
        shortId(h.container().id()), DockerBackend.duration(after));
  }

  /** Users whose container exists now, with their connections. */
  synchronized Map<Key, Integer> snapshot() {
    Map<Key, Integer> m = new HashMap<>();
    entries.forEach((k, e) -> {
      if (e.current != null && e.current.isDone() && !e.current.isCompletedExceptionally()) {
        m.put(k, e.connections);
      }
    });
    return m;
  }

  /**
   * Takes the user containers that a gateway of this host left (it was stopped, or killed)
   * into this one, found by their labels: running ones start their idle time now, stopped ones
   * are removed. A container another live gateway holds (its owner label names a running
   * program, or this JVM's backend holds it) is left alone.
   *
   * @return the ids adopted: the orphan sweep must leave them
   */
  Set<String> adopt(ContainerSpec spec) {
    List<Container> found = docker.listContainersCmd().withShowAll(true).withLabelFilter(
        Map.of(DockerBackend.MODE_LABEL, "user", OnDemandContainer.MANAGED_LABEL, "true"))
        .exec();
    Set<String> adopted = ConcurrentHashMap.newKeySet();
    List<String> users = new ArrayList<>();
    for (Container c : found) {
      Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
      String owner = labels.get(OnDemandContainer.OWNER_LABEL);
      String user = labels.get(DockerBackend.USER_LABEL);
      boolean left = owner != null && (OnDemandContainer.ownerIsGone(owner)
          || (owner.equals(OnDemandContainer.owner()) && !HELD.contains(c.getId())));
      if (!left || user == null) {
        continue;
      }
      OnDemandContainer container = OnDemandContainer.adopt(docker, c.getId(), spec);
      if (!"running".equals(c.getState())) {
        container.remove();
        log.info("gateway: removed {}'s stopped container {} left by a gateway before",
            user, shortId(c.getId()));
        continue;
      }
      Key key = new Key(user, labels.getOrDefault(DockerBackend.SETTINGS_LABEL, ""));
      synchronized (this) {
        if (entries.containsKey(key)) {
          continue; // two for one user: the second is left to the orphan sweep
        }
        Entry e = new Entry();
        e.current = CompletableFuture.completedFuture(new Held(container, c.getImage()));
        entries.put(key, e);
        idle(key, e, idleTimeout);
      }
      HELD.add(c.getId());
      adopted.add(c.getId());
      users.add(user);
    }
    if (!adopted.isEmpty()) {
      log.info("gateway: adopted {} user containers a gateway before left ({}); each goes {} "
          + "after its last connection", adopted.size(), String.join(", ", users),
          DockerBackend.duration(idleTimeout));
    }
    return adopted;
  }

  /**
   * Stops the idle timers and leaves the containers on the Docker host for the next start to
   * adopt (their connections' sessions are closed by the connections).
   */
  @Override
  public void close() {
    List<String> kept = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Entry e : entries.values()) {
        if (e.idle != null) {
          e.idle.cancel(false);
        }
        if (e.current != null && e.current.isDone() && !e.current.isCompletedExceptionally()) {
          kept.add(e.current.join().container().id());
        }
      }
      entries.clear();
    }
    timer.shutdownNow();
    HELD.removeAll(kept);
    if (!kept.isEmpty()) {
      log.info("gateway: {} user containers stay on the Docker host for the next start to "
          + "adopt", kept.size());
    }
  }

  private static String shortId(String id) {
    return id.substring(0, Math.min(12, id.length()));
  }
}
