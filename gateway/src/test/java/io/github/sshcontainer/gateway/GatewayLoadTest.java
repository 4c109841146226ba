package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Fifty logins at once: every one answered, every container gone, threads back to baseline. */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GatewayLoadTest {
  @TempDir Path tmp;

  @Test
  void fiftyConcurrentLoginsAllAnswerAndLeaveNothing() throws Exception {
    int n = 50;
    // one user logging in 50 times at once from one machine, as a CI job would: above the
    // default per-user and per-source limits (10), so the operator raises them; the global
    // limits stay at their defaults
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"),
        SshDocker.connect(LabGateway.dockerHost().build()),
        DockerBackendOptions.builder(busybox().build()).build(),
        o -> o.maxConnectionsPerUser(n).maxUnauthenticatedPerSource(n))) {
      // one login first, so the baseline has the threads a gateway keeps once used
      assertEquals(0, g.client("warm").ssh("true", null, Duration.ofSeconds(60)).code());
      Set<String> baseline = LabGateway.threads();
      ExecutorService clients = Executors.newFixedThreadPool(n);
      List<Future<OpenSshClient.Result>> results = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        String cmd = "echo " + i;
        OpenSshClient c = g.client("load");
        results.add(clients.submit(() -> c.ssh(cmd, null, Duration.ofMinutes(5))));
      }
      for (int i = 0; i < n; i++) {
        OpenSshClient.Result r = results.get(i).get(6, TimeUnit.MINUTES);
        assertEquals(0, r.code(), "login " + i + ": " + r.err());
        assertEquals(i + "\n", r.out(), "login " + i);
      }
      clients.shutdown();
      System.out.printf("FIGURES gateway load: %d concurrent logins answered in %d ms%n", n,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      g.awaitNoContainers("load", Duration.ofSeconds(60));
      LabGateway.awaitThreadsBackTo(baseline);
    }
  }
}
