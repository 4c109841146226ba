package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.internal.Sntrup761Kex;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The gateway offers only modern algorithms by default, as Debian's ssh-audit judges them, and
 * the clients people use still log in with their own defaults: OpenSSH, JSch, Paramiko and
 * asyncssh. {@code legacyAlgorithms} brings NIST-curve key exchange back for old clients.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayAlgorithmsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway gateway;

  @BeforeAll
  static void start() {
    gateway = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(command + " did not finish");
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  @Test
  void sshAuditFindsNoFailureAndNoWeakAlgorithm() throws Exception {
    Path audit = Prerequisites.require("ssh-audit", "/usr/bin/ssh-audit");
    String report;
    // a gateway of its own: ssh-audit's probes fail key exchanges on purpose, and the
    // gateway's per-source penalties would then refuse this address for a while
    try (LabGateway audited = LabGateway.start(tmp.resolve("audited"),
        DockerBackendOptions.builder(busybox().build()).build())) {
      report = run(List.of(audit.toString(), "-n", "-p",
          String.valueOf(audited.server.port()), "127.0.0.1"));
    }
    System.out.println("FIGURES ssh-audit against a default gateway:\n" + report);
    assertTrue(report.contains("(kex) curve25519-sha256"), report);
    assertTrue(report.contains("(kex) mlkem768x25519-sha256")
        || report.contains("mlkem768x25519-sha256"), report);
    List<String> bad = report.lines().filter(l -> l.contains("[fail]")
        || l.contains("weak hashing") || l.contains("encrypt-and-MAC")
        || l.contains("weak elliptic") || l.contains("small") || l.contains("ssh-rsa ")
        || l.contains("nistp") || l.contains("sha1")).toList();
    assertEquals(List.of(), bad, "ssh-audit's findings:\n" + report);
  }

  @Test
  void openSshJschParamikoAndAsyncsshLogInWithTheirDefaults() throws Exception {
    OpenSshClient.Result ssh = gateway.client("openssh").ssh("echo openssh-ok", null, SOON);
    assertEquals("openssh-ok\n", ssh.out(), ssh.err());

    JSch jsch = new JSch();
    jsch.addIdentity(lab().clientKey().toString());
    jsch.setKnownHosts(gateway.knownHosts().toString());
    Session s = jsch.getSession("jsch", "127.0.0.1", gateway.server.port());
    s.connect(30_000);
    try {
      ChannelExec exec = (ChannelExec) s.openChannel("exec");
      exec.setCommand("echo jsch-ok");
      InputStream in = exec.getInputStream();
      exec.connect(30_000);
      assertEquals("jsch-ok\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      s.disconnect();
    }

    Prerequisites.requirePythonModule("paramiko", "python3-paramiko");
    String paramiko = run(List.of(GatewaySignalOrderTest.PYTHON, "-c", String.join("\n",
        "import warnings; warnings.filterwarnings('ignore')",
        "import paramiko, sys",
        "c = paramiko.SSHClient()",
        "c.load_host_keys(sys.argv[2])",
        "c.connect('127.0.0.1', port=int(sys.argv[1]), username='paramiko',",
        "          key_filename=sys.argv[3], look_for_keys=False, allow_agent=False)",
        "i, o, e = c.exec_command('echo paramiko-ok')",
        "print(o.read().decode().strip(), c.get_transport().remote_version)",
        "c.close()"), String.valueOf(gateway.server.port()), gateway.knownHosts().toString(),
        lab().clientKey().toString()));
    assertTrue(paramiko.contains("paramiko-ok"), paramiko);

    Prerequisites.requirePythonModule("asyncssh", "python3-asyncssh");
    String asyncssh = run(List.of(GatewaySignalOrderTest.PYTHON, "-c", String.join("\n",
        "import warnings; warnings.filterwarnings('ignore')",
        "import asyncio, asyncssh, sys",
        "async def main():",
        "    async with asyncssh.connect('127.0.0.1', port=int(sys.argv[1]),",
        "            username='asyncssh', client_keys=[sys.argv[3]],",
        "            known_hosts=sys.argv[2]) as c:",
        "        r = await c.run('echo asyncssh-ok')",
        "        print(r.stdout.strip())",
        "asyncio.run(main())"), String.valueOf(gateway.server.port()),
        gateway.knownHosts().toString(), lab().clientKey().toString()));
    assertTrue(asyncssh.contains("asyncssh-ok"), asyncssh);
  }

  /**
   * OpenSSH 9.2 picks sntrup761x25519 first; the gateway answers it with its own sntrup761
   * encapsulation (BouncyCastle's cost most of a login's CPU), under both names, with the
   * modern and the legacy algorithm sets.
   */
  @Test
  void openSshsSntrup761KeyExchangeGoesThroughOurEncapsulation() throws Exception {
    for (String kex : List.of("sntrup761x25519-sha512@openssh.com",
        "sntrup761x25519-sha512")) {
      assertLogsInThroughOurSntrup761(gateway, kex);
    }
    try (LabGateway legacy = LabGateway.start(tmp.resolve("legacy-sntrup"),
        LabGateway.docker(), DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.legacyAlgorithms(true))) {
      assertLogsInThroughOurSntrup761(legacy, "sntrup761x25519-sha512@openssh.com");
    }
  }

  private static void assertLogsInThroughOurSntrup761(LabGateway g, String kex) {
    long before = Sntrup761Kex.encapsulations();
    OpenSshClient.Result ssh = g.client("sntrup").ssh("echo sntrup-ok", null, SOON, "-v",
        "-o", "KexAlgorithms=" + kex);
    assertEquals("sntrup-ok\n", ssh.out(), ssh.err());
    assertTrue(ssh.err().lines().anyMatch(l -> l.strip().equals("debug1: kex: algorithm: "
        + kex)), ssh.err());
    assertEquals(before + 1, Sntrup761Kex.encapsulations(),
        "one encapsulation by ssh-container's sntrup761 for this " + kex + " login");
  }

  @Test
  void aNistCurveKeyExchangeIsRefusedUnlessLegacyAlgorithmsAreOn() throws Exception {
    OpenSshClient.Result modern = gateway.client("nist").ssh("echo nist", null, SOON,
        "-o", "KexAlgorithms=ecdh-sha2-nistp256");
    assertNotEquals(0, modern.code(), modern.out());
    assertTrue(modern.err().contains("no matching key exchange method"), modern.err());
    try (LabGateway legacy = LabGateway.start(tmp.resolve("legacy"), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.legacyAlgorithms(true))) {
      OpenSshClient.Result old = legacy.client("nist").ssh("echo nist-ok", null, SOON,
          "-o", "KexAlgorithms=ecdh-sha2-nistp256");
      assertEquals("nist-ok\n", old.out(), old.err());
    }
  }
}
