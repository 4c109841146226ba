// README:begin published-ports
package example;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.PublishedPorts;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Reads a remote container's web page on 127.0.0.1:8080: PublishedPortsExample HOST. */
public class PublishedPortsExample {
  public static void main(String[] args) throws Exception {
    TunnelOptions options = TunnelOptions.builder(args[0]).build(); // "ssh://me@build-host"
    try (DockerClient docker = SshDocker.connect(options);
         PublishedPorts ports = PublishedPorts.follow(docker)) {
      // a container on the remote host publishes 8080 (docker run -p 8080:80 …)
      InetSocketAddress web = ports.awaitPort(8080, Duration.ofSeconds(10)); // 127.0.0.1:8080
      try (Socket s = new Socket(web.getAddress(), web.getPort())) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(UTF_8));
        System.out.println(new String(s.getInputStream().readAllBytes(), UTF_8));
      }
    } // the forwards close with the client
  }
}
// README:end published-ports
