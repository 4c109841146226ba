package io.github.sshcontainer.examples;

import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Opens a tunnel, prints the DOCKER_HOST to use, and asks the daemon its version over it. */
public final class TunnelExample {
  public static void main(String[] args) throws Exception {
    run(DemoSettings.from(args, System.getenv()), System.out);
  }

  public static void run(DemoSettings s, PrintStream out) throws Exception {
    TunnelOptions.Builder options = TunnelOptions.builder(s.destination())
        .remoteSocket(s.dockerSocket());
    if (s.key() != null) {
      options.identityFile(s.key());
    }
    if (s.knownHosts() != null) {
      options.knownHosts(s.knownHosts());
    }
    try (SocketTunnel tunnel = SocketTunnel.open(options.build())) {
      out.println("DOCKER_HOST=" + tunnel.uri());
      // any client works now; here a plain HTTP request on the socket
      try (SocketChannel socket = SocketChannel.open(tunnel.localAddress())) {
        socket.write(ByteBuffer.wrap("GET /version HTTP/1.0\r\nHost: docker\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer reply = ByteBuffer.allocate(64 * 1024);
        while (socket.read(reply) >= 0 && reply.hasRemaining()) { }
        String http = new String(reply.array(), 0, reply.position(), StandardCharsets.UTF_8);
        out.println(http.lines().findFirst().orElse(""));
        out.println(http.substring(http.indexOf("\r\n\r\n") + 4).trim());
      }
    }
  }
}
