package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Each failure reason, produced for real against the lab, with its message checked. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunnelErrorsTest {
  @TempDir Path tmp;

  private static TunnelException fails(TunnelOptions o) {
    return assertThrows(TunnelException.class, () -> SocketTunnel.open(o).close());
  }

  private String hostPort() {
    return "127.0.0.1:" + lab().port();
  }

  @Test
  void keyNotAuthorizedIsAuthenticationFailed() {
    Path stranger = tmp.resolve("stranger");
    Keys.generate(stranger, "");
    TunnelOptions o = TunnelOptions.builder(lab().destination()).identityFile(stranger)
        .knownHosts(lab().knownHosts()).noSshConfig().useAgent(false)
        .remoteSocket(lab().echo().socket().toString()).build();
    TunnelException e = fails(o);
    assertEquals(Reason.AUTHENTICATION_FAILED, e.reason());
    assertTrue(e.getMessage().contains("authentication as " + lab().user() + " to "
        + lab().user() + "@" + hostPort()), e.getMessage());
    assertTrue(e.getMessage().contains("authorized_keys"), e.getMessage());
  }

  @Test
  void encryptedKeyWithWrongPassphraseIsAuthenticationFailedWithoutTheSecret() {
    Path key = tmp.resolve("locked");
    Keys.generate(key, "right-passphrase-123");
    TunnelOptions o = TunnelOptions.builder(lab().destination()).identityFile(key)
        .passphrase("wrong-passphrase-456").knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().echo().socket().toString()).build();
    TunnelException e = fails(o);
    assertEquals(Reason.AUTHENTICATION_FAILED, e.reason());
    assertTrue(e.getMessage().contains("does not decrypt"), e.getMessage());
    assertTrue(!e.getMessage().contains("wrong-passphrase-456")
        && !o.toString().contains("wrong-passphrase-456"),
        "no secret in messages");
  }

  @Test
  void unknownHostKeyIsRefusedWithTheFixInTheMessage() throws Exception {
    Path empty = Files.createFile(tmp.resolve("known_hosts"));
    TunnelException e = fails(options(lab().echo().socket()).knownHosts(empty).build());
    assertEquals(Reason.HOST_KEY_UNKNOWN, e.reason());
    String fp = Keys.fingerprint(Path.of(lab().hostKey() + ".pub"));
    assertTrue(e.getMessage().contains("ssh-keyscan -p " + lab().port() + " 127.0.0.1 >> "
        + empty), e.getMessage());
    assertTrue(e.getMessage().contains(fp), e.getMessage());
    assertEquals(0, Files.size(empty), "nothing was trusted silently");
  }

  @Test
  void acceptNewTrustsOnFirstUseAndRecordsTheKey() throws Exception {
    Path file = tmp.resolve("sub/known_hosts");
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(file)
        .acceptNewHostKeys(true).build())) {
      assertTrue(t.isOpen());
    }
    String recorded = Files.readString(file);
    assertTrue(recorded.startsWith("[127.0.0.1]:" + lab().port() + " ssh-ed25519 "), recorded);
    // and the recorded key is then trusted without accept-new
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(file)
        .build())) {
      assertTrue(t.isOpen());
    }
  }

  @Test
  void changedHostKeyIsRefusedEvenWithAcceptNew() throws Exception {
    Path other = tmp.resolve("other_host_key");
    Keys.generate(other, "");
    Path file = tmp.resolve("known_hosts");
    Files.writeString(file, Keys.knownHostsLine(other, lab().port()) + "\n");
    TunnelException e = fails(options(lab().echo().socket()).knownHosts(file)
        .acceptNewHostKeys(true).build());
    assertEquals(Reason.HOST_KEY_CHANGED, e.reason());
    assertTrue(e.getMessage().contains("ssh-keygen -R '[127.0.0.1]:" + lab().port() + "'"),
        e.getMessage());
    assertEquals(Keys.knownHostsLine(other, lab().port()) + "\n", Files.readString(file));
  }

  @Test
  void pinnedFingerprintIsAcceptedAndAMismatchRefused() throws Exception {
    Path empty = Files.createFile(tmp.resolve("known_hosts"));
    String right = Keys.fingerprint(Path.of(lab().hostKey() + ".pub"));
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(empty)
        .hostKeyFingerprint(right).build())) {
      assertTrue(t.isOpen());
    }
    Path other = tmp.resolve("other");
    Keys.generate(other, "");
    String wrong = Keys.fingerprint(Path.of(other + ".pub"));
    TunnelException e = fails(options(lab().echo().socket()).hostKeyFingerprint(wrong).build());
    assertEquals(Reason.HOST_KEY_CHANGED, e.reason());
    assertTrue(e.getMessage().contains("does not match the pinned fingerprint " + wrong),
        e.getMessage());
  }

  @Test
  void refusedPortIsCannotConnectAfterBoundedRetries() {
    int closedPort = FreePort.pick();
    TunnelOptions o = options(lab().echo().socket())
        .target(SshTarget.of(lab().user(), "127.0.0.1", closedPort))
        .retry(3, Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(40)).build();
    TunnelException e = fails(o);
    assertEquals(Reason.CANNOT_CONNECT, e.reason());
    assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort), e.getMessage());
    assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
  }

  @Test
  void missingRemoteSocketIsNamed() {
    TunnelException e = fails(options(Path.of("/tmp/sshc-none-here/missing.sock")).build());
    assertEquals(Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("/tmp/sshc-none-here/missing.sock"), e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    // the tunnel serves any daemon: Docker's hints are the Docker client's to add
    assertFalse(e.getMessage().toLowerCase(Locale.ROOT).contains("docker"),
        e.getMessage());
  }

  @Test
  void remotePathThatIsARegularFileIsNamed() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "not a socket");
    TunnelException e = fails(options(file).build());
    assertEquals(Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("not a Unix socket"), e.getMessage());
  }

  @Test
  void streamLocalForwardingDisabledIsNamed() throws Exception {
    try (Sshd noForwarding = lab().startSshd("nofwd", lab().hostKey(),
        List.of("AllowStreamLocalForwarding no"))) {
      Path kh = tmp.resolve("known_hosts");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), noForwarding.port()) + "\n");
      TunnelOptions o = options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", noForwarding.port()))
          .forwarding(TunnelOptions.Forwarding.STREAM_LOCAL).build();
      TunnelException e = fails(o);
      assertEquals(Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains("AllowStreamLocalForwarding yes"), e.getMessage());
      assertTrue(e.getMessage().contains("refuses to forward to Unix sockets"), e.getMessage());
      // AUTO (the default) without a socket command cannot fall back
      TunnelException noCommand = fails(o.toBuilder()
          .forwarding(TunnelOptions.Forwarding.AUTO).build());
      assertTrue(noCommand.getMessage().contains("AllowStreamLocalForwarding yes"),
          noCommand.getMessage());
      // with one it does; `docker system dial-stdio` joins its stdio to any Unix socket
      try (SocketTunnel t = SocketTunnel.open(o.toBuilder()
          .forwarding(TunnelOptions.Forwarding.AUTO)
          .socketCommand(p -> "docker --host unix://" + SocketCommand.quote(p)
              + " system dial-stdio").build());
          java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
              t.localAddress())) {
        assertEquals(TunnelOptions.Forwarding.COMMAND, t.forwarding());
        LabTunnels.writeFully(c, java.nio.ByteBuffer.wrap(new byte[] {4, 2}));
        assertEquals(2, LabTunnels.readExactly(c, 2).limit());
      }
    }
  }

  @Test
  void tcpForwardingDisabledIsNamedToo() throws Exception {
    // OpenSSH refuses direct-streamlocal as well when AllowTcpForwarding is no
    try (Sshd noTcp = lab().startSshd("notcp", lab().hostKey(),
        List.of("AllowTcpForwarding no"))) {
      Path kh = tmp.resolve("known_hosts_notcp");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), noTcp.port()) + "\n");
      TunnelException e = fails(options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", noTcp.port())).build());
      assertEquals(Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains("'AllowTcpForwarding yes'"), e.getMessage());
    }
  }

  @Test
  void badInputFailsFastWithIllegalArgument() throws Exception {
    Path garbage = Files.writeString(tmp.resolve("garbage_key"), "-----BEGIN NOTHING-----\n");
    IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").identityFile(garbage));
    assertTrue(malformed.getMessage().contains(garbage.toString()), malformed.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").identityFile(tmp.resolve("nope")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").remoteSocket("var/run/docker.sock"));
    assertTrue(relative.getMessage().contains("relative"), relative.getMessage());
    Path tooLong = Path.of("/tmp/" + "x".repeat(120) + ".sock");
    IllegalArgumentException longPath = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").localSocket(tooLong));
    assertTrue(longPath.getMessage().contains("at most 107 bytes"), longPath.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").hostKeyFingerprint("MD5:aa:bb"));
  }
}
