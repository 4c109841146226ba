package io.github.sshcontainer.benchmark;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.gateway.GatewayCounters;
import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.GatewayServer;
import io.github.sshcontainer.gateway.WebOptions;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One gateway the benchmark logs in to: a Docker backend of the given options on a Docker client
 * the caller owns, a {@link GatewayServer} on 127.0.0.1 in front of it (authorized key: the
 * lab's client key; host key {@code dir/hk}, shared by every gateway of {@code dir}) and, when
 * given a delay, a {@link DelayProxy} in front of that. {@link #client()} is OpenSSH pointed at
 * it as user {@code bench}. With the web terminal on ({@link #startWithWeb}), the page listens
 * on 127.0.0.1 too, behind a proxy of the same delay of its own, so that a page and {@code ssh}
 * cross the same round trip. Closing removes what it made: the proxies, the server, the backend
 * with its warm pool, and in user mode the user's container, which a backend leaves for the
 * next one to adopt.
 */
final class GatewayUnderTest implements AutoCloseable {
  private static final Duration SOON = Duration.ofMinutes(2);

  private final DockerClient docker;
  private final DockerBackend backend;
  private final GatewayCounters counters = new GatewayCounters();
  private final GatewayServer server;
  private final DelayProxy clientLeg;
  private final DelayProxy webLeg;
  private final OpenSshClient client;

  private GatewayUnderTest(Lab lab, DockerClient docker, DockerBackendOptions options, Path dir,
      Duration oneWay, boolean web) throws IOException {
    this.docker = docker;
    Path authorized = dir.resolve("ak");
    if (!Files.exists(authorized)) {
      Files.copy(Path.of(lab.clientKey() + ".pub"), authorized);
    }
    backend = DockerBackend.create(docker, options, counters);
    GatewayOptions.Builder o = GatewayOptions.builder(dir.resolve("hk"))
        .listen("127.0.0.1", 0).authorizedKeys(authorized).maxConnectionsPerUser(100)
        .maxUnauthenticated(100);
    if (web) {
      o.web(WebOptions.listen("127.0.0.1", 0).build());
    }
    server = GatewayServer.start(o.build(), backend, counters);
    clientLeg = oneWay == null ? null : DelayProxy.start(server.port(), oneWay);
    webLeg = oneWay == null || !web ? null : DelayProxy.start(server.webAddress().orElseThrow()
        .getPort(), oneWay);
    int port = clientLeg == null ? server.port() : clientLeg.port();
    Path knownHosts = Files.writeString(dir.resolve("kh-" + port), Keys.knownHostsLine(
        dir.resolve("hk"), port) + "\n");
    client = new OpenSshClient(lab.clientKey(), knownHosts, port, "bench");
  }

  /**
   * Starts a gateway on {@code docker} (left open on close).
   *
   * @param oneWay the client leg's delay each way; null for no proxy at all
   */
  static GatewayUnderTest start(Lab lab, DockerClient docker, DockerBackendOptions options,
      Path dir, Duration oneWay) throws IOException {
    return new GatewayUnderTest(lab, docker, options, dir, oneWay, false);
  }

  /** As {@link #start}, with the web terminal on (plain HTTP on 127.0.0.1, any free port). */
  static GatewayUnderTest startWithWeb(Lab lab, DockerClient docker,
      DockerBackendOptions options, Path dir, Duration oneWay) throws IOException {
    return new GatewayUnderTest(lab, docker, options, dir, oneWay, true);
  }

  DockerBackend backend() {
    return backend;
  }

  /** OpenSSH's {@code ssh} to this gateway (through the proxy when there is one). */
  OpenSshClient client() {
    return client;
  }

  /** The port {@link #client()} reaches (the proxy's when there is one). */
  int port() {
    return client.port();
  }

  /**
   * The web page's origin as its users reach it here ({@code http://127.0.0.1:PORT}, the
   * proxy's port when there is one): what a page sends as its Origin.
   *
   * @throws IllegalStateException without the web terminal
   */
  String webOrigin() {
    int port = webLeg != null ? webLeg.port() : server.webAddress().orElseThrow(() ->
        new IllegalStateException("this gateway has no web terminal")).getPort();
    return "http://127.0.0.1:" + port;
  }

  /**
   * A fresh login link's token, asked for as a user does: {@code ssh -s web-link} through
   * {@link #client()}.
   *
   * @throws IllegalStateException when the subsystem does not answer with a link
   */
  String webToken() {
    OpenSshClient.Result r = client.ssh("web-link", null, SOON, "-s");
    String link = r.out().trim();
    if (r.code() != 0 || !link.contains("#t=")) {
      throw new IllegalStateException("ssh -s web-link to port " + port() + " exited "
          + r.code() + ": " + r.out() + r.err());
    }
    return link.substring(link.indexOf("#t=") + 3);
  }

  /**
   * Waits until every connection has ended (its container removed in connection mode) and the
   * warm pool, if any, is full again: the gateway's work for the logins so far is done.
   *
   * @throws IllegalStateException when that takes more than two minutes
   */
  void awaitIdle() throws InterruptedException {
    long end = System.nanoTime() + SOON.toNanos();
    int warm = backend.options().warm();
    while (server.openConnections() > 0 || counters.snapshot().openConnections() > 0
        || backend.warmContainers() < warm) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("the gateway still has " + server.openConnections()
            + " connections open and " + backend.warmContainers() + " of " + warm
            + " warm containers after " + SOON);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    if (clientLeg != null) {
      clientLeg.close();
    }
    if (webLeg != null) {
      webLeg.close();
    }
    server.close();
    backend.close();
    if (backend.options().mode() == DockerBackendOptions.Mode.USER) {
      for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
          DockerBackend.MODE_LABEL, "user")).exec()) {
        docker.removeContainerCmd(c.getId()).withForce(true).exec();
      }
    }
  }
}
