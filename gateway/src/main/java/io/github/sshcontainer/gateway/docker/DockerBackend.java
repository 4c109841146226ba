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
 * exec per session, or one per session ({@link DockerBackendOptions.Mode}). Containers carry
 * the ssh-container owner label and labels naming the user, client and connection; a backend
 * that starts removes the containers a killed gateway of this host left.
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

  private final DockerClient docker;
  private volatile DockerBackendOptions options;
  private final BackendEvents events;
  private final Set<DockerConnection> open = ConcurrentHashMap.newKeySet();
  private final AccountsCache accounts = new AccountsCache();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);

  private DockerBackend(DockerClient docker, DockerBackendOptions options,
      BackendEvents events) {
    this.docker = docker;
    this.options = options;
    this.events = events;
  }

  /**
   * A backend on {@code docker}. It removes the orphans of gateways of this host that were
   * killed, and checks the image: one that is missing under pull policy NEVER is a WARN here
   * (the gateway still starts) and an error for each session.
   */
  public static DockerBackend create(DockerClient docker, DockerBackendOptions options,
      BackendEvents events) {
    Objects.requireNonNull(docker, "docker");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(events, "events");
    DockerBackend b = new DockerBackend(docker, options, events);
    try {
      List<String> removed = OnDemandContainer.removeOrphans(docker);
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
    return b;
  }

  /** The options new connections get. */
  public DockerBackendOptions options() {
    return options;
  }

  /**
   * New connections get {@code next} (a new image, limits, shell, subsystems); connections open
   * now keep the options they started with. For a reload (SIGHUP) of a running gateway.
   */
  public void reconfigure(DockerBackendOptions next) {
    this.options = Objects.requireNonNull(next, "next");
  }

  /** Refuses a subsystem this backend has no program for; the rest is the gateway's policy. */
  @Override
  public void checkRequest(SessionRequest request) {
    DockerBackendOptions o = options;
    if (request.kind() == SessionRequest.Kind.SUBSYSTEM
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
    DockerBackendOptions o = options;
    try {
      DockerConnection c = DockerConnection.open(docker, o, events, connection, accounts,
          open::remove);
      open.add(c);
      return c;
    } catch (RemoteDockerException | TunnelException e) {
      log.warn("gateway connection {} ({}): no container: {}", connection.connectionId(),
          connection.display(), e.getMessage());
      throw DockerFailures.of(e, o.container().image());
    }
  }

  /** Connections open now. */
  public int openConnections() {
    return open.size();
  }

  /**
   * Stops and removes every open connection's containers. Idempotent: a second call returns
   * once the first has finished (bounded by the stop timeout per open connection + 60 s), so
   * the caller may close the Docker client right after.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      long bound = options.container().stopTimeout().toSeconds() * Math.max(1, open.size()) + 60;
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
      for (DockerConnection c : List.copyOf(open)) {
        c.close();
      }
    } finally {
      finished.countDown();
    }
  }
}
