package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.ConnectProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Users other than the owner are kept out; secrets never reach logs or messages. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecurityTest {

  @Test
  void anotherUnixUserCannotConnectToTheLocalSocket() throws Exception {
    String other = lab().unprivilegedUser();
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      Path socket = t.localSocket().orElseThrow();
      String result = ConnectProbe.runAs(other, socket);
      assertTrue(result.startsWith("13 "), "refused with permission denied: " + result);
      // and the owner can: the refusal is the permissions, not a dead socket
      assertTrue(ConnectProbe.runAs("root", socket).startsWith("0 "));
    }
  }

  /**
   * The child runs on the plain class path: this JVM's class path, its module path (the tunnel
   * is a named module in tests) and the test classes patched into it.
   */
  private static String childClassPath() throws Exception {
    List<String> parts = new ArrayList<>();
    for (String prop : new String[] {"java.class.path", "jdk.module.path"}) {
      String v = System.getProperty(prop);
      if (v != null && !v.isEmpty()) {
        parts.add(v);
      }
    }
    parts.add(Path.of(SecretScenarios.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).toString());
    return String.join(java.io.File.pathSeparator, parts);
  }

  /**
   * Runs every authentication path with known secrets in a child JVM that logs everything at
   * TRACE, then looks for the secrets in all its output.
   */
  @Test
  void secretsAppearInNoLogLineAndNoMessage() throws Exception {
    String password = "S3cret-Password-7781";
    String passphrase = "S3cret-Passphrase-4412";
    lab().setUnprivilegedPassword(password);
    Path log = Files.createTempFile("sshc-secrets", ".log");
    try {
      List<String> cmd = new ArrayList<>(List.of(
          ProcessHandle.current().info().command().orElse("java"),
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace",
          "-Dorg.slf4j.simpleLogger.logFile=" + log,
          "-D" + io.github.sshcontainer.lab.Lab.USER_PROPERTY + "=" + lab().unprivilegedUser(),
          "-cp", childClassPath(),
          SecretScenarios.class.getName(), password, passphrase));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(150, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), out);
      String logged = Files.readString(log);
      assertTrue(out.contains("password auth: ok"), out);
      assertTrue(out.contains("wrong password: AUTHENTICATION_FAILED"), out);
      assertTrue(out.contains("right passphrase: ok"), out);
      assertTrue(out.contains("wrong passphrase: AUTHENTICATION_FAILED"), out);
      assertTrue(logged.lines().count() > 50, "the child logged at TRACE");
      for (String secret : List.of(password, passphrase)) {
        assertFalse(out.contains(secret), "secret in messages");
        assertFalse(logged.contains(secret), "secret in the log");
      }
    } finally {
      Files.deleteIfExists(log);
    }
  }

  @Test
  void tcpModeListensOnLoopbackOnly() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).localTcp(true)
        .build())) {
      var a = (java.net.InetSocketAddress) t.localAddress();
      assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
      // nothing answers on the machine's other addresses at that port
      for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
        for (var addr : java.util.Collections.list(nif.getInetAddresses())) {
          if (addr.isLoopbackAddress() || !(addr instanceof java.net.Inet4Address)) {
            continue;
          }
          try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(addr, a.getPort()), 500);
            throw new AssertionError("the tunnel answered on " + addr);
          } catch (java.io.IOException refused) {
            // expected: refused or unreachable
          }
        }
      }
    }
  }
}
