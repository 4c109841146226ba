package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import io.github.sshcontainer.tunnel.TunnelException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ContainerSSH's Docker backend: each connection lands in a container made on demand on the
 * daemon {@code docker} reaches (over SSH, a local socket or TLS), one per connection with an
 * exec per session (taken from a warm pool when there is one), one per session, or one per user
 * across connections ({@link DockerBackendOptions.Mode}), with the options a {@link
 * PerConnectionOptions} chooses for the login (else the backend's own). Containers carry the
 * ssh-container owner label and labels naming the user, client and connection, what shaped
 * their settings and the login's certificate; a backend that starts adopts the user containers
 * a gateway of this host left and removes the other containers a killed one left.
 *
 * <p>It knows nothing of the gateway's policy (which requests and env names pass) or counters:
 * the gateway wraps every backend in those. Of {@link BackendEvents} it reports only what a
 * Docker backend alone knows: {@link BackendEvents#containerStarted}.
 *
 * <p>The caller owns {@code docker} and closes it after the backend. Thread-safe.
 */
public final class DockerBackend implements ContainerBackend {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** The user name the container's connection logged in as. */
  public static final String USER_LABEL = "io.github.sshcontainer.gateway.user";
  /** The client's address, {@code host:port}. */
  public static final String CLIENT_LABEL = "io.github.sshcontainer.gateway.client";
  /** The gateway's connection id. */
  public static final String CONNECTION_LABEL = "io.github.sshcontainer.gateway.connection";
  /** On a user's home volume ({@link DockerBackendOptions.Builder#homeVolume}): the user. */
  public static final String HOME_LABEL = "io.github.sshcontainer.gateway.home";
  /**
   * What shaped the container's settings ({@link PerConnectionOptions.Choice#shapedBy()}:
   * {@code match 2 (user alice)}, {@code config webhook}); absent when nothing did.
   */
  public static final String SETTINGS_LABEL = "io.github.sshcontainer.gateway.settings";
  /** The key id of the OpenSSH certificate the login used; absent without one. */
  public static final String CERT_KEY_ID_LABEL = "io.github.sshcontainer.gateway.cert-key-id";
  /** The serial of the OpenSSH certificate the login used (unsigned); absent without one. */
  public static final String CERT_SERIAL_LABEL = "io.github.sshcontainer.gateway.cert-serial";
  /** {@code true} on a warm container ({@link DockerBackendOptions.Builder#warm}). */
  public static final String POOL_LABEL = "io.github.sshcontainer.gateway.pool";
  /** {@code user} on a user's container ({@link DockerBackendOptions.Mode#USER}). */
  public static final String MODE_LABEL = "io.github.sshcontainer.gateway.mode";

  private final DockerClient docker;
  private volatile Setup setup;
  private final BackendEvents events;
  private final Set<DockerConnection> open = ConcurrentHashMap.newKeySet();
  private final AccountsCache accounts = new AccountsCache();
  private final HomeVolumes homes = new HomeVolumes();
  private final UserContainers users;
  /** The warm pool of the top-level options, or null; swapped by a reload. */
  private volatile WarmPool pool;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);

  /** The options and the per-connection choice, swapped together by a reload. */
  private record Setup(DockerBackendOptions options, PerConnectionOptions perConnection) {}

  private DockerBackend(DockerClient docker, Setup setup, BackendEvents events) {
    this.docker = docker;
    this.setup = setup;
    this.events = events;
    this.users = new UserContainers(docker, setup.options().userIdleTimeout());
  }

  /**
   * A backend on {@code docker}. It removes the orphans of gateways of this host that were
   * killed, and checks the image: one that is missing under pull policy NEVER is a WARN here
   * (the gateway still starts) and an error for each session.
   */
  public static DockerBackend create(DockerClient docker, DockerBackendOptions options,
      BackendEvents events) {
    return create(docker, options, PerConnectionOptions.NONE, events);
  }

  /**
   * A backend on {@code docker} whose connections get the options {@code perConnection}
   * chooses over {@code options} (a config file's match blocks, a webhook), as {@link
   * #create(DockerClient, DockerBackendOptions, BackendEvents)} otherwise.
   */
  public static DockerBackend create(DockerClient docker, DockerBackendOptions options,
      PerConnectionOptions perConnection, BackendEvents events) {
    Objects.requireNonNull(docker, "docker");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(perConnection, "perConnection");
    Objects.requireNonNull(events, "events");
    DockerBackend b = new DockerBackend(docker, new Setup(options, perConnection), events);
    Set<String> adopted = Set.of();
    try {
      adopted = b.users.adopt(options.container());
    } catch (RuntimeException e) {
      log.warn("gateway: cannot look for user containers to adopt: {}", e.getMessage());
    }
    try {
      List<String> removed = OnDemandContainer.removeOrphans(docker, adopted);
      if (!removed.isEmpty()) {
        log.info("gateway: removed {} containers left by a gateway that was killed",
            removed.size());
      }
    } catch (RuntimeException e) {
      log.warn("gateway: cannot look for orphaned containers: {}", e.getMessage());
    }
    if (options.container().pullPolicy() == PullPolicy.NEVER) {
      try {
        docker.inspectImageCmd(options.container().image()).exec();
      } catch (RuntimeException e) {
        log.warn("gateway: the image {} is not on the Docker host and the pull policy is "
            + "never: every session will fail until it is loaded there (docker load)",
            options.container().image());
      }
    }
    if (wantsPool(options)) {
      b.pool = new WarmPool(docker, options, b.accounts);
    }
    return b;
  }

  private static boolean wantsPool(DockerBackendOptions o) {
    return o.warm() > 0 && o.mode() == DockerBackendOptions.Mode.CONNECTION;
  }

  /** Warm containers ready now (0 without a pool). */
  public int warmContainers() {
    WarmPool p = pool;
    return p == null ? 0 : p.size();
  }

  /** Users whose container (user mode) exists now. */
  public Set<String> userContainers() {
    return users.snapshot().keySet().stream().map(UserContainers.Key::user)
        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  /** {@code 15m}, {@code 90s}, {@code 2h}: how the options and the logs write a duration. */
  static String duration(Duration d) {
    long s = d.toSeconds();
    return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
  }

  /** The options new connections get (before {@link PerConnectionOptions} shapes them). */
  public DockerBackendOptions options() {
    return setup.options();
  }

  /**
   * New connections get {@code next} (a new image, limits, shell, subsystems); connections open
   * now keep the options they started with. For a reload (SIGHUP) of a running gateway. The
   * per-connection choice stays.
   */
  public void reconfigure(DockerBackendOptions next) {
    Objects.requireNonNull(next, "next");
    reconfigure(next, setup.perConnection());
  }

  /**
   * As {@link #reconfigure(DockerBackendOptions)}, and new connections are shaped by {@code
   * perConnection} (new match blocks, another webhook); both change at once.
   */
  public void reconfigure(DockerBackendOptions next, PerConnectionOptions perConnection) {
    setup = new Setup(Objects.requireNonNull(next, "next"),
        Objects.requireNonNull(perConnection, "perConnection"));
    users.idleTimeout(next.userIdleTimeout());
    synchronized (this) {
      WarmPool p = pool;
      if (closed.get()) {
        return;
      }
      if (wantsPool(next)) {
        if (p == null) {
          pool = new WarmPool(docker, next, accounts);
        } else {
          p.reconfigure(next); // the old options' containers go, the new ones come
        }
      } else if (p != null) {
        pool = null;
        p.close();
      }
    }
  }

  /**
   * Refuses a subsystem this backend has no program for; the rest is the gateway's policy.
   * With a {@link PerConnectionOptions} other than NONE a subsystem passes here: the
   * connection's own options, not known yet, decide when it starts.
   */
  @Override
  public void checkRequest(SessionRequest request) {
    Setup s = setup;
    DockerBackendOptions o = s.options();
    if (request.kind() == SessionRequest.Kind.SUBSYSTEM
        && s.perConnection() == PerConnectionOptions.NONE
        && !o.subsystems().containsKey(request.argument())) {
      throw new BackendException(Reason.REFUSED, "no subsystem '" + request.argument()
          + "' on this gateway" + (o.subsystems().isEmpty() ? ""
              : " (it has: " + String.join(", ", o.subsystems().keySet()) + ")"));
    }
  }

  @Override
  public ConnectionHandler onConnection(ConnectionInfo connection) {
    if (closed.get()) {
      throw new BackendException(Reason.UNAVAILABLE, "the gateway is shutting down");
    }
    Setup s = setup;
    PerConnectionOptions.Choice choice = choose(s, connection);
    DockerBackendOptions o = choice.options();
    // only a login with the top-level options may take a warm container, and not with a home
    // volume, which a container gets at its create
    WarmPool p = o == s.options() && o.homeVolume().isEmpty() ? pool : null;
    try {
      DockerConnection c = DockerConnection.open(docker, o, choice.shapedBy(), events,
          connection, new DockerConnection.Shared(accounts, homes, users, p), open::remove);
      open.add(c);
      return c;
    } catch (RemoteDockerException | TunnelException e) {
      log.warn("gateway connection {} ({}): no container: {}", connection.connectionId(),
          connection.display(), e.getMessage());
      throw DockerFailures.of(e, o.container().image());
    }
  }

  /** {@code connection}'s options, or a refusal logged in one WARN line. */
  private static PerConnectionOptions.Choice choose(Setup s, ConnectionInfo connection) {
    if (s.perConnection() == PerConnectionOptions.NONE) {
      return new PerConnectionOptions.Choice(s.options(), "");
    }
    try {
      return Objects.requireNonNull(s.perConnection().choose(connection, s.options()),
          "PerConnectionOptions.choose returned null");
    } catch (BackendException e) {
      log.warn("gateway connection {} ({}): refused ({}): {}", connection.connectionId(),
          connection.display(), e.getMessage(), e.getCause() != null
              && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      log.warn("gateway connection {} ({}): refused ({}): {}", connection.connectionId(),
          connection.display(), PerConnectionOptions.REFUSAL, e.toString());
      throw new BackendException(Reason.REFUSED, PerConnectionOptions.REFUSAL, e);
    }
  }

  /** Connections open now. */
  public int openConnections() {
    return open.size();
  }

  /**
   * Removes the warm pool and every open connection's containers; the users' containers (user
   * mode) stay for the next backend to adopt, their open sessions ended. Idempotent: a second
   * call returns once the first has finished (bounded by the stop timeout per open connection +
   * 60 s), so the caller may close the Docker client right after.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      long bound = setup.options().container().stopTimeout().toSeconds()
          * Math.max(1, open.size()) + 60;
      try {
        if (!finished.await(bound, TimeUnit.SECONDS)) {
          log.warn("gateway backend: still closing after {} s", bound);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      WarmPool p;
      synchronized (this) {
        p = pool;
        pool = null;
      }
      if (p != null) {
        p.close();
      }
      for (DockerConnection c : List.copyOf(open)) {
        c.close();
      }
      users.close(); // their containers stay for the next start to adopt
    } finally {
      finished.countDown();
    }
  }
}
