package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm pool (issue 31, point 1), against the lab's dockerd with OpenSSH's client: N
 * containers run before any login; a login runs in one made before it began and renamed after
 * its connection; the pool refills; pooled containers killed or removed behind the gateway's
 * back are never handed out; a login whose settings differ makes its own; closing the gateway
 * removes the pool. (A killed gateway's pool is removed by the next start: {@code
 * GatewayRestartCliTest}, which kills a real process.)
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayWarmPoolTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final int N = 3;
  @TempDir static Path tmp;
  private static LabGateway g;

  @BeforeAll
  static void start() {
    g = LabGateway.start(tmp.resolve("gw"), DockerBackendOptions.builder(busybox().build())
        .warm(N).build());
  }

  @AfterAll
  static void stop() throws Exception {
    g.close();
    try (DockerClient check = SshDocker.connect(LabGateway.dockerHost().build())) {
      assertEquals(List.of(), pooled(check), "closing the gateway removed its warm containers");
    }
  }

  /** The warm containers of this JVM's gateways on the lab daemon, running or not. */
  private static List<Container> pooled(DockerClient docker) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        DockerBackend.POOL_LABEL, "true", OnDemandContainer.OWNER_LABEL,
        OnDemandContainer.owner())).exec();
  }

  private static Set<String> runningPooled() {
    return pooled(g.docker).stream().filter(c -> "running".equals(c.getState()))
        .map(Container::getId).collect(Collectors.toSet());
  }

  /** Waits (bounded) until the pool holds N running containers. */
  private static void awaitFull() throws InterruptedException {
    long end = System.nanoTime() + SOON.toNanos();
    while ((g.backend.warmContainers() < N || runningPooled().size() < N)
        && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(N, g.backend.warmContainers(), "the pool is full");
    assertEquals(N, runningPooled().size(), "N warm containers run: " + pooled(g.docker));
  }

  /** The daemon's container events of {@code id} between two times (unix seconds). */
  private static List<Event> events(String id, long since, long until) {
    List<Event> out = new ArrayList<>();
    try {
      g.docker.eventsCmd().withSince(Long.toString(since)).withUntil(Long.toString(until))
          .withContainerFilter(id).exec(new com.github.dockerjava.api.async.ResultCallback
              .Adapter<Event>() {
            @Override
            public void onNext(Event e) {
              out.add(e);
            }
          }).awaitCompletion(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  private static void awaitGone(String id) throws InterruptedException {
    long end = System.nanoTime() + SOON.toNanos();
    while (!g.docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec()
        .isEmpty() && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), g.docker.listContainersCmd().withShowAll(true)
        .withIdFilter(List.of(id)).exec(), "container " + id + " removed");
  }

  @Test
  void aLoginRunsInAContainerMadeBeforeItAndThePoolRefills() throws Exception {
    awaitFull();
    Set<String> before = runningPooled();
    long since = System.currentTimeMillis() / 1000 - 1;
    java.time.Instant loginStarted = java.time.Instant.now();
    OpenSshClient.Result r = g.client("warm1").ssh("hostname", null, SOON);
    assertEquals(0, r.code(), r.err());
    String host = r.out().strip();
    String id = before.stream().filter(i -> i.startsWith(host)).findFirst().orElse(null);
    assertTrue(id != null, "the login ran in a container of the pool before it (" + host
        + " among " + before + ")");
    awaitGone(id); // removed when its connection closed
    long until = System.currentTimeMillis() / 1000 + 1;
    long startedNanos = loginStarted.getEpochSecond() * 1_000_000_000L + loginStarted.getNano();
    List<String> actions = events(id, since, until).stream().filter(e -> e.getTimeNano() != null
        && e.getTimeNano() >= startedNanos).map(Event::getAction).toList();
    assertFalse(actions.contains("create"), "no create during the login: " + actions);
    assertFalse(actions.contains("start"), "no start during the login: " + actions);
    assertTrue(events(id, since, until).stream().anyMatch(e -> "rename".equals(
        e.getAction()) && e.getActor() != null && e.getActor().getAttributes() != null
        && String.valueOf(e.getActor().getAttributes().get("name")).startsWith("ssh-warm1-")),
        "renamed after its connection: " + actions);
    awaitFull(); // refilled
    assertFalse(runningPooled().contains(id), "the container handed out left the pool");
  }

  @Test
  void pooledContainersKilledOrRemovedBehindTheGatewaysBackAreNeverHandedOut()
      throws Exception {
    awaitFull();
    List<String> killed = new ArrayList<>(runningPooled());
    g.docker.killContainerCmd(killed.get(0)).exec();
    for (String id : killed.subList(1, killed.size())) {
      g.docker.removeContainerCmd(id).withForce(true).exec();
    }
    for (int i = 0; i < 2; i++) {
      OpenSshClient.Result r = g.client("warm2").ssh("hostname", null, SOON);
      assertEquals(0, r.code(), r.err());
      String host = r.out().strip();
      assertTrue(killed.stream().noneMatch(id -> id.startsWith(host)), "login " + i
          + " ran in " + host + ", not one of the dead " + killed);
    }
    long end = System.nanoTime() + SOON.toNanos();
    while (pooled(g.docker).stream().anyMatch(c -> c.getId().equals(killed.get(0)))
        && System.nanoTime() < end) {
      Thread.sleep(100);
    }
    assertTrue(pooled(g.docker).stream().noneMatch(c -> c.getId().equals(killed.get(0))),
        "the killed one was removed");
    awaitFull();
  }

  @Test
  void aLoginWithSettingsOfItsOwnMakesItsOwnContainer() throws Exception {
    PerConnectionOptions other = (connection, top) -> new PerConnectionOptions.Choice(
        top.toBuilder().warm(0).container(top.container().toBuilder().env("OWN", "yes")
            .build()).build(), "test");
    DockerBackendOptions o = DockerBackendOptions.builder(busybox().build()).warm(1).build();
    try (DockerClient docker = LabGateway.docker()) {
      DockerBackend backend = DockerBackend.create(docker, o, other,
          io.github.sshcontainer.gateway.backend.BackendEvents.NONE);
      try (GatewayServer server = GatewayServer.start(GatewayOptions.builder(tmp.resolve(
          "own-hk")).listen("127.0.0.1", 0).authorizedKeys(authorizedKeys()).build(),
          backend)) {
        long end = System.nanoTime() + SOON.toNanos();
        while (backend.warmContainers() < 1 && System.nanoTime() < end) {
          Thread.sleep(50);
        }
        assertEquals(1, backend.warmContainers());
        java.nio.file.Files.writeString(tmp.resolve("own-kh"), io.github.sshcontainer.lab.Keys
            .knownHostsLine(tmp.resolve("own-hk"), server.port()) + "\n");
        OpenSshClient c = new OpenSshClient(LabGateway.lab().clientKey(), tmp.resolve("own-kh"),
            server.port(), "own");
        OpenSshClient.Result r = c.ssh("echo $OWN", null, SOON);
        assertEquals("yes", r.out().strip(), r.err());
        assertEquals(1, backend.warmContainers(), "the warm one stayed in the pool");
      } finally {
        backend.close();
      }
    }
  }

  @Test
  void warmIsForConnectionModeWithoutHomeVolumes() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> DockerBackendOptions
        .builder(busybox().build()).mode(Mode.USER).warm(2).build()).getMessage()
        .contains("connection mode"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> DockerBackendOptions
        .builder(busybox().build()).homeVolume("/home").warm(2).build()).getMessage()
        .contains("home volume"));
    assertThrows(IllegalArgumentException.class, () -> DockerBackendOptions.builder(
        busybox().build()).warm(-1));
    assertNotEquals(0, DockerBackendOptions.MAX_WARM);
  }

  private static Path authorizedKeys() throws java.io.IOException {
    Path p = tmp.resolve("own-ak");
    if (!java.nio.file.Files.exists(p)) {
      java.nio.file.Files.copy(Path.of(LabGateway.lab().clientKey() + ".pub"), p);
    }
    return p;
  }
}
