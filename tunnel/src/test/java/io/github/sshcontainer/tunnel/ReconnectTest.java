package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DelayProxy;
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

  /** Waits (bounded) until the tunnel has noticed that its SSH connection is gone. */
  private static void awaitDisconnected(SocketTunnel t) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (t.isConnected() && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertFalse(t.isConnected(), "the tunnel noticed the lost connection");
  }

  /** Opens {@code n} connections one after another; each must be answered (closed). */
  private static long millisToAnswer(SocketTunnel t, int n) throws IOException {
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      try (SocketChannel c = SocketChannel.open(t.localAddress())) {
        assertTrue(endsCleanly(c), "connection " + i + " is closed, not served");
      }
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void whileTheHostRefusesNewConnectionsAreAnsweredPromptlyAndWorkOnceItIsBack()
      throws Exception {
    TunnelOptions threeSeconds = options.toBuilder().connectTimeout(Duration.ofSeconds(3))
        .build();
    try (SocketTunnel t = SocketTunnel.open(threeSeconds)) {
      echoOnce(t, (byte) 6);
      sshd.close(); // the port now refuses
      awaitDisconnected(t);
      long ms = millisToAnswer(t, 5);
      assertTrue(ms < 3000 + 2000, "five connections answered in " + ms
          + " ms, within one connect timeout (3 s) + 2 s, not one timeout each");
      sshd.restart();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!t.isConnected() && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      echoOnce(t, (byte) 7);
    }
  }

  @Test
  void whileTheHostIsSilentOnlyTheFirstNewConnectionWaitsOneConnectTimeout() throws Exception {
    try (DelayProxy proxy = DelayProxy.start(sshd.port(), Duration.ofMillis(1))) {
      Path kh = tmp.resolve("known_hosts_proxy");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), proxy.port()) + "\n");
      TunnelOptions viaProxy = options.toBuilder().knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", proxy.port()))
          .connectTimeout(Duration.ofSeconds(3)).keepalive(Duration.ofSeconds(1), 2).build();
      try (SocketTunnel t = SocketTunnel.open(viaProxy)) {
        echoOnce(t, (byte) 8);
        proxy.freeze(true); // nothing gets through: keepalive ends the session, attempts hang
        awaitDisconnected(t);
        long ms = millisToAnswer(t, 5);
        assertTrue(ms < 3000 + 2000, "five connections answered in " + ms
            + " ms: the first waits for one attempt (3 s at most), the rest fail at once");
        proxy.freeze(false);
      }
    }
  }
}
