package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.NetnsHost;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.lab.UserHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's programs, each a whole file of this project, compiled against the published
 * artifacts and started as a user starts them: a JVM of its own with only the project's runtime
 * class path, a home directory whose {@code ~/.ssh} names the host, no ssh-agent, and nothing
 * else stated. The host is the lab's default-paths host: Docker at {@code /var/run/docker.sock},
 * containerd at {@code /run/containerd/containerd.sock}, no sftp subsystem.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReadmeProgramsTest {
  static final Path SOURCES = Path.of(System.getProperty("readme.sources", "src/main/java"));
  static final Path POM = Path.of(System.getProperty("readme.pom", "pom.xml"));
  static final Duration DEADLINE = Duration.ofSeconds(120);
  static Lab lab;
  static Sshd host;
  static UserHome home;
  static List<Path> classPath;

  @BeforeAll
  static void userMachine() throws Exception {
    lab = Lab.shared();
    host = lab.defaultPathsHost();
    home = UserHome.forHost(lab, host, "build-host");
    classPath = new ArrayList<>();
    classPath.add(Path.of("target/classes"));
    for (String jar : Files.readString(Path.of("target/runtime.classpath")).trim()
        .split(java.io.File.pathSeparator)) {
      classPath.add(Path.of(jar));
    }
  }

  @AfterAll
  static void cleanUp() {
    if (home != null) {
      home.close();
    }
  }

  private static void assertShown(String file, String name) {
    ReadmeSnippets.assertShown(SOURCES.resolve("example").resolve(file), name, Path.of(".."));
  }

  private static void assertLogsShowUp(UserHome.Result r) {
    assertFalse(r.stderr().contains("No SLF4J providers"), r.stderr());
    assertTrue(r.stderr().contains("tunnel ") && r.stderr().contains(" open: "),
        "the tunnel's INFO line reaches the provider:\n" + r.stderr());
  }

  @Test
  void theTunnelProgramPingsDockerAtItsDefaultSocket() {
    UserHome.Result r = home.run(classPath, "example.TunnelQuickStart", DEADLINE,
        "build-host");
    assertEquals(0, r.exitCode(), r.stderr());
    List<String> lines = r.stdout().lines().toList();
    assertEquals(3, lines.size(), r.stdout());
    assertTrue(lines.get(0).startsWith("DOCKER_HOST=unix:///"), r.stdout());
    assertEquals("HTTP/1.0 200 OK", lines.get(1), r.stdout());
    assertEquals("OK", lines.get(2), r.stdout());
    assertLogsShowUp(r);
    assertShown("TunnelQuickStart.java", "tunnel");
  }

  @Test
  void theDockerProgramFindsTheSocketAndRunsAContainer() throws Exception {
    String before = lab.docker().cli(Duration.ofSeconds(30), "ps", "-aq");
    UserHome.Result r = home.run(classPath, "example.DockerQuickStart", DEADLINE,
        "build-host", DockerDaemon.BUSYBOX);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("hello\ndone\nexit 3\n", r.stdout(), r.stderr());
    assertTrue(r.stderr().contains("found the remote socket /var/run/docker.sock"),
        "the socket it chose is logged:\n" + r.stderr());
    assertLogsShowUp(r);
    assertEquals(before, lab.docker().cli(Duration.ofSeconds(30), "ps", "-aq"),
        "the container is removed");
    assertShown("DockerQuickStart.java", "docker");
  }

  @Test
  void theContainerdProgramRunsOnAHostWithoutSftp() throws Exception {
    UserHome.Result r = home.run(classPath, "example.ContainerdQuickStart", DEADLINE,
        "build-host", lab.busyboxTar().toString());
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("hi\nexit 3\n", r.stdout(), r.stderr());
    assertLogsShowUp(r);
    assertTrue(r.stderr().contains(":/run/containerd/containerd.sock"),
        "the default socket, logged as used:\n" + r.stderr());
    assertFalse(r.stderr().contains("SO_KEEPALIVE"), "no gRPC channel option warning:\n"
        + r.stderr());
    assertFalse(r.stderr().contains("WARN"), "nothing to warn about:\n" + r.stderr());
    assertFalse(Files.readString(host.logFile()).contains("subsystem request for sftp"));
    assertShown("ContainerdQuickStart.java", "containerd");
  }

  /**
   * The published-ports program against the firewalled host in its own network namespace: a
   * container there publishes 8080, which only SSH reaches.
   */
  @Test
  void thePublishedPortsProgramReadsARemoteContainersPage() throws Exception {
    NetnsHost.DockerHost remote = lab.remoteDockerHost();
    try (UserHome webHome = UserHome.forHost(lab, remote.sshd(), "web-host",
        remote.knownHosts())) {
      String id = remote.docker().cli(Duration.ofSeconds(60), "run", "-d", "-p", "8080:80",
          DockerDaemon.BUSYBOX, "sh", "-c", "mkdir -p /w && echo hello-from-port-8080 > "
              + "/w/index.html && exec busybox httpd -f -p 80 -h /w").trim();
      try {
        awaitServedInside(remote, 8080);
        UserHome.Result r = webHome.run(classPath, "example.PublishedPortsExample", DEADLINE,
            "ssh://web-host" + remote.docker().socket());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().matches("(?s)HTTP/1\\.[01] 200 OK\r\n.*"), r.stdout());
        assertTrue(r.stdout().contains("hello-from-port-8080"), r.stdout());
        assertTrue(r.stderr().contains("8080"), "the forward is logged:\n" + r.stderr());
      } finally {
        remote.docker().cli(Duration.ofSeconds(30), "rm", "-f", id);
      }
    }
    assertShown("PublishedPortsExample.java", "published-ports");
  }

  /** httpd in the container may still be starting: ask from inside the remote host. */
  private static void awaitServedInside(NetnsHost.DockerHost remote, int port)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        remote.host().exec(Duration.ofSeconds(5), "/bin/busybox", "wget", "-q", "-O",
            "/dev/null", "http://127.0.0.1:" + port + "/");
        return;
      } catch (RuntimeException notYet) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("nothing served on " + port + " inside the remote host",
              notYet);
        }
        Thread.sleep(100);
      }
    }
  }

  @Test
  void theReadmesMavenBlocksAreThisProjectsAndTheRuntimeIsLean() throws Exception {
    ReadmeSnippets.assertShown(POM, "bom", Path.of(".."));
    ReadmeSnippets.assertShown(POM, "dependencies", Path.of(".."));
    List<String> jars = classPath.stream().map(p -> p.getFileName().toString()).toList();
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("docker-java-core-")), jars.toString());
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("grpc-netty-shaded-")), jars.toString());
    assertTrue(jars.stream().noneMatch(j -> j.startsWith("jna-")),
        "JNA is not needed on Java 17: " + jars);
    assertTrue(jars.stream().noneMatch(j -> j.startsWith("bc")),
        "BouncyCastle is not needed over SSH: " + jars);
    assertEquals(1, jars.stream().filter(j -> j.startsWith("guava-")).count(), jars.toString());
    assertTrue(jars.stream().filter(j -> j.startsWith("guava-")).allMatch(j -> j.contains("-jre")),
        "one Guava, the -jre flavour: " + jars);
  }
}
