package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A signal sent the moment a session's first output arrives reaches the program, in both modes:
 * the gateway holds events that come while a session starts and delivers them in the client's
 * order once the program runs. The client is asyncssh (Debian's python3-asyncssh), whose
 * {@code send_signal} sends the signal request at once; OpenSSH's client cannot send one.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GatewaySignalOrderTest {
  static final String PYTHON = "/usr/bin/python3";
  private static final int TRIES = 50;
  @TempDir Path tmp;

  @ParameterizedTest
  // user mode runs its sessions as execs, as connection mode does
  @EnumSource(value = Mode.class, names = {"CONNECTION", "SESSION"})
  void termSentAtTheFirstOutputByteAlwaysReachesTheTrap(Mode mode) throws Exception {
    Prerequisites.requirePythonModule("asyncssh", "python3-asyncssh");
    Path script = tmp.resolve("signal_order.py");
    try (InputStream in = getClass().getResourceAsStream("/signal_order.py")) {
      Files.copy(in, script);
    }
    try (LabGateway g = LabGateway.start(tmp.resolve("gw-" + mode), LabGateway.docker(),
        DockerBackendOptions.builder(busybox().build()).mode(mode).build(),
        o -> o.maxSessionsPerConnection(10))) {
      Path out = tmp.resolve("out-" + mode);
      Process p = new ProcessBuilder(PYTHON, script.toString(), String.valueOf(g.server.port()),
          "signals", lab().clientKey().toString(), g.knownHosts().toString(),
          String.valueOf(TRIES)).redirectErrorStream(true).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      if (!p.waitFor(480, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("asyncssh did not finish in 480 s: " + read(out));
      }
      String said = read(out);
      assertEquals(0, p.exitValue(), said);
      List<String> failed = said.lines().filter(l -> l.startsWith("try ")).toList();
      assertEquals(List.of(), failed, "every TERM reached the trap (" + mode + ")");
      assertTrue(said.contains("passed " + TRIES + " of " + TRIES), said);
      g.awaitNoContainers("signals", java.time.Duration.ofSeconds(60));
    }
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }
}
