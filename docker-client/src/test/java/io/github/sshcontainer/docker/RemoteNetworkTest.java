package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.NetnsHost;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The remote host as users have it: another machine on the network (a network namespace) whose
 * firewall lets only SSH in, with a dockerd that has a bridge network, so {@code -p} really
 * publishes. Docker is driven over SSH at the host's address; the published port answers inside
 * the host and cannot be reached from here.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RemoteNetworkTest {
  @Test
  void dockerOnAFirewalledHostIsDrivenOverSshAndItsPublishedPortStaysInside() throws Exception {
    NetnsHost.DockerHost host = lab().remoteDockerHost();
    NetnsHost remote = host.host();
    TunnelOptions o = TunnelOptions.builder(host.destination())
        .identityFile(lab().clientKey()).knownHosts(host.knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(host.docker().socket().toString()).build();
    try (DockerClient docker = SshDocker.connect(o)) {
      ExposedPort http = ExposedPort.tcp(80);
      Ports bindings = new Ports();
      bindings.bind(http, Ports.Binding.bindPort(0));
      String id = docker.createContainerCmd(DockerDaemon.BUSYBOX)
          .withCmd("sh", "-c", "mkdir -p /w && echo published-inside > /w/index.html"
              + " && exec busybox httpd -f -p 80 -h /w")
          .withExposedPorts(http)
          .withHostConfig(HostConfig.newHostConfig().withPortBindings(bindings))
          .exec().getId();
      try {
        docker.startContainerCmd(id).exec();
        Ports.Binding[] published = docker.inspectContainerCmd(id).exec().getNetworkSettings()
            .getPorts().getBindings().get(http);
        assertNotNull(published, "port 80 is published");
        int port = Integer.parseInt(published[0].getHostPortSpec());
        String inside = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!inside.contains("published-inside") && System.nanoTime() < deadline) {
          try {
            inside = remote.exec(Duration.ofSeconds(10), "busybox", "wget", "-q", "-O", "-",
                "http://127.0.0.1:" + port + "/");
          } catch (IllegalStateException notYet) {
            Thread.sleep(100);
          }
        }
        assertTrue(inside.contains("published-inside"), "served inside the host: " + inside);
        assertThrows(IOException.class, () -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(remote.address(), port), 1500);
          }
        }, "the firewall keeps " + remote.address() + ":" + port + " from this machine");
        assertEquals("running", docker.inspectContainerCmd(id).exec().getState().getStatus());
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
    }
  }
}
