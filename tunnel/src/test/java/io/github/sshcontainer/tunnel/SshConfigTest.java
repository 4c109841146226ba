package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.readExactly;
import static io.github.sshcontainer.tunnel.LabTunnels.writeFully;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An OpenSSH config alias supplies host, port, user, key and known_hosts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SshConfigTest {
  @TempDir Path tmp;

  @Test
  void aliasFromSshConfigIsResolved() throws Exception {
    Path config = tmp.resolve("config");
    Files.writeString(config, String.join("\n",
        "Host lab-alias",
        "  HostName 127.0.0.1",
        "  Port " + lab().port(),
        "  User " + lab().user(),
        "  IdentityFile " + lab().clientKey(),
        "  UserKnownHostsFile " + lab().knownHosts(),
        "  ConnectTimeout 7",
        "  ServerAliveInterval 5",
        "") + "\n");
    TunnelOptions o = TunnelOptions.builder("lab-alias").sshConfig(config).useAgent(false)
        .remoteSocket(lab().echo().socket().toString()).build();
    try (SocketTunnel t = SocketTunnel.open(o);
        SocketChannel c = SocketChannel.open(t.localAddress())) {
      assertEquals(lab().user() + "@127.0.0.1:" + lab().port(), t.remote());
      writeFully(c, ByteBuffer.wrap(new byte[] {7}));
      assertEquals(7, readExactly(c, 1).get());
    }
  }
}
