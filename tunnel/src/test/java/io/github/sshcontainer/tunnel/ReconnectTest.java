package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The SSH connection dies under the tunnel; the tunnel comes back by itself. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReconnectTest {
  @TempDir Path tmp;
  private Sshd sshd;
  private TunnelOptions options;

  @BeforeEach
  void privateSshd() throws IOException {
    sshd = lab().startSshd("reconnect-" + System.nanoTime(), lab().hostKey(), List.of());
    Path kh = tmp.resolve("known_hosts");
    Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
    options = options(lab().echo().socket()).knownHosts(kh)
        .target(SshTarget.of(lab().user(), "127.0.0.1", sshd.port()))
        .retry(5, Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(500))
        .build();
  }

  @AfterEach
  void stop() {
    sshd.close();
  }

  private static void echoOnce(SocketTunnel t, byte value) throws IOException {
    try (SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {value}));
      assertEquals(value, readExactly(c, 1).get());
    }
  }

  /** Reads until EOF or error, which must come (the test's timeout bounds it). */
  private static boolean endsCleanly(SocketChannel c) {
    try {
      return c.read(ByteBuffer.allocate(1)) == -1;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void killedSessionProcessClosesConnectionsInFlightAndNewOnesWork() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options)) {
      echoOnce(t, (byte) 1);
      try (SocketChannel inFlight = SocketChannel.open(t.localAddress())) {
        writeFully(inFlight, ByteBuffer.wrap(new byte[] {5}));
        assertEquals(5, readExactly(inFlight, 1).get());
        assertTrue(sshd.killSessions() >= 1, "an sshd session process was running");
        assertTrue(endsCleanly(inFlight), "the connection in flight is closed");
      }
      echoOnce(t, (byte) 2);
      assertEquals(1, t.reconnects());
    }
  }

  @Test
  void sshdRestartIsSurvived() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options)) {
      echoOnce(t, (byte) 3);
      sshd.restart();
      echoOnce(t, (byte) 4);
      assertTrue(t.reconnects() >= 1, "reconnected " + t.reconnects());
    }
  }
}
