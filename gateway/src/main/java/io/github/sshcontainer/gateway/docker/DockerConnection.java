package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One connection of the Docker backend: in connection mode its container (made here, stopped
 * and removed on close), in session mode the containers of its sessions. Its close logs the one
 * INFO line of the connection.
 */
final class DockerConnection implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  private final DockerClient docker;
  private final DockerBackendOptions options;
  private final String shapedBy;
  private final BackendEvents events;
  private final ConnectionInfo info;
  private final ContainerSpec spec;
  private volatile OnDemandContainer container;
  /** In user mode: whose container it is, released on close; else null. */
  private final UserContainers.Key userKey;
  private final Shared shared;
  private final SessionUser user;
  private final Consumer<DockerConnection> onClose;
  private final long openedNanos = System.nanoTime();
  private final Set<DockerSession> sessions = ConcurrentHashMap.newKeySet();
  private final List<String> containers = new CopyOnWriteArrayList<>();
  private final AtomicInteger sessionCount = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ExitStatus lastExit;

  /**
   * What the backend's connections share: the image accounts read, the home volumes made, the
   * users' containers, and the warm pool (null when this connection may not take from it: its
   * options are not the pool's, or there is none).
   */
  record Shared(AccountsCache accounts, HomeVolumes homes, UserContainers users,
      WarmPool pool) {}

  private DockerConnection(DockerClient docker, DockerBackendOptions options, String shapedBy,
      BackendEvents events, ConnectionInfo info, ContainerSpec spec,
      OnDemandContainer container, UserContainers.Key userKey, Shared shared, SessionUser user,
      Consumer<DockerConnection> onClose) {
    this.docker = docker;
    this.options = options;
    this.shapedBy = shapedBy;
    this.events = events;
    this.info = info;
    this.spec = spec;
    this.container = container;
    this.userKey = userKey;
    this.shared = shared;
    this.user = user;
    this.onClose = onClose;
    if (container != null) {
      containers.add(container.id());
    }
  }

  /**
   * In connection mode, takes a warm container or launches the connection's own (blocking); in
   * user mode, gets the user's container (made now if none runs); in every mode resolves whom
   * the sessions run as ({@link SessionUser}), giving the container back when that fails.
   *
   * @param shapedBy what chose {@code options} ({@link PerConnectionOptions.Choice}); empty
   *     for nothing
   */
  static DockerConnection open(DockerClient docker, DockerBackendOptions options,
      String shapedBy, BackendEvents events, ConnectionInfo info, Shared shared,
      Consumer<DockerConnection> onClose) {
    Mode mode = options.mode();
    ContainerSpec.Builder b = options.confine(options.container().toBuilder())
        .label(DockerBackend.USER_LABEL, info.user());
    if (mode == Mode.USER) {
      // shared by the user's connections: no one connection's client or certificate
      b.label(DockerBackend.MODE_LABEL, "user");
    } else {
      b.label(DockerBackend.CLIENT_LABEL, info.client().getHostString() + ":"
          + info.client().getPort()).label(DockerBackend.CONNECTION_LABEL, info.connectionId());
      info.identity().certificate().ifPresent(cert -> b
          .label(DockerBackend.CERT_KEY_ID_LABEL, cert.keyId())
          .label(DockerBackend.CERT_SERIAL_LABEL, cert.serialText()));
    }
    if (!shapedBy.isEmpty()) {
      b.label(DockerBackend.SETTINGS_LABEL, shapedBy);
    }
    options.homeVolume().ifPresent(path -> b.bind(shared.homes().ensure(docker, info.user()),
        path, false));
    String name = options.containerNameFor(info.user(), info.connectionId(), 0);
    if (name != null && mode != Mode.SESSION) {
      b.name(name);
    }
    ContainerSpec spec = b.build();
    OnDemandContainer container = null;
    UserContainers.Key key = null;
    OnDemandContainer made = null; // user mode: the container made for this connection
    if (mode == Mode.CONNECTION) {
      SessionUser.refuseUnknownLogin(docker, shared.accounts(), options, spec, info);
      long t0 = System.nanoTime();
      WarmPool pool = shared.pool();
      container = pool == null ? null : pool.take().orElse(null);
      if (container != null) {
        pool.rename(container.id(), name != null ? name
            : options.defaultContainerName(info.user(), info.connectionId()));
        log.debug("gateway connection {}: warm container {}", info.connectionId(),
            container.id());
      } else {
        container = OnDemandContainer.launch(docker, spec);
      }
      events.containerStarted(info, Duration.ofNanos(System.nanoTime() - t0));
    } else if (mode == Mode.USER) {
      SessionUser.refuseUnknownLogin(docker, shared.accounts(), options, spec, info);
      key = new UserContainers.Key(info.user(), shapedBy);
      OnDemandContainer[] launched = new OnDemandContainer[1];
      container = shared.users().acquire(key, spec.image(), () -> {
        long t0 = System.nanoTime();
        launched[0] = OnDemandContainer.launch(docker, spec);
        events.containerStarted(info, Duration.ofNanos(System.nanoTime() - t0));
        return launched[0];
      }, spec.startTimeout().plusSeconds(30));
      made = launched[0];
    }
    SessionUser user;
    try {
      user = SessionUser.resolve(docker, shared.accounts(), options, spec, info,
          container == null ? null : container.id());
    } catch (RuntimeException e) {
      if (key != null) {
        shared.users().refused(key, made); // one made for a refused login goes at once
      } else if (container != null) {
        container.remove(); // a refused login leaves no container behind
      }
      throw e;
    }
    return new DockerConnection(docker, options, shapedBy, events, info, spec, container, key,
        shared, user, onClose);
  }

  @Override
  public SessionHandler onSessionChannel() {
    if (closed.get()) {
      throw new IllegalStateException("connection " + info.connectionId() + " is closed");
    }
    int n = sessionCount.incrementAndGet();
    DockerSession s = new DockerSession(this, n);
    sessions.add(s);
    return s;
  }

  @Override
  public List<String> containers() {
    return List.copyOf(containers);
  }

  @Override
  public String shapedBy() {
    return shapedBy;
  }

  DockerClient docker() {
    return docker;
  }

  DockerBackendOptions options() {
    return options;
  }

  BackendEvents events() {
    return events;
  }

  ConnectionInfo info() {
    return info;
  }

  ContainerSpec spec() {
    return spec;
  }

  /** Whom the sessions run as. */
  SessionUser user() {
    return user;
  }

  /** The connection's container in connection mode; null in session mode. */
  OnDemandContainer container() {
    return container;
  }

  /**
   * In user mode, after an exec found the user's container gone or stopped: the container
   * that replaces it (made now, or by another connection of the user meanwhile), which this
   * connection uses from now on. Null in the other modes: a connection's own container that
   * died is not replaced.
   */
  OnDemandContainer replaceDeadContainer() {
    if (userKey == null) {
      return null;
    }
    OnDemandContainer old = container;
    OnDemandContainer fresh = shared.users().replace(userKey, old, spec.image(), () -> {
      long t0 = System.nanoTime();
      OnDemandContainer c = OnDemandContainer.launch(docker, spec);
      events.containerStarted(info, Duration.ofNanos(System.nanoTime() - t0));
      return c;
    }, spec.startTimeout().plusSeconds(30));
    container = fresh;
    containers.add(fresh.id());
    return fresh;
  }

  void containerMade(String id) {
    containers.add(id);
  }

  void sessionEnded(DockerSession s, ExitStatus status) {
    if (status != null) {
      lastExit = status;
    }
    sessions.remove(s);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (container != null && userKey == null) {
      // first, and at once (KILL, no stop timeout): its end ends every exec in it, where
      // stopping each exec would wait for each in turn; its work is over with the connection
      container.remove();
    }
    for (DockerSession s : List.copyOf(sessions)) {
      s.close(); // user mode: TERM to the session's program, KILL after the stop timeout
    }
    if (userKey != null) {
      shared.users().release(userKey); // the last one starts the container's idle time
    }
    Duration took = Duration.ofNanos(System.nanoTime() - openedNanos);
    onClose.accept(this);
    MDC.put("event", "connection-closed");
    try {
      log.info("gateway connection {}: {} from {}: {}{} {}, {} sessions, {} ms, last exit {}{}{}",
          info.connectionId(), info.user(), info.client().getHostString() + ":"
              + info.client().getPort(), userKey != null ? "user " : "",
          containers.size() == 1 ? "container" : "containers",
          containers.stream().map(id -> id.substring(0, Math.min(12, id.length()))).toList(),
          sessionCount.get(), took.toMillis(), lastExit == null ? "none" : lastExit,
          shapedBy.isEmpty() ? "" : ", settings: " + shapedBy,
          info.identity().certificate().map(c -> ", certificate key id '" + c.keyId()
              + "' serial " + c.serialText()).orElse(""));
    } finally {
      MDC.remove("event");
    }
  }
}
