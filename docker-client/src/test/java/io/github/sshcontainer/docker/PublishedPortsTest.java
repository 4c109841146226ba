package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.HttpGet;
import io.github.sshcontainer.lab.NetnsHost;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Published container ports on localhost: the remote host is another machine (a network
 * namespace) whose firewall lets only SSH in, so a published port is reached through the
 * forward or not at all.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PublishedPortsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static NetnsHost.DockerHost host;
  private static DockerClient docker;
  private static PublishedPorts ports;

  @BeforeAll
  static void connect() {
    host = lab().remoteDockerHost();
    docker = SshDocker.connect(TunnelOptions.builder(host.destination())
        .identityFile(lab().clientKey()).knownHosts(host.knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(host.docker().socket().toString()).build());
    ports = PublishedPorts.follow(docker);
  }

  @AfterAll
  static void close() throws Exception {
    ports.close();
    docker.close();
  }

  /** A busybox httpd serving {@code text}, published as {@code hostPort} (0: any). */
  static String httpd(DockerClient docker, int hostPort, String text) {
    ExposedPort http = ExposedPort.tcp(80);
    Ports bindings = new Ports();
    bindings.bind(http, Ports.Binding.bindPort(hostPort));
    String id = docker.createContainerCmd(DockerDaemon.BUSYBOX)
        .withCmd("sh", "-c", "mkdir -p /w && echo " + text + " > /w/index.html"
            + " && exec busybox httpd -f -p 80 -h /w")
        .withExposedPorts(http)
        .withHostConfig(HostConfig.newHostConfig().withPortBindings(bindings)).exec().getId();
    docker.startContainerCmd(id).exec();
    return id;
  }

  static int publishedPort(DockerClient docker, String id) {
    return Integer.parseInt(docker.inspectContainerCmd(id).exec().getNetworkSettings()
        .getPorts().getBindings().get(ExposedPort.tcp(80))[0].getHostPortSpec());
  }

  private static void awaitGone(int port) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    while (ports.localAddress(port).isPresent() && System.nanoTime() < end) {
      Thread.sleep(20);
    }
  }

  @Test
  void aPublishedPortIsAnsweredOnLocalhostAndGoneWhenTheContainerStops() throws Exception {
    String id = httpd(docker, 0, "hello-from-the-remote-host");
    try {
      int port = publishedPort(docker, id);
      assertThrows(IOException.class, () -> {
        try (Socket direct = new Socket()) {
          direct.connect(new InetSocketAddress(host.host().address(), port), 1500);
        }
      }, "only SSH is open on " + host.host().address());
      InetSocketAddress local = ports.awaitPort(port, WAIT);
      assertEquals("127.0.0.1", local.getAddress().getHostAddress());
      assertTrue(HttpGet.root(local, WAIT).contains("hello-from-the-remote-host"));
      PublishedPorts.Mapping m = ports.mappings().stream()
          .filter(x -> x.remotePort() == port).findFirst().orElseThrow();
      assertEquals(id, m.containerId());
      assertEquals("127.0.0.1", m.remoteHost(), "published on all addresses: remote loopback");
      docker.stopContainerCmd(id).withTimeout(1).exec();
      awaitGone(port);
      assertFalse(ports.localAddress(port).isPresent(), "the forward went with the container");
      assertThrows(IOException.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(local, 1500);
        }
      });
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void aTakenLocalPortGetsAnotherOneThatTheMappingTells() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      String id = httpd(docker, port, "moved-port");
      try {
        InetSocketAddress local = ports.awaitPort(port, WAIT);
        assertNotEquals(port, local.getPort(), "the taken port is left alone");
        assertFalse(ports.mappings().stream().filter(m -> m.remotePort() == port)
            .findFirst().orElseThrow().samePort());
        assertTrue(HttpGet.root(local, WAIT).contains("moved-port"));
      } finally {
        docker.removeContainerCmd(id).withForce(true).exec();
      }
    }
  }

  @Test
  void aHundredConnectionsThroughOneForward() throws Exception {
    String id = httpd(docker, 0, "many");
    ExecutorService clients = Executors.newFixedThreadPool(100);
    try {
      InetSocketAddress local = ports.awaitPort(publishedPort(docker, id), WAIT);
      HttpGet.root(local, WAIT);
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        answers.add(clients.submit(() -> HttpGet.root(local, WAIT)));
      }
      for (Future<String> a : answers) {
        assertTrue(a.get(60, TimeUnit.SECONDS).contains("many"));
      }
    } finally {
      clients.shutdownNow();
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  @Test
  void forwardsSurviveAReconnectAndNewContainersAreStillFollowed() throws Exception {
    String before = httpd(docker, 0, "before-the-drop");
    String after = null;
    try {
      InetSocketAddress first = ports.awaitPort(publishedPort(docker, before), WAIT);
      assertTrue(HttpGet.root(first, WAIT).contains("before-the-drop"));
      SocketTunnel tunnel = SshDocker.tunnelOf(docker).orElseThrow();
      int reconnects = tunnel.reconnects();
      assertTrue(host.sshd().killSessions() >= 1);
      long end = System.nanoTime() + WAIT.toNanos();
      while (tunnel.reconnects() == reconnects && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertEquals(reconnects + 1, tunnel.reconnects());
      assertTrue(HttpGet.root(first, WAIT).contains("before-the-drop"),
          "the same local port, a new session");
      after = httpd(docker, 0, "after-the-drop");
      InetSocketAddress second = ports.awaitPort(publishedPort(docker, after), WAIT);
      assertTrue(HttpGet.root(second, WAIT).contains("after-the-drop"),
          "events are followed again");
    } finally {
      docker.removeContainerCmd(before).withForce(true).exec();
      if (after != null) {
        docker.removeContainerCmd(after).withForce(true).exec();
      }
    }
  }

  @Test
  void containersRunningBeforeFollowingAreForwardedAndAClosedFollowerLeavesNoPort()
      throws Exception {
    String id = httpd(docker, 0, "already-running");
    try {
      int port = publishedPort(docker, id);
      InetSocketAddress shared = ports.awaitPort(port, WAIT);
      InetSocketAddress local;
      try (PublishedPorts second = PublishedPorts.follow(docker)) {
        // forwarded at once (not from an event), on another local port: the number is taken
        local = second.localAddress(port).orElseThrow();
        assertNotEquals(shared.getPort(), local.getPort());
        assertTrue(HttpGet.root(local, WAIT).contains("already-running"));
      }
      InetSocketAddress closed = local;
      assertThrows(IOException.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(closed, 1500);
        }
      });
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }
}
