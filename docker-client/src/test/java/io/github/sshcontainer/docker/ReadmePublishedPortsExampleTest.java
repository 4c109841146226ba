package io.github.sshcontainer.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.NetnsHost;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's published-ports example is this code, run against the firewalled lab host. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadmePublishedPortsExampleTest {

  @Test
  void readmePublishedPortsExampleRuns() throws Exception {
    Lab lab = Lab.shared();
    NetnsHost.DockerHost host = lab.remoteDockerHost();
    TunnelOptions options = TunnelOptions.builder(host.destination())
        .identityFile(lab.clientKey()).knownHosts(host.knownHosts())
        .remoteSocket(host.docker().socket().toString()).build();
    String id = host.docker().cli(Duration.ofSeconds(60), "run", "-d", "-p", "8080:80",
        DockerDaemon.BUSYBOX, "sh", "-c", "mkdir -p /w && echo hello-from-port-8080 > "
            + "/w/index.html && exec busybox httpd -f -p 80 -h /w").trim();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(captured, true, UTF_8);
    try {
      for (int attempt = 0; attempt < 50 && !captured.toString(UTF_8).contains("hello");
          attempt++) {
        captured.reset();
        Thread.sleep(attempt == 0 ? 0 : 100); // httpd may still be starting in the container

        // README:begin published-ports
        try (DockerClient docker = SshDocker.connect(options);
             PublishedPorts ports = PublishedPorts.follow(docker)) {
          // a container on the remote host publishes 8080 (docker run -p 8080:80 …)
          InetSocketAddress web = ports.awaitPort(8080, Duration.ofSeconds(10)); // 127.0.0.1:8080
          try (Socket s = new Socket(web.getAddress(), web.getPort())) {
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(UTF_8));
            out.println(new String(s.getInputStream().readAllBytes(), UTF_8));
          }
        } // the forwards close with the client
        // README:end published-ports
      }
      assertTrue(captured.toString(UTF_8).contains("hello-from-port-8080"),
          captured.toString(UTF_8));
    } finally {
      host.docker().cli(Duration.ofSeconds(30), "rm", "-f", id);
    }
    ReadmeSnippets.assertShown(Path.of(
        "src/test/java/io/github/sshcontainer/docker/ReadmePublishedPortsExampleTest.java"),
        "published-ports", Path.of(".."));
  }
}
