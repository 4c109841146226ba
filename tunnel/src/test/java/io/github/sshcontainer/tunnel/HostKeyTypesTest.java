package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts with one kind of host key, as hardened and older servers have: RSA only (signed with
 * rsa-sha2-512, never SHA-1), ed25519 only, and a host with both whose known_hosts entry is of
 * one kind only — the key type already known is the one negotiated, as OpenSSH does, instead of
 * an "unknown host" for the other type.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostKeyTypesTest {
  @TempDir static Path keys;
  @TempDir Path tmp;
  static Path rsaKey;
  static Path ed25519Key;

  @BeforeAll
  static void makeKeys() {
    rsaKey = keys.resolve("host_rsa");
    Keys.generate(rsaKey, "", "rsa");
    ed25519Key = keys.resolve("host_ed25519");
    Keys.generate(ed25519Key, "", "ed25519");
  }

  private void connectsWith(Sshd sshd, Path knownKey, String expectedAlgorithm)
      throws Exception {
    Path kh = Files.writeString(tmp.resolve("kh-" + sshd.port()),
        Keys.knownHostsLine(knownKey, sshd.port()) + "\n");
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(kh)
        .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port())).build());
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {9}));
      assertEquals(9, readExactly(c, 1).get());
    }
    String log = Files.readString(sshd.logFile());
    assertTrue(log.contains("kex: host key algorithm: " + expectedAlgorithm),
        "negotiated " + expectedAlgorithm + "; sshd log:\n" + log);
  }

  private static Sshd start(String name, List<String> config, Path... hostKeys) {
    List<String> lines = new ArrayList<>(config);
    lines.add("LogLevel DEBUG1");
    for (int i = 1; i < hostKeys.length; i++) {
      lines.add("HostKey " + hostKeys[i]);
    }
    return lab().startSshd(name + "-" + System.nanoTime(), hostKeys[0], lines);
  }

  @Test
  void aHostWithOnlyAnRsaKeySignsWithSha512() throws Exception {
    try (Sshd sshd = start("rsa", List.of("HostKeyAlgorithms rsa-sha2-512"), rsaKey)) {
      connectsWith(sshd, rsaKey, "rsa-sha2-512");
    }
  }

  @Test
  void aHostWithOnlyAnEd25519Key() throws Exception {
    try (Sshd sshd = start("ed", List.of("HostKeyAlgorithms ssh-ed25519"), ed25519Key)) {
      connectsWith(sshd, ed25519Key, "ssh-ed25519");
    }
  }

  @Test
  void aHostWithBothKeysWhoseRsaKeyIsTheKnownOne() throws Exception {
    try (Sshd sshd = start("both-rsa", List.of(), ed25519Key, rsaKey)) {
      connectsWith(sshd, rsaKey, "rsa-sha2-512");
    }
  }

  @Test
  void aHostWithBothKeysWhoseEd25519KeyIsTheKnownOne() throws Exception {
    try (Sshd sshd = start("both-ed", List.of(), rsaKey, ed25519Key)) {
      connectsWith(sshd, ed25519Key, "ssh-ed25519");
    }
  }
}
