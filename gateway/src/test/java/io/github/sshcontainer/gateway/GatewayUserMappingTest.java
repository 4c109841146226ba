package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.UserMapping;
import io.github.sshcontainer.lab.OpenSshClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whom a login runs as in its container ({@link UserMapping}), on the lab's image with a user
 * alice (uid 1000, home /home/alice, in group staff 50; the image's USER) and no bob, and the
 * environment that names the user and the connection, as OpenSSH's sshd sets it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayUserMappingTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final String WHO = "id -un; id -u; id -G; echo \"$HOME\"; pwd; "
      + "echo \"$USER $LOGNAME $SHELL\"";
  @TempDir Path tmp;

  private static DockerBackendOptions.Builder users(Mode mode, UserMapping mapping) {
    return DockerBackendOptions.builder(ContainerSpec.of(lab().docker().usersImage())
        .networkMode("none").pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2))
        .build()).mode(mode).userMapping(mapping);
  }

  private LabGateway start(String name, DockerBackendOptions options) {
    return LabGateway.start(tmp.resolve(name), LabGateway.docker(), options, g -> g);
  }

  private static List<String> lines(OpenSshClient.Result r) {
    assertEquals(0, r.code(), r.out() + r.err());
    return List.of(r.out().replace("\r", "").split("\n"));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void loginMappingRunsAsTheLoginsUserWithHerGroupsInHerHome(Mode mode) throws Exception {
    try (LabGateway g = start("login-" + mode, users(mode, UserMapping.LOGIN).build())) {
      List<String> who = lines(g.alice().ssh(WHO, null, SOON));
      assertEquals("alice", who.get(0));
      assertEquals("1000", who.get(1));
      assertTrue(List.of(who.get(2).split(" ")).containsAll(List.of("1000", "50")),
          "her own group and staff, from /etc/group: " + who.get(2));
      assertEquals("/home/alice", who.get(3), "HOME");
      assertEquals("/home/alice", who.get(4), "she starts at home");
      assertEquals("alice alice /bin/sh", who.get(5), "USER LOGNAME SHELL");
      // she may write at home, and her files are hers
      assertEquals(List.of("1000 alice"), lines(g.alice().ssh("touch ~/mine && stat -c "
          + "'%u %U' ~/mine", null, SOON)));
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void loginMappingRefusesANameTheImageLacksWithOneLineAndLeavesNoContainer(Mode mode)
      throws Exception {
    try (LabGateway g = start("refuse-" + mode, users(mode, UserMapping.LOGIN).build())) {
      // first while the image's users are not read yet, then once they are
      for (String when : List.of("cold", "warm")) {
        long started = g.counters.snapshot().containerStarts();
        OpenSshClient.Result bob = g.client("bob").ssh("echo in", null, SOON);
        // connection and user mode read them from the login's container, session mode from
        // one it creates and never starts; once they are known, bob gets no container at all
        assertEquals(mode != Mode.SESSION && when.equals("cold") ? 1 : 0,
            g.counters.snapshot().containerStarts() - started, when + ": containers started");
        assertNotEquals(0, bob.code(), when + ": " + bob.out());
        assertTrue(!bob.out().contains("in"), when + ": nothing ran: " + bob.out());
        assertTrue(bob.err().contains("gateway: no user 'bob' in this gateway's image; ask "
            + "its operator"), when + ": " + bob.err());
        g.awaitNoContainers("bob", SOON);
        assertEquals(List.of("alice"), lines(g.alice().ssh("id -un", null, SOON)), when);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void sshConnectionAndSshClientNameTheClientsAddressAndPortAndTheServers(Mode mode)
      throws Exception {
    try (LabGateway g = start("conn-" + mode, users(mode, UserMapping.LOGIN).build())) {
      Path out = tmp.resolve("conn-" + mode + ".out");
      Process ssh = g.alice().start(g.alice().ssh(List.of(),
          "echo \"[$SSH_CONNECTION|$SSH_CLIENT]\"; sleep 60"), out);
      try {
        long end = System.nanoTime() + SOON.toNanos();
        while (!Files.readString(out).contains("]")) {
          assertTrue(System.nanoTime() < end && ssh.isAlive(), "output: "
              + Files.readString(out));
          Thread.sleep(50);
        }
        int clientPort = localPortOf(ssh.pid(), g.server.port());
        int gw = g.server.port();
        assertTrue(Files.readString(out).contains("[127.0.0.1 " + clientPort + " 127.0.0.1 "
            + gw + "|127.0.0.1 " + clientPort + " " + gw + "]"), "the ssh client's port is "
            + clientPort + ", the gateway's " + gw + ": " + Files.readString(out));
      } finally {
        ssh.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The local port of process {@code pid}'s TCP connection to 127.0.0.1:{@code remotePort},
   * from Linux's /proc: its socket inodes, then /proc/net/tcp.
   */
  private static int localPortOf(long pid, int remotePort) throws IOException {
    List<String> inodes = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(
              Files.readSymbolicLink(fd).toString());
          if (m.matches()) {
            inodes.add(m.group(1));
          }
        } catch (IOException closed) {
          // gone while listed
        }
      }
    }
    String remote = String.format("0100007F:%04X", remotePort);
    for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 9 && f[2].equals(remote) && inodes.contains(f[9])) {
        return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
      }
    }
    throw new AssertionError("process " + pid + " has no connection to port " + remotePort);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aClientsEnvCannotSetUserLognameHomeOrSshButSetsTheRest(Mode mode) throws Exception {
    try (LabGateway g = start("env-" + mode, users(mode, UserMapping.LOGIN).build())) {
      OpenSshClient.Result r = g.alice().ssh("echo \"$USER|$LOGNAME|$HOME|$SSH_CONNECTION|"
          + "$SSH_CLIENT|$SSH_TTY|$SSH_FORGED|$SSH_ORIGINAL_COMMAND|$KEPT\"", null, SOON, "-o",
          "SetEnv=USER=mallory LOGNAME=mallory HOME=/tmp SSH_CONNECTION=forged "
          + "SSH_CLIENT=forged SSH_TTY=forged SSH_FORGED=yes SSH_ORIGINAL_COMMAND=forged "
          + "KEPT=yes");
      String[] v = lines(r).get(0).split("\\|", -1);
      assertEquals("alice", v[0], "USER");
      assertEquals("alice", v[1], "LOGNAME");
      assertEquals("/home/alice", v[2], "HOME");
      assertTrue(v[3].startsWith("127.0.0.1 "), "SSH_CONNECTION: " + v[3]);
      assertTrue(v[4].startsWith("127.0.0.1 "), "SSH_CLIENT: " + v[4]);
      assertEquals("", v[5], "SSH_TTY: no pty");
      assertEquals("", v[6], "any SSH_ name is the gateway's");
      assertEquals("", v[7], "SSH_ORIGINAL_COMMAND: the gateway's (a force-command's) only");
      assertEquals("yes", v[8], "the client's other env requests pass");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void withAPtySshTtyNamesItsDevice(Mode mode) throws Exception {
    try (LabGateway g = start("tty-" + mode, users(mode, UserMapping.IMAGE).build())) {
      List<String> r = lines(g.client("tty").ssh("echo \"[$SSH_TTY]\"; tty", null, SOON,
          "-tt"));
      Matcher m = Pattern.compile("\\[(/dev/pts/\\d+)]").matcher(r.get(0));
      assertTrue(m.matches(), "SSH_TTY: " + r);
      assertEquals(m.group(1), r.get(1), "the session's own tty");
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void rootMappingRunsAsRootWhateverTheLoginAndTheImagesUser(Mode mode) throws Exception {
    try (LabGateway g = start("root-" + mode, users(mode, UserMapping.ROOT).build())) {
      List<String> who = lines(g.client("bob").ssh(WHO, null, SOON));
      assertEquals(List.of("root", "0", "0", "/root", "/", "root root /bin/sh"), who);
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void imageMappingRunsAsTheImagesUserWhateverTheLogin(Mode mode) throws Exception {
    try (LabGateway g = start("image-" + mode, users(mode, UserMapping.IMAGE).build())) {
      List<String> who = lines(g.client("bob").ssh(WHO, null, SOON));
      assertEquals(List.of("alice", "1000", "1000 50", "/home/alice", "/",
          "alice alice /bin/sh"), who, "the image's USER is alice; bob is no user of it");
    }
  }

  @Test
  void imageMappingTakesTheContainersExplicitUserAndTheOthersRefuseOne() throws Exception {
    ContainerSpec asRoot = ContainerSpec.of(lab().docker().usersImage()).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2)).user("0").build();
    try (LabGateway g = start("explicit", DockerBackendOptions.builder(asRoot).build())) {
      assertEquals(List.of("root"), lines(g.client("bob").ssh("echo $USER", null, SOON)));
    }
    for (UserMapping m : List.of(UserMapping.LOGIN, UserMapping.ROOT)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DockerBackendOptions.builder(asRoot).userMapping(m).build());
      assertTrue(e.getMessage().contains("'0'") && e.getMessage().contains("user mapping "
          + m.name().toLowerCase()), e.getMessage());
    }
  }

  @Test
  void theDefaultIsTheImagesUserWhichOnBusyboxIsRoot() throws Exception {
    assertEquals(UserMapping.IMAGE, DockerBackendOptions.builder(LabGateway.busybox().build())
        .build().userMapping());
    try (LabGateway g = start("default", DockerBackendOptions.builder(
        LabGateway.busybox().build()).build())) {
      assertEquals(List.of("root|/root|root"), lines(g.client("carol").ssh(
          "echo \"$(id -un)|$HOME|$USER\"", null, SOON)));
    }
  }
}
