package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.lab.UserHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * An unchanged Testcontainers test in a user's project, the strategy chosen by the README's
 * {@code ~/.testcontainers.properties} line, at the Testcontainers version this project's
 * dependency management gives (2.0.x with the BOM alone, 1.21.x under Spring Boot 3.5).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TestcontainersOverSshTest {
  static UserHome home;

  @BeforeAll
  static void configure() throws Exception {
    Lab lab = Lab.shared();
    Sshd host = lab.defaultPathsHost();
    home = UserHome.forHost(lab, host, "build-host");
    Path userHome = Path.of(System.getProperty("user.home"));
    Files.createDirectories(userHome);
    Path properties = Path.of(TestcontainersOverSshTest.class
        .getResource("/testcontainers-user.properties").toURI());
    Files.copy(properties, userHome.resolve(".testcontainers.properties"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    System.setProperty("sshcontainer.host", "ssh://" + lab.user() + "@" + host.host() + ":"
        + host.port());
    System.setProperty("sshcontainer.identity", home.dir().resolve(".ssh/id_ed25519")
        .toString());
    System.setProperty("sshcontainer.known-hosts", home.dir().resolve(".ssh/known_hosts")
        .toString());
  }

  @AfterAll
  static void cleanUp() {
    if (home != null) {
      home.close();
    }
  }

  @Test
  void aGenericContainerRunsOnTheRemoteDaemon() throws Exception {
    String version = DockerClientFactory.class.getPackage().getImplementationVersion();
    assertTrue(version != null && version.startsWith(System.getProperty(
        "expected.testcontainers", "2.0.")), "Testcontainers " + version);
    // by reflection: the project declares no SLF4J API of its own, only what the graph gives
    Class<?> slf4j = Class.forName("org.slf4j.LoggerFactory");
    String slf4jVersion = slf4j.getPackage().getImplementationVersion();
    assertTrue(slf4jVersion.startsWith("2."), "slf4j-api " + slf4jVersion
        + ": Testcontainers asks for 1.7, the BOM (or Spring Boot) must give 2.x");
    String loggers = slf4j.getMethod("getILoggerFactory").invoke(null).getClass().getName();
    assertFalse(loggers.startsWith("org.slf4j.helpers."), "the project's provider binds: "
        + loggers);
    assertThrows(ClassNotFoundException.class, () -> Class.forName("com.sun.jna.Native"),
        "JNA is excluded from Testcontainers: the SSH strategy does not need it");
    assertTrue(DockerClientFactory.instance().isDockerAvailable());
    assertTrue(DockerClientFactory.instance().client().getClass().getName() != null);
    assertEquals("/var/run/docker.sock",
        DockerClientFactory.instance().getRemoteDockerUnixSocketPath(),
        "the socket found on the host, as Ryuk would mount it");
    try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(
        DockerDaemon.BUSYBOX)).withNetworkMode("none")
        .withCommand("sh", "-c", "echo started; sleep 120")
        .waitingFor(Wait.forLogMessage("started\\n", 1))) {
      c.start();
      Container.ExecResult r = c.execInContainer("sh", "-c", "echo hi; exit 3");
      assertEquals("hi\n", r.getStdout());
      assertEquals(3, r.getExitCode());
    }
    ReadmeSnippets.assertShown(Path.of(System.getProperty("readme.test-resources",
        "src/test/resources")).resolve("testcontainers-user.properties"), "testcontainers",
        Path.of(".."));
  }
}
