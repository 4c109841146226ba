package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Docker backend asks its {@link PerConnectionOptions} for each connection's options, on
 * the lab's real dockerd: the chosen options make the container, its labels say what shaped
 * them and which certificate the login used, and a refusal makes nothing and reaches the
 * caller as the one line the user reads.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PerConnectionOptionsTest {
  private static ConnectionInfo login(String user, String id,
      LoginIdentity.Certificate certificate) {
    return new ConnectionInfo(user, new InetSocketAddress("127.0.0.1", 40022), id,
        new InetSocketAddress("127.0.0.1", 2022), new LoginIdentity("publickey",
            "ssh-ed25519-cert-v01@openssh.com", "SHA256:x", "ssh-ed25519 AAAA",
            Optional.ofNullable(certificate)));
  }

  private static int containersOf(DockerClient docker, String connectionId) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        DockerBackend.CONNECTION_LABEL, connectionId)).exec().size();
  }

  @Test
  void theChosenOptionsMakeTheContainerWhoseLabelsSayWhatShapedItAndWhichCertificate()
      throws Exception {
    DockerBackendOptions base = DockerBackendOptions.builder(busybox().build()).build();
    AtomicReference<DockerBackendOptions> given = new AtomicReference<>();
    PerConnectionOptions chooser = (connection, b) -> {
      given.set(b);
      return connection.user().equals("alice") ? new PerConnectionOptions.Choice(
          b.toBuilder().container(b.container().toBuilder().memoryBytes(96L << 20)
              .env("SHAPED", "yes").build()).build(), "match 2 (user alice)")
          : new PerConnectionOptions.Choice(b, "");
    };
    LoginIdentity.Certificate cert = new LoginIdentity.Certificate("alice@laptop", -1L,
        List.of("alice"), Instant.EPOCH, Instant.MAX, Map.of(), Set.of(), "SHA256:ca");
    try (DockerClient docker = LabGateway.docker();
        DockerBackend backend = DockerBackend.create(docker, base, chooser,
            BackendEvents.NONE)) {
      ConnectionHandler alice = backend.onConnection(login("alice", "pco-1", cert));
      try {
        assertSame(base, given.get(), "asked with the backend's options");
        assertEquals("match 2 (user alice)", alice.shapedBy());
        InspectContainerResponse r = docker.inspectContainerCmd(alice.containers().get(0))
            .exec();
        Map<String, String> labels = r.getConfig().getLabels();
        assertEquals("match 2 (user alice)", labels.get(DockerBackend.SETTINGS_LABEL));
        assertEquals("alice@laptop", labels.get(DockerBackend.CERT_KEY_ID_LABEL));
        assertEquals("18446744073709551615", labels.get(DockerBackend.CERT_SERIAL_LABEL),
            "unsigned, as ssh-keygen -L prints it");
        assertEquals(96L << 20, r.getHostConfig().getMemory());
        assertTrue(Arrays.asList(r.getConfig().getEnv()).contains("SHAPED=yes"),
            Arrays.toString(r.getConfig().getEnv()));
      } finally {
        alice.close();
      }
      ConnectionHandler bob = backend.onConnection(login("bob", "pco-2", null));
      try {
        assertEquals("", bob.shapedBy());
        Map<String, String> labels = docker.inspectContainerCmd(bob.containers().get(0)).exec()
            .getConfig().getLabels();
        assertEquals("bob", labels.get(DockerBackend.USER_LABEL));
        for (String absent : List.of(DockerBackend.SETTINGS_LABEL,
            DockerBackend.CERT_KEY_ID_LABEL, DockerBackend.CERT_SERIAL_LABEL)) {
          assertFalse(labels.containsKey(absent), absent + " on " + labels);
        }
      } finally {
        bob.close();
      }
    }
  }

  @Test
  void aRefusalMakesNothingAndAnyOtherFailureOfTheChooserIsTheSameRefusal() throws Exception {
    DockerBackendOptions base = DockerBackendOptions.builder(busybox().build()).build();
    PerConnectionOptions chooser = (connection, b) -> {
      if (connection.user().equals("mallory")) {
        throw PerConnectionOptions.refusal("config webhook answered key 'privileged'");
      }
      throw new IllegalStateException("a bug in the chooser");
    };
    try (DockerClient docker = LabGateway.docker();
        DockerBackend backend = DockerBackend.create(docker, base, chooser,
            BackendEvents.NONE)) {
      BackendException refused = assertThrows(BackendException.class,
          () -> backend.onConnection(login("mallory", "pco-3", null)));
      assertEquals(BackendException.Reason.REFUSED, refused.reason());
      assertEquals("your environment could not be prepared", refused.getMessage());
      assertEquals("config webhook answered key 'privileged'", refused.getCause().getMessage());
      BackendException bug = assertThrows(BackendException.class,
          () -> backend.onConnection(login("eve", "pco-4", null)));
      assertEquals(BackendException.Reason.REFUSED, bug.reason());
      assertEquals(PerConnectionOptions.REFUSAL, bug.getMessage());
      assertEquals("a bug in the chooser", bug.getCause().getMessage());
      assertEquals(0, containersOf(docker, "pco-3") + containersOf(docker, "pco-4"),
          "no container made");
      assertEquals(0, backend.openConnections());

      // a subsystem the base options lack may be the connection's: it passes here
      backend.checkRequest(SessionRequest.subsystem("sftp"));
      backend.reconfigure(base, PerConnectionOptions.NONE);
      BackendException noSftp = assertThrows(BackendException.class,
          () -> backend.checkRequest(SessionRequest.subsystem("sftp")));
      assertTrue(noSftp.getMessage().contains("no subsystem 'sftp'"), noSftp.getMessage());
    }
  }
}
