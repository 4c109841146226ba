package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.NetnsHost;
import io.github.sshcontainer.lab.Sshd;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ProxyJump: the target is reached through one or two jump hosts. On one machine every sshd is
 * reachable directly too, so the jump hosts log at DEBUG1 and the test reads in their logs
 * that each forwarded the connection to the next hop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JumpHostTest {
  @TempDir Path tmp;

  private Path knownHosts(Sshd... servers) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (Sshd s : servers) {
      sb.append(Keys.knownHostsLine(lab().hostKey(), s.port())).append('\n');
    }
    return Files.writeString(tmp.resolve("kh"), sb.toString());
  }

  private static void echo(SocketTunnel t) throws Exception {
    try (SocketChannel c = SocketChannel.open(t.localAddress())) {
      writeFully(c, ByteBuffer.wrap(new byte[] {3}));
      assertEquals(3, readExactly(c, 1).get());
    }
  }

  private static boolean forwarded(Sshd jump, int toPort) throws Exception {
    String log = Files.readString(jump.logFile());
    return log.contains("direct-tcpip") && log.contains("port " + toPort);
  }

  @Test
  void throughTwoJumpHostsFromTheOptions() throws Exception {
    try (Sshd jump1 = lab().startSshd("jump1-" + System.nanoTime(), lab().hostKey(),
            List.of("LogLevel DEBUG1"));
        Sshd jump2 = lab().startSshd("jump2-" + System.nanoTime(), lab().hostKey(),
            List.of("LogLevel DEBUG1"));
        Sshd target = lab().startSshd("target-" + System.nanoTime(), lab().hostKey(),
            List.of())) {
      TunnelOptions o = options(lab().echo().socket()).knownHosts(knownHosts(jump1, jump2,
          target)).target(SshTarget.of(lab().user(), "127.0.0.1", target.port()))
          .jumpHosts(lab().user() + "@127.0.0.1:" + jump1.port(),
              lab().user() + "@127.0.0.1:" + jump2.port()).build();
      try (SocketTunnel t = SocketTunnel.open(o)) {
        echo(t);
        assertEquals(2, t.options().jumpHosts().size());
      }
      assertTrue(forwarded(jump1, jump2.port()), "jump1 forwarded to jump2");
      assertTrue(forwarded(jump2, target.port()), "jump2 forwarded to the target");
    }
  }

  @Test
  void proxyJumpFromSshConfig() throws Exception {
    try (Sshd jump = lab().startSshd("jumpc-" + System.nanoTime(), lab().hostKey(),
            List.of("LogLevel DEBUG1"));
        Sshd target = lab().startSshd("targetc-" + System.nanoTime(), lab().hostKey(),
            List.of())) {
      Path config = Files.writeString(tmp.resolve("config"), String.join("\n",
          "Host bastion", "  HostName 127.0.0.1", "  Port " + jump.port(),
          "  User " + lab().user(),
          "Host inner", "  HostName 127.0.0.1", "  Port " + target.port(),
          "  User " + lab().user(), "  ProxyJump bastion", ""));
      TunnelOptions o = TunnelOptions.builder("inner").sshConfig(config)
          .identityFile(lab().clientKey()).knownHosts(knownHosts(jump, target)).useAgent(false)
          .remoteSocket(lab().echo().socket().toString()).build();
      try (SocketTunnel t = SocketTunnel.open(o)) {
        echo(t);
      }
      assertTrue(forwarded(jump, target.port()), "the bastion forwarded to the target");
    }
  }

  @Test
  void aTargetOnlyItsOwnNetworkReachesIsReachedOnlyThroughTheJump() throws Exception {
    NetnsHost remote = lab().netnsHost();
    int targetPort = FreePort.pick(); // free here too, so a direct try finds nothing
    try (Sshd jump = remote.startSshd("jumpns-" + System.nanoTime(), lab().hostKey(),
            lab().authorizedKeys(), List.of("LogLevel DEBUG1"), remote.address(), 22);
        Sshd target = remote.startSshd("targetns-" + System.nanoTime(), lab().hostKey(),
            lab().authorizedKeys(), List.of(), "127.0.0.1", targetPort)) {
      Path kh = Files.writeString(tmp.resolve("kh-ns"),
          Keys.knownHostsLine(lab().hostKey(), remote.address(), 22) + "\n"
              + Keys.knownHostsLine(lab().hostKey(), "127.0.0.1", targetPort) + "\n");
      for (String host : List.of("127.0.0.1", remote.address())) {
        TunnelException direct = assertThrows(TunnelException.class, () -> SocketTunnel.open(
            options(lab().echo().socket()).knownHosts(kh)
                .target(SshTarget.of(lab().user(), host, targetPort))
                .retry(2, Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofMillis(20))
                .build()), "the target must not be reachable at " + host + " without the jump");
        assertEquals(TunnelException.Reason.CANNOT_CONNECT, direct.reason(), direct.getMessage());
      }
      TunnelOptions o = options(lab().echo().socket()).knownHosts(kh)
          .target(SshTarget.of(lab().user(), "127.0.0.1", targetPort))
          .jumpHosts(lab().user() + "@" + remote.address() + ":22").build();
      try (SocketTunnel t = SocketTunnel.open(o)) {
        echo(t);
      }
      assertTrue(forwarded(jump, targetPort), "the jump host forwarded to the target");
    }
  }
}
