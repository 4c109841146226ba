package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as users meet it: Debian's OpenSSH {@code ssh}, {@code sftp} and {@code scp}
 * against a gateway whose Docker host is the lab's dockerd, reached over SSH.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway gateway;

  private static LabGateway sftp;

  @BeforeAll
  static void start() {
    gateway = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build());
    // sftp and scp need a server in the image: a gateway on the lab's sftp image
    sftp = LabGateway.start(tmp.resolve("gw-sftp"), DockerBackendOptions.builder(
        ContainerSpec.of(lab().docker().sftpImage()).networkMode("none")
            .pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2)).build())
        .subsystem("sftp", List.of("/usr/lib/openssh/sftp-server")).build());
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (sftp != null) {
      sftp.close();
    }
  }

  @Test
  void execPrintsItsOutputAndExitsWithItsCode() {
    OpenSshClient.Result r = gateway.client("exec").ssh("echo hi; exit 7", null, SOON);
    assertEquals(7, r.code(), r.err());
    assertEquals("hi\n", r.out());
  }

  @Test
  void hostnameIsTheContainersNotTheGatewayHosts() throws Exception {
    OpenSshClient.Result r = gateway.client("host").ssh("hostname", null, SOON);
    assertEquals(0, r.code(), r.err());
    String local = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(); // this host's
    assertNotEquals(local, r.out().trim());
    assertTrue(r.out().trim().matches("[0-9a-f]{12}"), "a container's short id: " + r.out());
  }

  @Test
  void threeMebibytesOfStdinHashTheSameInTheContainer() throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(5).nextBytes(data);
    OpenSshClient.Result r = gateway.client("hash").ssh("sha256sum", data, SOON);
    assertEquals(0, r.code(), r.err());
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(data));
    assertEquals(expected, r.out().trim().split("\\s+")[0]);
  }

  @Test
  void setEnvAndSendEnvReachTheCommandAndEnvAllowFiltersThem() throws Exception {
    OpenSshClient.Result all = gateway.client("env").ssh("echo \"$GREETING/$OTHER\"", null,
        SOON, "-o", "SetEnv=GREETING=hello OTHER=x");
    assertEquals(0, all.code(), all.err());
    assertEquals("hello/x\n", all.out(), "every name passes by default");
    try (LabGateway allow = LabGateway.start(tmp.resolve("gw-env"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(), g -> g.envAllow("GREET*"))) {
      OpenSshClient.Result some = allow.client("env2").ssh("echo \"$GREETING/$OTHER\"", null,
          SOON, "-o", "SetEnv=GREETING=hello OTHER=x");
      assertEquals(0, some.code(), some.err());
      assertEquals("hello/\n", some.out(), "--env-allow GREET* lets only GREETING through");
      // SendEnv: the client sends its own variable
      OpenSshClient.Result sent = OpenSshClient.run(withEnv(allow.client("env3").ssh(
          List.of("-o", "SendEnv=GREETING"), "echo \"$GREETING\""), "GREETING=from-client"),
          null, SOON);
      assertEquals("from-client\n", sent.out(), sent.err());
    }
  }

  /** {@code env NAME=VALUE cmd…}: the client process gets the variable. */
  private static List<String> withEnv(List<String> cmd, String assignment) {
    List<String> c = new ArrayList<>(List.of("env", assignment));
    c.addAll(cmd);
    return c;
  }

  @Test
  void sftpPutsAndGetsFiveMebibytesBackIdenticalAndScpWorksToo() throws Exception {
    byte[] data = new byte[5 << 20];
    new Random(9).nextBytes(data);
    Path local = Files.write(tmp.resolve("five.bin"), data);
    Path back = tmp.resolve("five-back.bin");
    Path batch = Files.writeString(tmp.resolve("batch"), "put " + local + " /tmp/five.bin\n"
        + "get /tmp/five.bin " + back + "\n");
    OpenSshClient.Result r = sftp.client("sftp").sftp(batch, SOON);
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(Arrays.equals(data, Files.readAllBytes(back)), "identical");
    // each connection has a container of its own: up and down through one ControlMaster
    Path scpBack = tmp.resolve("scp-back.bin");
    OpenSshClient scp = sftp.client("scp");
    Path control = tmp.resolve("scp-cm");
    Process master = scp.startMaster(control, tmp.resolve("scp-master.log"));
    try {
      String[] mux = OpenSshClient.viaMaster(control).toArray(String[]::new);
      OpenSshClient.Result up = scp.scp(local.toString(), ":/tmp/up.bin", SOON, mux);
      assertEquals(0, up.code(), up.out() + up.err() + "\nmaster: "
          + Files.readString(tmp.resolve("scp-master.log")));
      OpenSshClient.Result down = scp.scp(":/tmp/up.bin", scpBack.toString(), SOON, mux);
      assertEquals(0, down.code(), down.out() + down.err() + "\nmaster: "
          + Files.readString(tmp.resolve("scp-master.log")));
      assertTrue(Arrays.equals(data, Files.readAllBytes(scpBack)), "scp identical");
    } finally {
      master.destroy();
      master.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void nothingRunsOnTheGatewayHost() throws Exception {
    Path marker = Path.of("/tmp/sshc-gateway-marker-" + System.nanoTime());
    OpenSshClient.Result r = gateway.client("marker").ssh("touch " + marker + " && ls "
        + marker, null, SOON);
    assertEquals(0, r.code(), r.err());
    assertEquals(marker + "\n", r.out(), "it ran in the container");
    assertFalse(Files.exists(marker), "not on the gateway's host");
  }

  @Test
  void eachConnectionsContainerIsRemovedWhenItEnds() throws Exception {
    OpenSshClient.Result r = gateway.client("gone").ssh("true", null, SOON);
    assertEquals(0, r.code(), r.err());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2 + 5);
    List<Container> left = gateway.containersOf("gone");
    while (!left.isEmpty() && System.nanoTime() < end) {
      Thread.sleep(50);
      left = gateway.containersOf("gone");
    }
    assertTrue(left.isEmpty(), "removed: " + left);
  }
}
