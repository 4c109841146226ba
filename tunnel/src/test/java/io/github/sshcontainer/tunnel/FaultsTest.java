package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.FarEnd;
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

/** Faults under the tunnel: the operation in flight ends promptly, the next one works. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultsTest {
  @TempDir Path tmp;
  private Sshd sshd;

  @BeforeEach
  void privateSshd() {
    sshd = lab().startSshd("faults-" + System.nanoTime(), lab().hostKey(), List.of());
  }

  @AfterEach
  void stop() {
    sshd.close();
  }

  private TunnelOptions.Builder via(int port, Path remote) throws IOException {
    Path kh = tmp.resolve("kh-" + port);
    Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), port) + "\n");
    return options(remote).knownHosts(kh)
        .target(SshTarget.of(lab().user(), "127.0.0.1", port))
        .retry(5, Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(500));
  }

  private static void echoOnce(SocketTunnel t) throws IOException {
    try (SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {42}));
      assertEquals(42, readExactly(c, 1).get());
    }
  }

  /** Reads until the stream ends one way or another; returns the bytes read. */
  private static long drain(SocketChannel c) {
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    long got = 0;
    try {
      int n;
      while ((n = c.read(buf)) >= 0) {
        got += n;
        buf.clear();
      }
    } catch (IOException e) {
      // ended by an error: fine, it must just end
    }
    return got;
  }

  @Test
  void sessionKilledMidTransferEndsTheTransferAndTheTunnelComesBack() throws Exception {
    Path sock = tmp.resolve("source.sock");
    try (FarEnd source = FarEnd.start(sock, FarEnd.Mode.SOURCE);
        SocketTunnel t = SocketTunnel.open(via(sshd.port(), sock).build())) {
      long want = 8L << 30;
      try (SocketChannel c = SocketChannel.open(t.localAddress())) {
        writeFully(c, ByteBuffer.allocate(8).putLong(want).flip());
        readExactly(c, 16 << 20); // the transfer is under way
        long killedAt = System.nanoTime();
        assertTrue(sshd.killSessions() >= 1);
        long rest = drain(c);
        long endedMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertTrue(rest + (16 << 20) < want, "the transfer did not complete: it was cut");
        assertTrue(endedMs < 5_000, "the transfer ended " + endedMs + " ms after the kill");
      }
      echoOnceVia(t, sock);
      assertEquals(1, t.reconnects());
    }
  }

  private static void echoOnceVia(SocketTunnel t, Path source) throws IOException {
    try (SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.allocate(8).putLong(1000).flip());
      readExactly(c, 1000);
    }
  }

  @Test
  void networkStalledLongerThanKeepaliveEndsInFlightWorkWithinTheBound() throws Exception {
    try (DelayProxy proxy = DelayProxy.start(sshd.port(), Duration.ofMillis(1));
        SocketTunnel t = SocketTunnel.open(via(proxy.port(), lab().echo().socket())
            .keepalive(Duration.ofSeconds(1), 2).connectTimeout(Duration.ofSeconds(3)).build())) {
      echoOnce(t);
      try (SocketChannel c = SocketChannel.open(t.localAddress())) {
        writeFully(c, ByteBuffer.wrap(new byte[] {1}));
        readExactly(c, 1);
        proxy.freeze(true);
        long frozenAt = System.nanoTime();
        writeFully(c, ByteBuffer.wrap(new byte[] {2}));
        drain(c); // must end: keepalive declares the connection dead
        long endedMs = (System.nanoTime() - frozenAt) / 1_000_000;
        // bound: (maxMissed + 1) intervals of silence, plus a read timeout's slack
        assertTrue(endedMs < 6_000, "in-flight work ended after " + endedMs + " ms");
      }
      proxy.freeze(false);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (t.reconnects() == 0 && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      echoOnce(t);
      assertTrue(t.reconnects() >= 1, "reconnected");
    }
  }

  @Test
  void remoteSocketRemovedIsReportedAndComingBackIsPickedUp() throws Exception {
    Path sock = tmp.resolve("far.sock");
    FarEnd far = FarEnd.start(sock, FarEnd.Mode.ECHO);
    try (SocketTunnel t = SocketTunnel.open(via(sshd.port(), sock).spareChannels(0).build())) {
      echoOnce(t);
      far.close();
      assertTrue(!Files.exists(sock));
      TunnelException e = assertThrows(TunnelException.class, t::checkRemote);
      assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
      try (SocketChannel c = SocketChannel.open(t.localAddress())) {
        assertEquals(-1, c.read(ByteBuffer.allocate(1)), "a new connection is closed at once");
      }
      far = FarEnd.start(sock, FarEnd.Mode.ECHO);
      echoOnce(t);
    } finally {
      far.close();
    }
  }
}
