package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ssh config fills in only what the caller left unset; a value set in the builder always wins. */
class TargetResolverTest {
  @TempDir Path tmp;

  private Path config() throws Exception {
    return Files.writeString(tmp.resolve("config"), String.join("\n",
        "Host box", "  HostName 127.0.0.9", "  Port 2222", "  ConnectTimeout 3",
        "  ServerAliveInterval 4", "  ServerAliveCountMax 9", ""));
  }

  @Test
  void explicitTimingsWinEvenWhenTheyEqualTheDefaults() throws Exception {
    TunnelOptions o = TunnelOptions.builder("box").sshConfig(config()).useAgent(false)
        .connectTimeout(TunnelOptions.DEFAULT_CONNECT_TIMEOUT)
        .keepalive(TunnelOptions.DEFAULT_KEEPALIVE_INTERVAL,
            TunnelOptions.DEFAULT_KEEPALIVE_MAX_MISSED)
        .build();
    ResolvedTarget t = new TargetResolver(o).destination();
    assertEquals(Duration.ofSeconds(10), t.connectTimeout());
    assertEquals(Duration.ofSeconds(15), t.keepalive());
    assertEquals(3, t.keepaliveMaxMissed());
    assertEquals("127.0.0.9", t.host());
    assertEquals(2222, t.port());
  }

  @Test
  void unsetTimingsComeFromSshConfigElseTheDefaults() throws Exception {
    TunnelOptions fromConfig = TunnelOptions.builder("box").sshConfig(config()).useAgent(false)
        .build();
    assertTrue(fromConfig.connectTimeout().isEmpty(), "unset must stay empty");
    ResolvedTarget t = new TargetResolver(fromConfig).destination();
    assertEquals(Duration.ofSeconds(3), t.connectTimeout());
    assertEquals(Duration.ofSeconds(4), t.keepalive());
    assertEquals(9, t.keepaliveMaxMissed());

    ResolvedTarget none = new TargetResolver(TunnelOptions.builder("box").noSshConfig()
        .useAgent(false).build()).destination();
    assertEquals(TunnelOptions.DEFAULT_CONNECT_TIMEOUT, none.connectTimeout());
    assertEquals(TunnelOptions.DEFAULT_KEEPALIVE_INTERVAL, none.keepalive());
    assertEquals("box", none.host());
  }

  @Test
  void accessorsReadNothingAfterBuild() throws Exception {
    Path cfg = config();
    TunnelOptions o = TunnelOptions.builder("box").sshConfig(cfg).useAgent(false).build();
    Files.delete(cfg);
    // what build() saw is what the options say, whatever the file system does later
    assertEquals(cfg, o.sshConfig().orElseThrow());
    assertFalse(o.agentSocket().isPresent(), "agent off: no socket");
    assertTrue(o.toString().contains("connectTimeout=unset"), o.toString());
    assertTrue(o.toString().contains("remoteSocket=unset"), o.toString());
  }
}
