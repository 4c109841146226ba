package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's tunnel example is this code, run against the lab. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeExampleTest {

  @Test
  void readmeTunnelExampleRuns() throws Exception {
    String destination = lab().destination();
    Path key = lab().clientKey();
    Path knownHosts = lab().knownHosts();
    String remoteSocket = lab().echo().socket().toString();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    // README:begin tunnel
    TunnelOptions options = TunnelOptions.builder(destination) // e.g. "ssh://me@build-host:22"
        .identityFile(key)                                     // default: agent or ~/.ssh/id_*
        .knownHosts(knownHosts)                                // default: ~/.ssh/known_hosts
        .remoteSocket(remoteSocket)                            // required: the remote path
        .build();
    try (SocketTunnel tunnel = SocketTunnel.open(options);
         SocketChannel socket = SocketChannel.open(tunnel.localAddress())) {
      out.println("DOCKER_HOST=" + tunnel.uri()); // unix:///tmp/ssh-container-…/….sock
      socket.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.UTF_8)));
      ByteBuffer reply = ByteBuffer.allocate(4);
      while (reply.hasRemaining() && socket.read(reply) >= 0) { }
      out.println(new String(reply.array(), StandardCharsets.UTF_8));
    } // closing removes the socket, its directory and every thread
    // README:end tunnel

    String printed = captured.toString(StandardCharsets.UTF_8);
    assertTrue(printed.startsWith("DOCKER_HOST=unix:///"), printed);
    assertEquals("ping", printed.lines().skip(1).findFirst().orElse(""), printed);
    assertReadmeShows("tunnel");
  }

  static void assertReadmeShows(String name) {
    io.github.sshcontainer.lab.ReadmeSnippets.assertShown(
        Path.of("src/test/java/io/github/sshcontainer/tunnel/ReadmeExampleTest.java"), name,
        Path.of(".."));
  }
}
