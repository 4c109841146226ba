package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Sshd;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssh -L}: local TCP ports forwarded over the tunnel's SSH connection to a TCP server as
 * the remote host sees it (here a server on the lab host's loopback, which is this machine's).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpForwardTest {
  @TempDir Path tmp;
  private ServerSocket server;
  private final ExecutorService serverThreads = Executors.newCachedThreadPool();

  /** Echo, or with a first byte 'S' a source of endless bytes. */
  @BeforeEach
  void startServer() throws IOException {
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    serverThreads.execute(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          serverThreads.execute(() -> serve(s));
        } catch (IOException closed) {
          return;
        }
      }
    });
  }

  private static void serve(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      int first = in.read();
      if (first == 'S') {
        byte[] chunk = new byte[64 * 1024];
        while (true) {
          out.write(chunk);
        }
      }
      if (first < 0) {
        return;
      }
      out.write(first);
      in.transferTo(out);
    } catch (IOException ended) {
      // the client went away
    }
  }

  @AfterEach
  void stopServer() throws IOException {
    server.close();
    serverThreads.shutdownNow();
  }

  private static byte[] echo(InetSocketAddress at, byte[] data) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(at, 5000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write(data);
      s.shutdownOutput();
      return s.getInputStream().readAllBytes();
    }
  }

  @Test
  void aHundredConnectionsAtOnceThroughOneForward() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      TcpForward f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
      assertEquals("127.0.0.1", f.localAddress().getAddress().getHostAddress(),
          "loopback only");
      assertTrue(f.localAddress().getPort() > 0);
      ExecutorService clients = Executors.newFixedThreadPool(100);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          int n = i;
          results.add(clients.submit(() -> {
            byte[] data = new byte[64 * 1024 + n];
            new Random(n).nextBytes(data);
            data[0] = 'E';
            return java.util.Arrays.equals(data, echo(f.localAddress(), data));
          }));
        }
        for (Future<Boolean> r : results) {
          assertTrue(r.get(60, TimeUnit.SECONDS), "every byte came back");
        }
      } finally {
        clients.shutdownNow();
      }
      assertEquals(List.of(f), t.tcpForwards());
    }
  }

  @Test
  void aConnectionThatStopsReadingStallsNoOther() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      TcpForward f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
      try (Socket stalled = new Socket()) {
        stalled.connect(f.localAddress(), 5000);
        stalled.getOutputStream().write('S'); // an endless source nobody reads
        Thread.sleep(500);
        for (int i = 0; i < 20; i++) {
          byte[] data = {'E', (byte) i};
          assertArrayEquals(data, echo(f.localAddress(), data), "echo " + i + " still works");
        }
        assertTrue(t.queuedBytes() <= 64L << 20, "queued " + t.queuedBytes());
      }
    }
  }

  @Test
  void aTunnelWithNoSocketCarriesOnlyForwards() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket())
        .remoteSocket(RemoteSocket.none()).build())) {
      assertTrue(t.localSocket().isEmpty());
      assertEquals("", t.remoteSocket());
      IllegalStateException e = assertThrows(IllegalStateException.class, t::uri);
      assertTrue(e.getMessage().contains("only TCP forwards"), e.getMessage());
      TcpForward f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
      assertArrayEquals(new byte[] {'E', 7}, echo(f.localAddress(), new byte[] {'E', 7}));
      assertTrue(t.toString().contains("TCP forwards"), t.toString());
    }
  }

  /**
   * close() returns once the port has stopped listening: a client gets refused and the port can
   * be bound again at once (a thread still blocked in accept kept it listening for a moment).
   */
  @Test
  void aClosedForwardsPortIsFreeWhenCloseReturns() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build())) {
      for (int i = 0; i < 100; i++) {
        TcpForward f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
        InetSocketAddress at = f.localAddress();
        // a served connection puts the next accepting thread on the listener
        assertArrayEquals(new byte[] {'E', (byte) i}, echo(at, new byte[] {'E', (byte) i}));
        f.close();
        try (ServerSocket again = new ServerSocket()) {
          again.setReuseAddress(true);
          again.bind(at); // fails while the forward still listens
        }
        assertThrows(IOException.class, () -> {
          try (Socket s = new Socket()) {
            s.connect(at, 1000);
          }
        }, "round " + i);
      }
    }
  }

  @Test
  void aTakenLocalPortIsTyped() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build());
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      TunnelException e = assertThrows(TunnelException.class,
          () -> t.forwardTcp(taken.getLocalPort(), "127.0.0.1", server.getLocalPort()));
      assertEquals(TunnelException.Reason.LOCAL_PORT_UNAVAILABLE, e.reason());
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("0 for any free one"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> t.forwardTcp(70000, "h", 1));
      assertThrows(IllegalArgumentException.class, () -> t.forwardTcp(0, " ", 1));
    }
  }

  @Test
  void aForwardSurvivesAReconnectAndClosesWithItsTunnel() throws Exception {
    Sshd own = lab().startSshd("fwd-" + System.nanoTime(), lab().hostKey(), List.of());
    try {
      Path kh = Files.writeString(tmp.resolve("kh"),
          Keys.knownHostsLine(lab().hostKey(), own.port()) + "\n");
      TcpForward f;
      try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", own.port())).build())) {
        f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
        assertArrayEquals(new byte[] {'E', 1}, echo(f.localAddress(), new byte[] {'E', 1}));
        assertTrue(own.killSessions() >= 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.reconnects() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertEquals(1, t.reconnects());
        assertTrue(f.isOpen());
        assertArrayEquals(new byte[] {'E', 2}, echo(f.localAddress(), new byte[] {'E', 2}),
            "the same local port works over the new SSH connection");
      }
      assertFalse(f.isOpen(), "closed with its tunnel");
      assertThrows(IOException.class, () -> echo(f.localAddress(), new byte[] {'E'}));
    } finally {
      own.close();
    }
  }

  @Test
  void aServerWithoutTcpForwardingClosesTheConnection() throws Exception {
    try (Sshd noTcp = lab().startSshd("notcpfwd-" + System.nanoTime(), lab().hostKey(),
        List.of("AllowTcpForwarding no", "AllowStreamLocalForwarding yes"))) {
      Path kh = Files.writeString(tmp.resolve("kh2"),
          Keys.knownHostsLine(lab().hostKey(), noTcp.port()) + "\n");
      // the socket tunnel itself cannot open either (OpenSSH refuses both), so no readiness check
      try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", noTcp.port()))
          .readinessCheck(false).build())) {
        TcpForward f = t.forwardTcp(0, "127.0.0.1", server.getLocalPort());
        // refused by the server: the local connection is closed (EOF or reset), not left
        // hanging until the read timeout
        long start = System.nanoTime();
        try {
          assertEquals(0, echo(f.localAddress(), new byte[] {'E', 1}).length);
        } catch (java.net.SocketException reset) {
          assertTrue(reset.getMessage().contains("reset"), reset.toString());
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "closed promptly");
      }
    }
  }
}
