// README:begin tunnel
package example;

import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Asks a remote Docker daemon for {@code /_ping} through a tunnel: TunnelQuickStart HOST. */
public class TunnelQuickStart {
  public static void main(String[] args) throws IOException {
    TunnelOptions options = TunnelOptions.builder(args[0]) // "ssh://me@build-host:22", an alias
        // .identityFile(Path.of("/home/me/.ssh/deploy")) default: ssh config, agent, ~/.ssh/id_*
        // .knownHosts(Path.of("/etc/ssh/known_hosts"))    default: ssh config, ~/.ssh/known_hosts
        .remoteSocket("/var/run/docker.sock")              // required: the remote Unix socket
        .build();
    try (SocketTunnel tunnel = SocketTunnel.open(options);
         SocketChannel socket = SocketChannel.open(tunnel.localAddress());
         InputStream in = Channels.newInputStream(socket)) {
      System.out.println("DOCKER_HOST=" + tunnel.uri()); // unix:///tmp/ssh-container-…/….sock
      socket.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.UTF_8)));
      String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8); // dockerd closes
      System.out.println(reply.lines().findFirst().orElse(""));            // HTTP/1.0 200 OK
      System.out.println(reply.substring(reply.indexOf("\r\n\r\n") + 4));  // OK
    } // closing removes the socket, its directory and every thread
  }
}
// README:end tunnel
