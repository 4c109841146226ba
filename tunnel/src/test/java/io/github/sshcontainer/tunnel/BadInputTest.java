package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input, each answered with its reason and a message that says what to do. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"host:0", "host:65536", "host:http", "ssh://host:-2", "tcp://host",
      "[::1:22", "user@", ":22"})
  void malformedDestinationsAreRefusedAtOnce(String destination) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder(destination));
    assertTrue(e.getMessage().contains("invalid SSH destination '" + destination + "'"),
        e.getMessage());
  }

  @Test
  void unreachableHostIsCannotConnectAndSaysWhy() {
    TunnelException e = assertThrows(TunnelException.class, () -> SocketTunnel.open(
        options(lab().echo().socket()).target(SshTarget.of("u", "no-such-host.invalid", 22))
            .retry(2, Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofMillis(20))
            .build()));
    assertEquals(Reason.CANNOT_CONNECT, e.reason());
    assertTrue(e.getMessage().contains("'no-such-host.invalid' is unknown"), e.getMessage());
  }

  @Test
  void wrongUserIsAuthenticationFailedNamingTheUser() {
    TunnelException e = assertThrows(TunnelException.class, () -> SocketTunnel.open(
        options(lab().echo().socket()).target(SshTarget.of("nobody-here", lab().host(),
            lab().port())).build()));
    assertEquals(Reason.AUTHENTICATION_FAILED, e.reason());
    assertTrue(e.getMessage().contains("authentication as nobody-here"), e.getMessage());
  }

  @Test
  void remoteSocketThatIsADirectoryIsNamed() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("a-directory"));
    TunnelException e = assertThrows(TunnelException.class,
        () -> SocketTunnel.open(options(dir).build()));
    assertEquals(Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
    assertTrue(e.getMessage().contains("not a Unix socket"), e.getMessage());
  }

  @Test
  void aServerThatClosesAtOnceGivesTheClientAnEndOfStreamNotAHang() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().slam().socket()).build());
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      c.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes()));
      ByteBuffer b = ByteBuffer.allocate(16);
      int n;
      try {
        n = c.read(b);
      } catch (java.io.IOException reset) {
        n = -1;
      }
      assertEquals(-1, n);
    }
  }

  @Test
  void keyFilesThatAreUnreadableOrMalformedAreRefusedAtOnce() throws Exception {
    Path unreadable = Files.writeString(tmp.resolve("key"), "x");
    Files.setPosixFilePermissions(unreadable, java.util.Set.of());
    if (Files.isReadable(unreadable)) {
      // root reads anything: use a directory in its place, which no one reads as a file
      unreadable = Files.createDirectory(tmp.resolve("key-dir"));
    }
    Path p = unreadable;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").identityFile(p));
    assertTrue(e.getMessage().contains("is not a readable file"), e.getMessage());
    Path empty = Files.writeString(tmp.resolve("empty"), "");
    IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
        () -> TunnelOptions.builder("h").identityFile(empty));
    assertTrue(malformed.getMessage().contains("not a private key"), malformed.getMessage());
  }
}
