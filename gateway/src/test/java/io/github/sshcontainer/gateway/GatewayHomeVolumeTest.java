package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.gateway.docker.UserMapping;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Home volumes (issue 31, point 4): what a user writes under the volume's path outlives the
 * container and reaches their next one, in connection and session mode, and another user's
 * containers do not see it; the volume carries its label and the gateway removes none. The
 * volumes this test makes are removed by the test.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayHomeVolumeTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  /** Names no other run uses: the volumes live on the shared lab daemon. */
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);
  @TempDir static Path tmp;
  private static LabGateway connection;
  private static LabGateway session;

  @BeforeAll
  static void start() {
    connection = LabGateway.start(tmp.resolve("conn"), DockerBackendOptions.builder(
        busybox().build()).homeVolume("/home").build());
    session = LabGateway.start(tmp.resolve("sess"), DockerBackendOptions.builder(
        busybox().build()).mode(Mode.SESSION).homeVolume("/home").build());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      for (String user : List.of("kim", "lee", "mo")) {
        try {
          connection.docker.removeVolumeCmd("sshcontainer-home-" + user + RUN).exec();
        } catch (RuntimeException gone) {
          // never made, or made by a failed run: nothing to remove
        }
      }
    } finally {
      connection.close();
      session.close();
    }
  }

  private static String user(String name) {
    return name + RUN;
  }

  @Test
  void whatAUserKeepsInTheirHomeReachesTheirNextContainerAndNoOneElses() throws Exception {
    OpenSshClient kim = connection.client(user("kim"));
    OpenSshClient.Result w = kim.ssh("echo kept-$((6*7)) > /home/notes && hostname", null, SOON);
    assertEquals(0, w.code(), w.err());
    String first = w.out().strip();
    connection.awaitNoContainers(user("kim"), SOON);
    OpenSshClient.Result r = kim.ssh("cat /home/notes; hostname", null, SOON);
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("kept-42", lines.get(0), "the file outlived its container");
    assertNotEquals(first, lines.get(1), "a new container read it");
    OpenSshClient.Result other = connection.client(user("lee")).ssh(
        "cat /home/notes 2>&1 || echo none", null, SOON);
    assertTrue(other.out().contains("none"), "another user's home is another volume: "
        + other.out());
    InspectVolumeResponse v = connection.docker.inspectVolumeCmd("sshcontainer-home-"
        + user("kim")).exec();
    assertEquals(user("kim"), v.getLabels().get(DockerBackend.HOME_LABEL));
  }

  @Test
  void inSessionModeEachSessionsContainerHasTheHome() throws Exception {
    OpenSshClient mo = session.client(user("mo"));
    assertEquals(0, mo.ssh("echo one > /home/s", null, SOON).code());
    OpenSshClient.Result r = mo.ssh("cat /home/s", null, SOON);
    assertEquals("one", r.out().strip(), r.err());
  }

  @Test
  void aNameThatCannotNameAVolumeIsRefusedAndAPathMustBeAbsolute() {
    OpenSshClient.Result r = connection.client("plus+" + RUN).ssh("echo in", null, SOON);
    assertNotEquals(0, r.code(), r.out());
    assertTrue(r.err().contains("cannot name a home volume"), r.err());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> DockerBackendOptions
        .builder(busybox().build()).homeVolume("home")).getMessage().contains(
            "must be an absolute path"));
  }

  /**
   * With --user-mapping login and the volume at /home, a new volume starts as the image's
   * /home, owners included: alice's home is hers, and what she keeps there stays.
   */
  @Test
  void withLoginMappingTheVolumeKeepsEachUsersOwnHome() throws Exception {
    DockerBackendOptions o = DockerBackendOptions.builder(ContainerSpec.of(
        LabGateway.lab().docker().usersImage()).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2)).build())
        .userMapping(UserMapping.LOGIN).homeVolume("/home").build();
    try (LabGateway g = LabGateway.start(tmp.resolve("login"), LabGateway.docker(), o,
        x -> x)) {
      try {
        OpenSshClient alice = g.client("alice");
        OpenSshClient.Result w = alice.ssh("echo mine > ~/kept && stat -c %U ~ ~/kept", null,
            SOON);
        assertEquals(List.of("alice", "alice"), w.out().lines().toList(), w.err());
        g.awaitNoContainers("alice", SOON);
        OpenSshClient.Result r = alice.ssh("cat ~/kept", null, SOON);
        assertEquals("mine", r.out().strip(), r.err());
      } finally {
        g.awaitNoContainers("alice", SOON); // the gateway removes them as the connections end
        g.docker.removeVolumeCmd("sshcontainer-home-alice").exec();
      }
    }
  }
}
