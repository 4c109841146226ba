package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a gateway killed with SIGKILL leaves, and what the next start does with it (issue 31):
 * its warm containers are removed by the orphan sweep; a user's container (user mode) is
 * adopted, so the user's next login finds what the last one left, and it goes after the new
 * start's idle timeout. Real processes, the lab's dockerd, OpenSSH's client.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayRestartCliTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final String POOL = "io.github.sshcontainer.gateway.pool";
  private static final String USER = "io.github.sshcontainer.gateway.user";
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private static DockerClient docker() {
    return SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build());
  }

  private GatewayProcess gateway(Path hostKey, String... more) throws Exception {
    Path authorized = tmp.resolve("authorized_keys");
    if (!Files.exists(authorized)) {
      Files.copy(Path.of(lab().clientKey() + ".pub"), authorized);
    }
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--listen", "127.0.0.1:0", "--image", DockerDaemon.BUSYBOX, "--pull",
        "never", "--host-key", hostKey.toString(), "--authorized-keys", authorized.toString(),
        "--stop-timeout", "2s"));
    args.addAll(List.of(more));
    return GatewayProcess.start(tmp, List.of(), args, hostKey);
  }

  private OpenSshClient client(GatewayProcess g, String user) throws Exception {
    Path kh = tmp.resolve("kh-" + g.port());
    Files.writeString(kh, Keys.knownHostsLine(g.hostKey(), g.port()) + "\n");
    return new OpenSshClient(lab().clientKey(), kh, g.port(), user);
  }

  private static void await(Supplier<Boolean> done, String what) throws Exception {
    long end = System.nanoTime() + SOON.toNanos();
    while (!done.get()) {
      assertTrue(System.nanoTime() < end, "in time: " + what);
      Thread.sleep(100);
    }
  }

  /** Containers of the gateway process {@code pid} with label {@code key=value}. */
  private static List<Container> of(DockerClient docker, long pid, String key, String value) {
    return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(key, value,
        OnDemandContainer.MANAGED_LABEL, "true")).exec().stream().filter(c -> String.valueOf(
            c.getLabels().get(OnDemandContainer.OWNER_LABEL)).contains(":" + pid + ":"))
        .toList();
  }

  private static void kill(GatewayProcess g) throws Exception {
    g.process().destroyForcibly(); // SIGKILL: nothing of the gateway runs after this
    assertTrue(g.process().waitFor(30, TimeUnit.SECONDS), "killed");
  }

  private static void stop(GatewayProcess g) throws Exception {
    g.signal("TERM");
    assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "stopped on TERM");
  }

  @Test
  void aKilledGatewaysWarmContainersAreRemovedByTheNextStart() throws Exception {
    Path hostKey = tmp.resolve("host_key");
    try (DockerClient docker = docker()) {
      GatewayProcess first = gateway(hostKey, "--warm", "2");
      Set<String> pool;
      try {
        long pid = first.process().pid();
        await(() -> of(docker, pid, POOL, "true").stream().filter(c -> "running".equals(
            c.getState())).count() == 2, "two warm containers run");
        pool = of(docker, pid, POOL, "true").stream().map(Container::getId)
            .collect(Collectors.toSet());
        assertEquals(0, client(first, "pooled").ssh("true", null, SOON).code(),
            first.stderr());
        await(() -> of(docker, pid, POOL, "true").size() == 2, "refilled");
        pool = of(docker, pid, POOL, "true").stream().map(Container::getId)
            .collect(Collectors.toSet());
      } finally {
        kill(first);
      }
      Set<String> left = pool;
      assertEquals(2, docker.listContainersCmd().withShowAll(true).withIdFilter(left).exec()
          .size(), "a killed gateway leaves its pool");
      GatewayProcess second = gateway(hostKey);
      try {
        assertEquals(List.of(), docker.listContainersCmd().withShowAll(true)
            .withIdFilter(left).exec(), "the next start removed them: " + second.stderr());
        assertTrue(second.stderr().contains("containers left by a gateway that was killed"),
            second.stderr());
      } finally {
        stop(second);
      }
    }
  }

  @Test
  void aKilledGatewaysUserContainerIsAdoptedFoundAgainAndGoesWhenIdle() throws Exception {
    Path hostKey = tmp.resolve("host_key");
    String user = "ada" + Long.toString(System.nanoTime() % 1_000_000, 36);
    try (DockerClient docker = docker()) {
      GatewayProcess first = gateway(hostKey, "--mode", "user", "--user-idle-timeout", "10m");
      String host;
      String id;
      try {
        OpenSshClient.Result w = client(first, user).ssh("echo kept > /tmp/f; hostname", null,
            SOON);
        assertEquals(0, w.code(), w.err() + first.stderr());
        host = w.out().strip();
        List<Container> mine = of(docker, first.process().pid(), USER, user);
        assertEquals(1, mine.size(), "one container for the user");
        id = mine.get(0).getId();
      } finally {
        kill(first);
      }
      GatewayProcess second = gateway(hostKey, "--mode", "user", "--user-idle-timeout", "3s");
      try {
        assertTrue(second.stderr().contains("adopted 1 user containers"), second.stderr());
        OpenSshClient.Result r = client(second, user).ssh("cat /tmp/f; hostname", null, SOON);
        assertEquals("kept\n" + host + "\n", r.out(), r.err() + second.stderr());
        await(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id))
            .exec().isEmpty(), "the adopted container removed 3 s after the last connection");
        assertTrue(second.stderr().contains(user + "'s container " + id.substring(0, 12)
            + " removed: no connection for 3s"), second.stderr());
      } finally {
        stop(second);
      }
    }
  }
}
