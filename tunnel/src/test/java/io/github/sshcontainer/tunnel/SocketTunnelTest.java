package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.FarEnd;
import io.github.sshcontainer.lab.SourceBlock;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SocketTunnelTest {

  @Test
  void roundTripThroughEcho() throws Exception {
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket()).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      byte[] msg = "hello through ssh".getBytes(StandardCharsets.UTF_8);
      writeFully(c, ByteBuffer.wrap(msg));
      assertArrayEquals(msg, readExactly(c, msg.length).array());
      assertTrue(tunnel.uri().toString().startsWith("unix:///"), tunnel.uri().toString());
      assertEquals(lab().echo().socket().toString(), tunnel.remoteSocket());
    }
  }

  @Test
  void sixtyFourConcurrentConnectionsShareOneSession() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket()).build())) {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        int n = i;
        results.add(pool.submit(() -> {
          try (SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
            int ok = 0;
            for (int r = 0; r < 50; r++) {
              byte[] msg = ("conn " + n + " round " + r).getBytes(StandardCharsets.UTF_8);
              writeFully(c, ByteBuffer.wrap(msg));
              if (java.util.Arrays.equals(msg, readExactly(c, msg.length).array())) {
                ok++;
              }
            }
            return ok;
          }
        }));
      }
      for (Future<Integer> f : results) {
        assertEquals(50, f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(0, tunnel.reconnects());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void bulk256MiBLocalToRemoteArrivesIntact() throws Exception {
    long size = 256L << 20;
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().count().socket()).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      byte[] block = SourceBlock.block();
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (long sent = 0; sent < size; sent += block.length) {
        writeFully(c, ByteBuffer.wrap(block));
        md.update(block);
      }
      c.shutdownOutput();
      ByteBuffer answer = readExactly(c, 40);
      assertEquals(size, answer.getLong());
      byte[] digest = new byte[32];
      answer.get(digest);
      assertArrayEquals(md.digest(), digest);
    }
  }

  @Test
  void bulk256MiBRemoteToLocalArrivesIntact() throws Exception {
    long size = 256L << 20;
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().source().socket()).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      writeFully(c, ByteBuffer.allocate(8).putLong(size).flip());
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      long got = 0;
      int n;
      while ((n = c.read(buf)) >= 0) {
        md.update(buf.array(), 0, n);
        got += n;
        buf.clear();
      }
      assertEquals(size, got);
      assertArrayEquals(SourceBlock.sha256(size), md.digest());
      c.shutdownOutput();
      assertEquals(0, lab().source().received(Duration.ofSeconds(30)).bytes());
    }
  }

  @Test
  void localHalfCloseReachesRemoteAndRepliesStillFlow() throws Exception {
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().count().socket()).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      byte[] msg = "counted only after EOF".getBytes(StandardCharsets.UTF_8);
      writeFully(c, ByteBuffer.wrap(msg));
      c.shutdownOutput(); // the far end answers only once it sees EOF
      ByteBuffer answer = readExactly(c, 40);
      assertEquals(msg.length, answer.getLong());
      byte[] digest = new byte[32];
      answer.get(digest);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(msg), digest);
      assertEquals(-1, c.read(ByteBuffer.allocate(1)));
    }
  }

  @Test
  void remoteHalfCloseReachesLocalAndLocalCanStillSend() throws Exception {
    FarEnd source = lab().source();
    try (SocketTunnel tunnel = SocketTunnel.open(options(source.socket()).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      writeFully(c, ByteBuffer.allocate(8).putLong(1000).flip());
      readExactly(c, 1000);
      assertEquals(-1, c.read(ByteBuffer.allocate(1)), "remote EOF must reach the local client");
      byte[] after = new byte[300_000];
      new java.util.Random(7).nextBytes(after);
      writeFully(c, ByteBuffer.wrap(after)); // the far end still reads after its own EOF
      c.shutdownOutput();
      FarEnd.Received r = source.received(Duration.ofSeconds(30));
      assertEquals(after.length, r.bytes());
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(after), r.sha256());
    }
  }

  @Test
  void closeRemovesSocketDirectoryAndThreads() throws Exception {
    SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket()).build());
    Path socket = tunnel.localSocket().orElseThrow();
    Path dir = socket.getParent();
    String prefix = "ssh-container-" + tunnel.id() + "-";
    try (SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {1, 2, 3}));
      readExactly(c, 3);
      assertTrue(LabTunnels.tunnelThreads().stream().anyMatch(n -> n.startsWith(prefix)));
      tunnel.close();
      assertEquals(-1, c.read(ByteBuffer.allocate(1)), "an open connection ends on close");
    }
    tunnel.close(); // idempotent
    assertFalse(Files.exists(socket), "socket file removed");
    assertFalse(Files.exists(dir), "private directory removed");
    assertTrue(LabTunnels.tunnelThreads().stream().noneMatch(n -> n.startsWith(prefix)),
        () -> "threads left: " + LabTunnels.tunnelThreads());
    assertFalse(tunnel.isOpen());
  }

  @Test
  void localSocketIsPrivate() throws Exception {
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket()).build())) {
      Path socket = tunnel.localSocket().orElseThrow();
      assertEquals("rw-------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(socket)));
      assertEquals("rwx------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(socket.getParent())));
    }
  }

  @Test
  void tcpModeListensOnLoopbackOnly() throws Exception {
    try (SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket())
        .localTcp(true).build());
        SocketChannel c = SocketChannel.open(tunnel.localAddress())) {
      InetSocketAddress a = (InetSocketAddress) tunnel.localAddress();
      assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
      assertEquals("tcp://127.0.0.1:" + a.getPort(), tunnel.uri().toString());
      assertTrue(tunnel.localSocket().isEmpty());
      writeFully(c, ByteBuffer.wrap(new byte[] {42}));
      assertEquals(42, readExactly(c, 1).get());
    }
  }

  @Test
  void staleSocketAtGivenPathIsReplacedButLiveOneIsNot() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-test-");
    Path path = dir.resolve("given.sock");
    try {
      // a socket file nobody listens on: what a crashed run leaves
      ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      dead.bind(UnixDomainSocketAddress.of(path));
      dead.close();
      assertTrue(Files.exists(path));
      try (SocketTunnel tunnel = SocketTunnel.open(options(lab().echo().socket())
          .localSocket(path).build())) {
        assertEquals(path, tunnel.localSocket().orElseThrow());
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
          writeFully(c, ByteBuffer.wrap(new byte[] {9}));
          assertEquals(9, readExactly(c, 1).get());
        }
        IllegalStateException live = assertThrows(IllegalStateException.class,
            () -> SocketTunnel.open(options(lab().echo().socket()).localSocket(path).build()));
        assertTrue(live.getMessage().contains("listening on " + path), live.getMessage());
      }
      assertFalse(Files.exists(path));
    } finally {
      Files.deleteIfExists(path);
      Files.deleteIfExists(dir);
    }
  }
}
