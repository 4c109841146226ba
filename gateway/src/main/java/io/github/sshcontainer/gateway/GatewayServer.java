package io.github.sshcontainer.gateway;

import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.internal.ConnectionRegistry;
import io.github.sshcontainer.gateway.internal.GatewayChannelFactory;
import io.github.sshcontainer.gateway.internal.GatewayThreads;
import io.github.sshcontainer.gateway.internal.HostKeys;
import io.github.sshcontainer.gateway.internal.KeyAuthenticator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SSH server on Apache MINA SSHD whose every connection lands in a container the {@link
 * ContainerBackend} makes: ContainerSSH in Java.
 *
 * <pre>{@code
 * try (DockerClient docker = SshDocker.connect(TunnelOptions.builder("ssh://me@docker-host").build());
 *      DockerBackend backend = DockerBackend.create(docker, DockerBackendOptions.builder(
 *          ContainerSpec.of("alpine:3.20").build()).build(), BackendEvents.NONE);
 *      GatewayServer gateway = GatewayServer.start(GatewayOptions.builder(hostKey)
 *          .authorizedKeys(authorizedKeys).build(), backend)) {
 *   gateway.awaitClose();
 * }
 * }</pre>
 *
 * Authentication is by public key only (no password, no keyboard-interactive); only session
 * channels open, so TCP and stream-local forwarding both ways are refused, and so are agent and
 * X11 forwarding; nothing runs on this host. The caller owns the backend and closes it after the
 * server. Thread-safe.
 */
public final class GatewayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(30);

  private final SshServer sshd;
  private final ThreadPoolExecutor workers;
  private final ConnectionRegistry connections;
  private final String id;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);

  private GatewayServer(SshServer sshd, ThreadPoolExecutor workers,
      ConnectionRegistry connections, String id) {
    this.sshd = sshd;
    this.workers = workers;
    this.connections = connections;
    this.id = id;
  }

  /**
   * Reads (or generates) the host key and starts listening.
   *
   * @throws IllegalStateException when the host key is unusable or the address cannot be bound
   */
  public static GatewayServer start(GatewayOptions options, ContainerBackend backend) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(backend, "backend");
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    ThreadPoolExecutor workers = GatewayThreads.workers(id);
    ConnectionRegistry connections = new ConnectionRegistry(options, backend, options.events(),
        workers);
    SshServer sshd = SshServer.setUpDefaultServer();
    sshd.setHost(options.host());
    sshd.setPort(options.port());
    sshd.setKeyPairProvider(HostKeys.load(options.hostKey()));
    sshd.setPublickeyAuthenticator(options.authorizedKeys()
        .map(f -> KeyAuthenticator.file(f, options.events()))
        .orElseGet(() -> KeyAuthenticator.directory(options.authorizedKeysDir().orElseThrow(),
            options.events())));
    sshd.setPasswordAuthenticator(null);
    sshd.setKeyboardInteractiveAuthenticator(null);
    sshd.setGSSAuthenticator(null);
    sshd.setHostBasedAuthenticator(null);
    CoreModuleProperties.AUTH_METHODS.set(sshd, "publickey");
    CoreModuleProperties.AUTH_TIMEOUT.set(sshd, options.loginGraceTime());
    CoreModuleProperties.IDLE_TIMEOUT.set(sshd, options.idleTimeout());
    CoreModuleProperties.SERVER_IDENTIFICATION.set(sshd, "ssh-container-gateway");
    sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
    sshd.setChannelFactories(List.of(new GatewayChannelFactory(backend, connections, workers,
        options.maxSessionsPerConnection())));
    sshd.addSessionListener(connections);
    try {
      sshd.start();
    } catch (IOException e) {
      workers.shutdownNow();
      throw new IllegalStateException("cannot listen on " + options.host() + ":"
          + options.port() + ": " + e.getMessage() + " (is the port taken? choose another "
          + "with --listen, or 0 for any free one)", e);
    }
    GatewayServer server = new GatewayServer(sshd, workers, connections, id);
    log.info("gateway {} listening on {}:{}", id, options.host(), sshd.getPort());
    return server;
  }

  /** The port it listens on (the one picked when the options said 0). */
  public int port() {
    return sshd.getPort();
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return new InetSocketAddress(sshd.getHost(), sshd.getPort());
  }

  /** Connections open now, authenticated or not. */
  public int openConnections() {
    return connections.open();
  }

  /** Blocks until {@link #close()} has finished (from another thread, or a shutdown hook). */
  public void awaitClose() throws InterruptedException {
    finished.await();
  }

  /**
   * Stops listening, closes every connection (their containers are stopped and removed by the
   * backend) and waits, at most 30 s, for the gateway's threads. Idempotent: a second call,
   * as from a shutdown hook beside the main thread, returns once the first has finished (so
   * that what the caller closes next, such as the Docker client, is no longer in use).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      try {
        if (!finished.await(2 * CLOSE_DEADLINE.toSeconds() + 5, TimeUnit.SECONDS)) {
          log.warn("gateway {}: still closing after {} s", id, 2 * CLOSE_DEADLINE.toSeconds() + 5);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      sshd.stop(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      // the sessions' close events hand their containers' removal to the workers first
      long end = System.nanoTime() + CLOSE_DEADLINE.toNanos();
      while (connections.open() > 0 && System.nanoTime() < end) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      workers.shutdown();
      try {
        if (!workers.awaitTermination(CLOSE_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
          log.warn("gateway {}: work still running {} s after close", id,
              CLOSE_DEADLINE.toSeconds());
          workers.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      log.info("gateway {} closed", id);
      finished.countDown();
    }
  }
}
