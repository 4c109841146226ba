package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * User mode (issue 31, point 3), against the lab's dockerd with OpenSSH's client: one
 * container per user name across connections, overlapping or one after another; another user
 * has another; the container goes the idle timeout after the last connection; a gateway
 * started again adopts it and a new login finds what the last one left; a container removed
 * behind the gateway's back is replaced. Each test removes the user containers it made (a
 * stopped gateway leaves them for the next start to adopt).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayUserModeTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  /** Names no other run uses: the containers live on the shared lab daemon. */
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);
  @TempDir Path tmp;

  private static String user(String name) {
    return name + RUN;
  }

  private static DockerBackendOptions userMode(Duration idle) {
    return DockerBackendOptions.builder(busybox().build()).mode(Mode.USER)
        .userIdleTimeout(idle).build();
  }

  @AfterEach
  void removeUserContainers() {
    try (DockerClient d = SshDocker.connect(LabGateway.dockerHost().build())) {
      for (String u : List.of("ann", "ben", "cy", "dee", "eve")) {
        for (Container c : userContainers(d, user(u))) {
          d.removeContainerCmd(c.getId()).withForce(true).exec();
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Container> userContainers(DockerClient d, String user) {
    return d.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        DockerBackend.USER_LABEL, user, DockerBackend.MODE_LABEL, "user",
        OnDemandContainer.MANAGED_LABEL, "true")).exec();
  }

  private static String ok(OpenSshClient.Result r) {
    assertEquals(0, r.code(), r.err());
    return r.out().strip();
  }

  @Test
  void aUsersConnectionsShareOneContainerAndAnotherUserHasAnother() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), userMode(Duration.ofMinutes(5)))) {
      OpenSshClient ann = g.client(user("ann"));
      String first = ok(ann.ssh("echo kept-$((6*7)) > /tmp/note; hostname", null, SOON));
      assertEquals("kept-42\n" + first, ann.ssh("cat /tmp/note; hostname", null, SOON).out()
          .strip(), "the next connection found the file, in the same container");
      OpenSshClient.Result ben = g.client(user("ben")).ssh(
          "cat /tmp/note 2>/dev/null || echo none;"
          + " hostname", null, SOON);
      List<String> lines = ben.out().lines().toList();
      assertTrue(lines.get(0).contains("none"), "another user's container: " + ben.out());
      assertNotEquals(first, lines.get(1));
      // overlapping: one connection holds a session open while another comes
      CompletableFuture<OpenSshClient.Result> held = CompletableFuture.supplyAsync(() ->
          ann.ssh("hostname; sleep 3; hostname", null, SOON));
      Thread.sleep(800);
      assertEquals(first, ok(ann.ssh("hostname", null, SOON)), "while another is open");
      assertEquals(first + "\n" + first, ok(held.get(SOON.toSeconds(), TimeUnit.SECONDS)));
      assertEquals(1, userContainers(g.docker, user("ann")).size(), "one container for ann");
      assertEquals(java.util.Set.of(user("ann"), user("ben")), g.backend.userContainers());
    }
  }

  @Test
  void theContainerGoesTheIdleTimeoutAfterTheLastConnection() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), userMode(Duration.ofSeconds(3)))) {
      OpenSshClient cy = g.client(user("cy"));
      ok(cy.ssh("true", null, SOON));
      long ended = System.nanoTime();
      assertEquals(1, userContainers(g.docker, user("cy")).size(), "it stays after the end");
      // a connection within the idle time keeps it and starts the idle time again
      Thread.sleep(1500);
      ok(cy.ssh("true", null, SOON));
      Thread.sleep(2000);
      assertEquals(1, userContainers(g.docker, user("cy")).size(),
          "3.5 s after the first end, 2 s after the second: still there");
      long end = System.nanoTime() + SOON.toNanos();
      while (!userContainers(g.docker, user("cy")).isEmpty() && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      assertEquals(List.of(), userContainers(g.docker, user("cy")), "removed when idle");
      assertTrue(System.nanoTime() - ended > TimeUnit.SECONDS.toNanos(3));
      assertEquals(java.util.Set.of(), g.backend.userContainers());
    }
  }

  @Test
  void aGatewayStartedAgainAdoptsTheContainerAndALoginFindsTheFile() throws Exception {
    String first;
    try (LabGateway g = LabGateway.start(tmp.resolve("one"), userMode(Duration.ofMinutes(5)))
        .keepUserContainers()) {
      first = ok(g.client(user("dee")).ssh("echo before > /tmp/f; hostname", null, SOON));
    }
    try (DockerClient d = SshDocker.connect(LabGateway.dockerHost().build())) {
      assertEquals(1, userContainers(d, user("dee")).size(),
          "a stopped gateway leaves the user's container");
    }
    try (LabGateway g = LabGateway.start(tmp.resolve("two"), userMode(Duration.ofSeconds(2)))) {
      assertTrue(g.backend.userContainers().contains(user("dee")), "adopted at start");
      assertEquals("before\n" + first, ok(g.client(user("dee")).ssh("cat /tmp/f; hostname",
          null, SOON)));
      long end = System.nanoTime() + SOON.toNanos();
      while (!userContainers(g.docker, user("dee")).isEmpty() && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      assertEquals(List.of(), userContainers(g.docker, user("dee")),
          "the adopted container goes after the new gateway's idle timeout");
    }
  }

  @Test
  void aContainerRemovedBehindTheGatewaysBackIsReplaced() throws Exception {
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), userMode(Duration.ofMinutes(5)))) {
      OpenSshClient eve = g.client(user("eve"));
      String first = ok(eve.ssh("hostname", null, SOON));
      for (Container c : userContainers(g.docker, user("eve"))) {
        g.docker.removeContainerCmd(c.getId()).withForce(true).exec();
      }
      String second = ok(eve.ssh("hostname", null, SOON));
      assertNotEquals(first, second, "a new container");
      assertEquals(1, userContainers(g.docker, user("eve")).size());
    }
  }
}
