package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Ulimit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ContainerSpec.Builder#passthrough}: the Engine API's own settings reach the daemon. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PassthroughTest {

  private static String run(OnDemandContainer c, String script) {
    ExecResult r = c.exec(ExecSpec.of("sh", "-c", script).build());
    assertEquals(0, r.exitCode(), script + ": " + r.stderr());
    return r.stdout();
  }

  @Test
  void hostConfigAndConfigFieldsReachTheContainerAndTheTypedSettingsWin() throws Exception {
    ContainerSpec spec = busybox().label("team", "ours").memoryBytes(64L << 20)
        .env("FROM", "typed")
        .passthrough(
            Map.of("Labels", Map.of("team", "theirs", "extra", "passed"),
                "Env", List.of("FROM=passthrough", "ONLY_THEIRS=1")),
            Map.of("Ulimits", List.of(Map.of("Name", "nofile", "Soft", 1234, "Hard", 2345)),
                "ExtraHosts", List.of("myhost:10.1.2.3"),
                "Dns", List.of("10.9.8.7"),
                "Memory", 32L << 20,
                "Privileged", true),
            Map.of())
        .build();
    try (DockerClient docker = client(); OnDemandContainer c = OnDemandContainer.launch(docker,
        spec)) {
      InspectContainerResponse inspect = docker.inspectContainerCmd(c.id()).exec();
      Map<String, String> labels = inspect.getConfig().getLabels();
      assertEquals("passed", labels.get("extra"), "a passthrough label: " + labels);
      assertEquals("ours", labels.get("team"), "ours win on the same key");
      assertEquals("true", labels.get(OnDemandContainer.MANAGED_LABEL), "ssh-container's stays");
      List<Ulimit> ulimits = Arrays.asList(inspect.getHostConfig().getUlimits());
      assertEquals(1, ulimits.size(), ulimits.toString());
      assertEquals("nofile", ulimits.get(0).getName());
      assertEquals(1234L, ulimits.get(0).getSoftLong());
      assertEquals(2345L, ulimits.get(0).getHardLong());
      assertEquals(List.of("myhost:10.1.2.3"),
          Arrays.asList(inspect.getHostConfig().getExtraHosts()));
      assertEquals(List.of("10.9.8.7"), Arrays.asList(inspect.getHostConfig().getDns()));
      assertEquals(64L << 20, inspect.getHostConfig().getMemory(), "the typed memory wins");
      assertFalse(inspect.getHostConfig().getPrivileged(), "privileged only when typed");

      assertEquals("1234\n", run(c, "ulimit -n"));
      assertTrue(run(c, "cat /etc/hosts").contains("10.1.2.3\tmyhost"), run(c, "cat /etc/hosts"));
      assertTrue(run(c, "cat /etc/resolv.conf").contains("nameserver 10.9.8.7"),
          run(c, "cat /etc/resolv.conf"));
      String env = run(c, "echo $FROM $ONLY_THEIRS");
      assertEquals("typed 1\n", env, "env merges by name, the typed one winning");
    }
  }

  @Test
  void anUnknownFieldOrAWrongTypeIsAnErrorNamingTheField() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> busybox().passthrough(Map.of(), Map.of("Ulimitz", List.of()), Map.of()));
    assertTrue(unknown.getMessage().startsWith("HostConfig.Ulimitz is not a field of the Engine "
        + "API's HostConfig"), unknown.getMessage());
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> busybox().passthrough(Map.of(), Map.of("Ulimits", List.of(Map.of("Name", "nofile",
            "Soft", "many"))), Map.of()));
    assertTrue(type.getMessage().startsWith("HostConfig.Ulimits[0].Soft: "), type.getMessage());
    IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
        () -> busybox().passthrough(Map.of("HostConfig", Map.of()), Map.of(), Map.of()));
    assertTrue(nested.getMessage().startsWith("Config.HostConfig: "), nested.getMessage());
  }
}
