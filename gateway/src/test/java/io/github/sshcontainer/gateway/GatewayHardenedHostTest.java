package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway on a Docker host whose sshd forwards no sockets and allows three sessions per
 * connection: the tunnel carries every Docker connection over {@code docker system dial-stdio}
 * exec channels, and more SSH connections when three are in use. Users see no difference.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayHardenedHostTest {
  private static final Duration SOON = Duration.ofSeconds(90);
  @TempDir Path tmp;

  @Test
  void aHostWithoutSocketForwardingAndMaxSessionsThreeServesEveryLogin() throws Exception {
    try (Sshd sshd = lab().startSshd("gw-hardened-" + System.nanoTime(), lab().hostKey(),
        List.of("AllowStreamLocalForwarding no", "MaxSessions 3", "LogLevel DEBUG1"))) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
      TunnelOptions host = TunnelOptions.builder("ssh://" + lab().user() + "@127.0.0.1:"
          + sshd.port()).identityFile(lab().clientKey()).knownHosts(kh).noSshConfig()
          .useAgent(false).connectTimeout(Duration.ofSeconds(10))
          .remoteSocket(lab().docker().socket().toString()).build();
      try (LabGateway g = LabGateway.start(tmp.resolve("gw"), SshDocker.connect(host),
          DockerBackendOptions.builder(busybox().build()).build(), o -> o)) {
        String text = "through a host that forwards nothing\n".repeat(3000);
        OpenSshClient.Result cat = g.alice().ssh("cat", text.getBytes(StandardCharsets.UTF_8),
            SOON);
        assertEquals(0, cat.code(), cat.err());
        assertEquals(text, cat.out(), "stdin to its end and back");

        // eight logins at once: each a container and an attach, more than three sessions
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
          List<Future<OpenSshClient.Result>> results = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            String cmd = "echo login-" + i + "; exit " + (i + 1);
            OpenSshClient c = g.client("hardened");
            results.add(clients.submit(() -> c.ssh(cmd, null, SOON)));
          }
          for (int i = 0; i < 8; i++) {
            OpenSshClient.Result r = results.get(i).get(3, TimeUnit.MINUTES);
            assertEquals(i + 1, r.code(), "login " + i + ": " + r.err());
            assertEquals("login-" + i + "\n", r.out(), "login " + i);
          }
        } finally {
          clients.shutdownNow();
        }
        g.awaitNoContainers("hardened", Duration.ofSeconds(60));
      }
      String log = Files.readString(sshd.logFile());
      assertTrue(log.contains("refused streamlocal port forward"),
          "the host refused socket forwarding");
      assertTrue(log.contains("request exec"), "exec channels (docker system dial-stdio) "
          + "carried the Docker connections");
      long logins = log.lines().filter(l -> l.contains("Accepted publickey")).count();
      assertTrue(logins >= 2, "beyond three sessions the tunnel opened more SSH connections: "
          + logins);
    }
  }
}
