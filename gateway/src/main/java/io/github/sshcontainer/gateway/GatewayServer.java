package io.github.sshcontainer.gateway;

import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.internal.Algorithms;
import io.github.sshcontainer.gateway.internal.AuditLog;
import io.github.sshcontainer.gateway.internal.ConnectionRegistry;
import io.github.sshcontainer.gateway.internal.GatewayChannelFactory;
import io.github.sshcontainer.gateway.internal.GatewayThreads;
import io.github.sshcontainer.gateway.internal.HostKeys;
import io.github.sshcontainer.gateway.internal.Admission;
import io.github.sshcontainer.gateway.internal.Authentication;
import io.github.sshcontainer.gateway.internal.ObservedBackend;
import io.github.sshcontainer.gateway.internal.PolicyBackend;
import io.github.sshcontainer.gateway.internal.WebLinks;
import io.github.sshcontainer.gateway.internal.WebServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * An SSH server on Apache MINA SSHD whose every connection lands in a container the {@link
 * ContainerBackend} makes: ContainerSSH in Java.
 *
 * <pre>{@code
 * try (DockerClient docker = SshDocker.connect(TunnelOptions.builder("ssh://me@docker-host").build());
 *      DockerBackend backend = DockerBackend.create(docker, DockerBackendOptions.builder(
 *          ContainerSpec.of("alpine:3.20").build()).build(), BackendEvents.NONE);
 *      GatewayServer gateway = GatewayServer.start(GatewayOptions.builder(hostKey)
 *          .authorizedKeys(authorizedKeys).build(), backend, BackendEvents.NONE)) {
 *   gateway.awaitClose();
 * }
 * }</pre>
 *
 * The backend is wrapped in the gateway's own layers, the same for every backend: the request
 * policy of {@link GatewayOptions} (disabled requests, the env filter) and the events that
 * count what happens. Authentication is by public key (authorized keys, OpenSSH certificates
 * of trusted CAs, an auth webhook) and, only when asked, by password through the auth
 * webhook; never keyboard-interactive, host-based or GSSAPI. Only session channels open, so TCP and stream-local forwarding both
 * ways are refused, and so are agent and X11 forwarding; nothing runs on this host. The caller
 * owns the backend and closes it after the server. Thread-safe.
 */
public final class GatewayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** The bound of each of close's two waits: connections to end, then their clean-up. */
  private static final Duration CLOSE_STEP = Duration.ofSeconds(30);

  /** MINA's server, able to stop accepting while its connections go on (for a drain). */
  private static final class Listener extends SshServer {
    void stopAccepting() {
      if (acceptor != null) {
        acceptor.unbind();
      }
    }
  }

  private final Listener sshd;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService timer;
  private final ConnectionRegistry connections;
  private final PolicyBackend policy;
  private final BackendEvents events;
  private final String id;
  private volatile GatewayOptions options;
  private final Authentication authentication;
  /** The web terminal, or null without {@link GatewayOptions#web()}. */
  private final WebServer web;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);

  private GatewayServer(Listener sshd, ThreadPoolExecutor workers,
      ScheduledExecutorService timer, ConnectionRegistry connections, PolicyBackend policy,
      BackendEvents events, String id, GatewayOptions options, Authentication authentication,
      WebServer web) {
    this.sshd = sshd;
    this.web = web;
    this.authentication = authentication;
    this.workers = workers;
    this.timer = timer;
    this.connections = connections;
    this.policy = policy;
    this.events = events;
    this.id = id;
    this.options = options;
  }

  /** {@link #start(GatewayOptions, ContainerBackend, BackendEvents)} reporting to nobody. */
  public static GatewayServer start(GatewayOptions options, ContainerBackend backend) {
    return start(options, backend, BackendEvents.NONE);
  }

  /**
   * Reads (or generates) the host key and starts listening; what happens is reported to {@code
   * events} (logins refused, connections, requests, refusals, failures, sessions' ends). Give
   * the backend the same listener for what only it knows (a container's start).
   *
   * @throws IllegalStateException when the host key is unusable or the address cannot be bound
   */
  public static GatewayServer start(GatewayOptions options, ContainerBackend backend,
      BackendEvents events) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(events, "events");
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    ThreadPoolExecutor workers = GatewayThreads.workers(id);
    PolicyBackend policy = new PolicyBackend(backend, options);
    ContainerBackend layered = new ObservedBackend(policy, events);
    ScheduledExecutorService timer = GatewayThreads.timer(id);
    ConnectionRegistry connections = new ConnectionRegistry(options, layered, events, workers,
        timer);
    WebServer web = null;
    Listener sshd = null;
    Authentication authentication = null;
    try {
      AuditLog audit = options.auditDir().isPresent() ? AuditLog.open(options, connections,
          workers) : null;
      if (options.web().isPresent()) {
        // the same layered backend, registry (limits) and audit as the SSH connections';
        // made now (its TLS files and link key read), started once the SSH side listens
        web = WebServer.create(id, options.web().get(), linkKey(options), connections, layered,
            audit, workers, timer);
      }
      sshd = (Listener) ServerBuilder.builder().factory(Listener::new).build();
      if (options.legacyAlgorithms()) {
        log.warn("gateway {}: legacy algorithms on (NIST-curve key exchange, SHA-1 MACs and "
            + "ssh-rsa signatures are offered): only for clients too old for the modern set",
            id);
        Algorithms.legacy(sshd);
      } else {
        Algorithms.modern(sshd);
      }
      sshd.setHost(options.host());
      sshd.setPort(options.port());
      sshd.setKeyPairProvider(HostKeys.load(options.hostKey()));
      authentication = new Authentication(Admission.of(options, events), timer);
      authentication.install(sshd);
      CoreModuleProperties.AUTH_TIMEOUT.set(sshd, options.loginGraceTime());
      CoreModuleProperties.IDLE_TIMEOUT.set(sshd, options.idleTimeout());
      CoreModuleProperties.SERVER_IDENTIFICATION.set(sshd, "ssh-container-gateway");
      sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
      sshd.setChannelFactories(List.of(new GatewayChannelFactory(layered, connections,
          workers, web)));
      sshd.addSessionListener(connections);
      if (audit != null) {
        sshd.addSessionListener(audit); // after the registry: it names the connection
      }
      try {
        sshd.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot listen on " + options.host() + ":"
            + options.port() + ": " + e.getMessage() + " (is the port taken? choose another "
            + "with --listen, or 0 for any free one)", e);
      }
      if (web != null) {
        web.start();
      }
    } catch (RuntimeException e) {
      // nothing this start made is left running: the web terminal, the listener, the threads
      if (web != null) {
        web.close();
      }
      if (sshd != null && sshd.isStarted()) {
        try {
          sshd.stop(true);
        } catch (IOException stopping) {
          e.addSuppressed(stopping);
        }
      }
      workers.shutdownNow();
      timer.shutdownNow();
      if (authentication != null) {
        authentication.close();
      }
      throw e;
    }
    GatewayServer server = new GatewayServer(sshd, workers, timer, connections, policy, events,
        id, options, authentication, web);
    MDC.put("event", "listening");
    try {
      log.info("gateway {} listening on {}:{}", id, options.host(), sshd.getPort());
    } finally {
      MDC.remove("event");
    }
    return server;
  }

  /**
   * Reads what {@code options} name for authentication (authorized keys, trusted CA keys,
   * revoked keys, the webhook's TLS files) the way {@link #start} will, without starting
   * anything: to check a configuration before connecting to the Docker host.
   *
   * @throws IllegalArgumentException naming the file that cannot be used and why
   */
  public static void check(GatewayOptions options) {
    Admission.of(Objects.requireNonNull(options, "options"), BackendEvents.NONE).close();
  }

  /**
   * The file holding the key that signs web login links: the option's, else beside the host
   * key.
   */
  private static Path linkKey(GatewayOptions options) {
    return linkKey(options.hostKey(), options.web().orElseThrow());
  }

  private static Path linkKey(Path hostKey, WebOptions web) {
    return web.linkKey().orElseGet(() -> hostKey.toAbsolutePath().resolveSibling(
        "web_link_key"));
  }

  /**
   * A login link to the web terminal {@code w} of the gateway whose host key is {@code
   * hostKey}, for {@code user}, valid once for {@code ttl}: for an operator, who mints links
   * without the user's key ({@code ssh-container gateway web-link USER}). It is signed with
   * the running gateway's link key (by default beside its host key), which this process must
   * be able to read; the running gateway spends it.
   *
   * @throws IllegalArgumentException for a blank user, or a ttl that is not positive or is
   *     longer than {@link WebOptions.Builder#MAX_LINK_TTL}
   * @throws IllegalStateException without the key file (the gateway makes it at its first
   *     start with the web terminal on), or when the address users reach cannot be told
   *     (port 0 without a url)
   */
  public static String webLink(Path hostKey, WebOptions w, String user, Duration ttl) {
    Objects.requireNonNull(hostKey, "hostKey");
    Objects.requireNonNull(w, "w");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(ttl, "ttl");
    if (w.port() == 0 && w.url().isEmpty()) {
      throw new IllegalStateException("the web terminal's port is 0 (any free one), so a "
          + "link cannot name it: give --web with a fixed port, or --web-url");
    }
    if (user.isBlank()) {
      throw new IllegalArgumentException("a link needs a user (was '" + user + "')");
    }
    WebOptions.Builder.linkTtlChecked(ttl);
    String token = WebLinks.existing(linkKey(hostKey, w)).mint(user, ttl);
    return WebServer.base(w, w.port(), null) + "#t=" + token;
  }

  /** Where the web terminal listens, if it is on. */
  public Optional<InetSocketAddress> webAddress() {
    return web == null ? Optional.empty() : Optional.of(new InetSocketAddress(
        options.web().orElseThrow().host(), web.port()));
  }

  /** The web terminal's server, for tests of this package (null when off). */
  WebServer web() {
    return web;
  }

  /** The port it listens on (the one picked when the options said 0). */
  public int port() {
    return sshd.getPort();
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return new InetSocketAddress(sshd.getHost(), sshd.getPort());
  }

  /** The options in force for new connections. */
  public GatewayOptions options() {
    return options;
  }

  /** Connections open now, authenticated or not. */
  public int openConnections() {
    return connections.open();
  }

  /** Session channels open now, on every connection. */
  public int openSessions() {
    return connections.openSessions();
  }

  /**
   * New connections get {@code next}: its authorized keys (file or directory, read afresh),
   * trusted CA keys, revoked keys, auth webhook and password setting,
   * limits, login grace time, idle timeout and request policy; connections open now keep what
   * they started with. For a reload (SIGHUP).
   *
   * @throws IllegalArgumentException when {@code next} changes what only a restart can: the
   *     address, the port or the host key; nothing is changed then
   */
  public void reconfigure(GatewayOptions next) {
    Objects.requireNonNull(next, "next");
    GatewayOptions now = options;
    if (!now.host().equals(next.host()) || (next.port() != 0 && next.port() != port())
        || !now.hostKey().equals(next.hostKey())
        || !now.web().equals(next.web())) {
      throw new IllegalArgumentException("the listen address, the host key and the web "
          + "terminal's settings change only with a restart (now " + now.host() + ":" + port()
          + ", " + now.hostKey() + ", " + now.web().map(WebOptions::toString).orElse("no web")
          + ")");
    }
    Admission admission = Admission.of(next, events); // throws before any change
    authentication.replace(admission, sshd);
    CoreModuleProperties.AUTH_TIMEOUT.set(sshd, next.loginGraceTime());
    CoreModuleProperties.IDLE_TIMEOUT.set(sshd, next.idleTimeout());
    connections.reconfigure(next);
    policy.reconfigure(next);
    options = next;
  }

  /**
   * Stops accepting connections (the port is closed at once, so a load balancer moves on;
   * the web terminal answers logins 503 and lets its open sessions re-attach), gives the
   * sessions open now up to {@code timeout} to end by themselves, then {@link #close()}s. A
   * connection that holds no session (an idle ControlMaster) does not hold the drain up.
   * Idempotent with close.
   */
  public void drain(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (!timeout.isZero() && !closed.get() && draining.compareAndSet(false, true)) {
      sshd.stopAccepting();
      if (web != null) {
        web.stopAccepting(); // no new web sessions either; the open ones may re-attach
      }
      int open = connections.openSessions();
      log.info("gateway {} draining: {} sessions open, waiting up to {} s for them to end", id,
          open, timeout.toSeconds());
      try {
        if (!connections.awaitNoSessions(timeout)) {
          log.info("gateway {}: {} sessions still open after the drain timeout; closing them",
              id, connections.openSessions());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    close();
  }

  /** Blocks until {@link #close()} has finished (from another thread, or a shutdown hook). */
  public void awaitClose() throws InterruptedException {
    finished.await();
  }

  /**
   * Stops listening and closes every connection, then waits at most 30 s for the connections'
   * ends to be handled (each hands its handler's close, which stops and removes its container,
   * to the workers) and at most 30 s more for the workers to finish those closes. Idempotent: a
   * second call, as from a shutdown hook beside the main thread, returns once the first has
   * finished or after 65 s (so that what the caller closes next, such as the Docker client, is
   * no longer in use).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      try {
        long bound = 2 * CLOSE_STEP.toSeconds() + 5;
        if (!finished.await(bound, TimeUnit.SECONDS)) {
          log.warn("gateway {}: still closing after {} s", id, bound);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    if (web != null) {
      web.close(); // its sessions end first, as connections do below
    }
    try {
      sshd.stop(true);
    } catch (IOException e) {
      log.warn("gateway {}: stopping the listener: {}", id, e.toString());
    } finally {
      try {
        if (!connections.awaitNoConnections(CLOSE_STEP)) {
          log.warn("gateway {}: {} connections still open {} s after close", id,
              connections.open(), CLOSE_STEP.toSeconds());
        }
        timer.shutdownNow();
        authentication.close();
        workers.shutdown();
        if (!workers.awaitTermination(CLOSE_STEP.toSeconds(), TimeUnit.SECONDS)) {
          log.warn("gateway {}: work still running {} s after close", id,
              CLOSE_STEP.toSeconds());
          workers.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        timer.shutdownNow();
        authentication.close();
        workers.shutdownNow();
      }
      log.info("gateway {} closed", id);
      finished.countDown();
    }
  }
}
