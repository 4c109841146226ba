package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Each way to authenticate, for real: agent, encrypted key, password, certificate. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AuthTest {
  @TempDir Path tmp;

  private static TunnelOptions.Builder base() {
    return TunnelOptions.builder(lab().destination()).knownHosts(lab().knownHosts())
        .noSshConfig().remoteSocket(lab().echo().socket().toString());
  }

  private static void echo(TunnelOptions o) throws Exception {
    try (SocketTunnel t = SocketTunnel.open(o);
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {9}));
      assertEquals(9, readExactly(c, 1).get());
    }
  }

  private static void authorize(Path key) throws Exception {
    Files.writeString(lab().authorizedKeys(), Files.readString(Path.of(key + ".pub")),
        StandardOpenOption.APPEND);
  }

  @Test
  void sshAgentHoldsTheKey() throws Exception {
    Path key = tmp.resolve("agent_key");
    Keys.generate(key, "");
    authorize(key);
    Path sock = Path.of("/tmp/sshc-agent-" + System.nanoTime() + ".sock");
    Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", sock.toString())
        .redirectErrorStream(true).start();
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.exists(sock) && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      ProcessBuilder add = new ProcessBuilder("ssh-add", key.toString()).redirectErrorStream(true);
      add.environment().put("SSH_AUTH_SOCK", sock.toString());
      Process p = add.start();
      p.getInputStream().readAllBytes();
      assertEquals(0, p.waitFor());
      echo(base().useAgent(true).agentSocket(sock).build());
      // the same login without the agent has no key to offer
      TunnelException e = assertThrows(TunnelException.class,
          () -> echo(base().useAgent(false).build()));
      assertEquals(TunnelException.Reason.AUTHENTICATION_FAILED, e.reason());
    } finally {
      agent.destroy();
      agent.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(sock);
    }
  }

  @Test
  void encryptedKeyWithItsPassphrase() throws Exception {
    Path key = tmp.resolve("locked_key");
    Keys.generate(key, "correct horse battery");
    authorize(key);
    echo(base().useAgent(false).identityFile(key).passphrase("correct horse battery").build());
  }

  @Test
  void password() throws Exception {
    lab().setUnprivilegedPassword("pw-for-the-lab-1");
    echo(base().useAgent(false).target(SshTarget.of(lab().unprivilegedUser(), lab().host(),
        lab().port())).password("pw-for-the-lab-1").build());
  }

  @Test
  void openSshCertificateSignedByATrustedCa() throws Exception {
    Path ca = tmp.resolve("ca");
    Keys.generate(ca, "");
    Path key = tmp.resolve("cert_key");
    Keys.generate(key, "");
    // sign the user key: principal is the login name (the key itself is not authorized)
    Process sign = new ProcessBuilder("ssh-keygen", "-q", "-s", ca.toString(), "-I", "lab",
        "-n", lab().user(), "-V", "+1h", key + ".pub").redirectErrorStream(true).start();
    sign.getInputStream().readAllBytes();
    assertEquals(0, sign.waitFor());
    try (Sshd sshd = lab().startSshd("ca-" + System.nanoTime(), lab().hostKey(),
        List.of("TrustedUserCAKeys " + ca + ".pub"))) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
      echo(base().useAgent(false).knownHosts(kh).identityFile(key)
          .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port()))
          .retry(1, Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofMillis(10))
          .build());
    }
  }
}
