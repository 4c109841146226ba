package io.github.sshcontainer.tunnel.internal;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retry decisions, with the sleeps recorded instead of slept. */
class RetryTest {
  @TempDir Path tmp;

  @Test
  void transientFailuresAreRetriedWithGrowingBackoff() {
    int closedPort = FreePort.pick();
    TunnelOptions o = options(lab().echo().socket())
        .target(SshTarget.of(lab().user(), "127.0.0.1", closedPort))
        .retry(4, Duration.ofMinutes(1), Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    List<Duration> slept = new ArrayList<>();
    SshConnector c = new SshConnector(o,
        new Backoff(o.retry().initialBackoff(), o.retry().maxBackoff(), bound -> bound), slept::add);
    TunnelException e = assertThrows(TunnelException.class, () -> c.connect(Thread::new));
    assertEquals(Reason.CANNOT_CONNECT, e.reason());
    assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400)),
        slept, "three waits between four attempts");
    assertTrue(e.getMessage().contains("after 4 attempts"), e.getMessage());
  }

  @Test
  void authenticationFailuresAreNeverRetried() {
    Path stranger = tmp.resolve("stranger");
    Keys.generate(stranger, "");
    TunnelOptions o = TunnelOptions.builder(lab().destination()).identityFile(stranger)
        .knownHosts(lab().knownHosts()).noSshConfig().useAgent(false)
        .retry(5, Duration.ofMinutes(1), Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    List<Duration> slept = new ArrayList<>();
    SshConnector c = new SshConnector(o, new Backoff(o.retry().initialBackoff(), o.retry().maxBackoff()),
        slept::add);
    TunnelException e = assertThrows(TunnelException.class, () -> c.connect(Thread::new));
    assertEquals(Reason.AUTHENTICATION_FAILED, e.reason());
    assertEquals(List.of(), slept);
  }

  @Test
  void hostKeyFailuresAreNeverRetried() throws Exception {
    Path empty = java.nio.file.Files.createFile(tmp.resolve("kh"));
    TunnelOptions o = options(lab().echo().socket()).knownHosts(empty)
        .retry(5, Duration.ofMinutes(1), Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    List<Duration> slept = new ArrayList<>();
    SshConnector c = new SshConnector(o, new Backoff(o.retry().initialBackoff(), o.retry().maxBackoff()),
        slept::add);
    TunnelException e = assertThrows(TunnelException.class, () -> c.connect(Thread::new));
    assertEquals(Reason.HOST_KEY_UNKNOWN, e.reason());
    assertEquals(List.of(), slept);
  }
}
