package io.github.sshcontainer.containerd;

import static io.github.sshcontainer.containerd.ContainerdClientTest.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.containerd.api.leases.LeasesGrpc;
import io.github.sshcontainer.containerd.api.leases.ListRequest;
import io.github.sshcontainer.containerd.api.snapshots.ListSnapshotsRequest;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.lab.ContainerdDaemon;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SshTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Faults under the containerd client; leaks over many clients and runs. */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class ContainerdFaultsTest {
  @TempDir Path tmp;

  @Test
  void sshSessionKilledThenTheSameClientWorks() throws Exception {
    Lab lab = Lab.shared();
    try (Sshd sshd = lab.startSshd("cfault-" + System.nanoTime(), lab.hostKey(), List.of())) {
      Path kh = tmp.resolve("kh");
      Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), sshd.port()) + "\n");
      try (ContainerdClient ctr = SshContainerd.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab.user(), "127.0.0.1", sshd.port())).build(), "default")) {
        String v = ctr.serverVersion();
        assertTrue(sshd.killSessions() >= 1);
        // the gRPC channel reconnects through the tunnel, which reconnects over SSH
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String again = null;
        ContainerdException last = null;
        while (again == null && System.nanoTime() < end) {
          try {
            again = ctr.serverVersion();
          } catch (ContainerdException e) {
            last = e; // UNAVAILABLE while the channel reconnects
            assertEquals(ContainerdException.Reason.UNAVAILABLE, e.reason(), e.getMessage());
            Thread.sleep(100);
          }
        }
        assertEquals(v, again, "works again on the same client; last error: " + last);
      }
    }
  }

  /** Calls until the client answers again, failing only with UNAVAILABLE meanwhile. */
  private static String versionWithin(ContainerdClient ctr, long seconds) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ContainerdException last = null;
    while (System.nanoTime() < end) {
      try {
        return ctr.serverVersion();
      } catch (ContainerdException e) {
        last = e;
        assertTrue(e.reason() == ContainerdException.Reason.UNAVAILABLE
            || e.reason() == ContainerdException.Reason.TIMED_OUT, e.toString());
        Thread.sleep(100);
      }
    }
    throw new AssertionError("no answer within " + seconds + " s; last: " + last);
  }

  @Test
  void daemonRestartedThenTheSameClientWorks() throws Exception {
    Lab lab = Lab.shared();
    try (ContainerdDaemon second = ContainerdDaemon.start(lab.dir().resolve("c2"));
        ContainerdClient ctr = SshContainerd.connect(options()
            .remoteSocket(second.socket().toString()).build(), "default")) {
      String v = ctr.serverVersion();
      second.restart();
      assertEquals(v, versionWithin(ctr, 30));
    }
  }

  @Test
  void networkStalledPastKeepaliveFailsInFlightCallsThenRecovers() throws Exception {
    Lab lab = Lab.shared();
    try (Sshd sshd = lab.startSshd("cstall-" + System.nanoTime(), lab.hostKey(), List.of());
        DelayProxy proxy = DelayProxy.start(sshd.port(), Duration.ofMillis(1))) {
      Path kh = tmp.resolve("kh-stall");
      Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), proxy.port()) + "\n");
      try (ContainerdClient ctr = SshContainerd.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab.user(), "127.0.0.1", proxy.port()))
          .keepalive(Duration.ofSeconds(1), 2)
          .connectTimeout(Duration.ofSeconds(3)).build(), "default")) {
        String v = ctr.serverVersion();
        proxy.freeze(true);
        long t0 = System.nanoTime();
        ContainerdException e = assertThrows(ContainerdException.class, ctr::serverVersion);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 15_000, "the call in flight failed after " + ms + " ms");
        assertTrue(e.reason() == ContainerdException.Reason.UNAVAILABLE
            || e.reason() == ContainerdException.Reason.TIMED_OUT, e.toString());
        proxy.freeze(false);
        assertEquals(v, versionWithin(ctr, 60));
      }
    }
  }

  @Test
  void clientAndRunCyclesLeakNothing() throws Exception {
    int cycles = Boolean.getBoolean("sshc.long") ? 1_000 : 10;
    try (ContainerdClient first = SshContainerd.connect(options().build(), "leaks")) {
      first.serverVersion();
    }
    Thread.sleep(3_500);
    long fds0 = Lab.openFileDescriptors();
    int snaps0;
    int leases0;
    try (ContainerdClient c = SshContainerd.connect(options().build(), "leaks")) {
      snaps0 = snapshots(c);
      leases0 = c.stub(LeasesGrpc::newBlockingStub)
          .list(ListRequest.getDefaultInstance()).getLeasesCount();
    }
    for (int i = 0; i < cycles; i++) {
      try (ContainerdClient c = SshContainerd.connect(options().build(), "leaks")) {
        c.serverVersion();
      }
    }
    Thread.sleep(300);
    long threads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("ssh-container-")).count();
    long fds = Lab.openFileDescriptors();
    int snaps;
    int leases;
    try (ContainerdClient c = SshContainerd.connect(options().build(), "leaks")) {
      snaps = snapshots(c);
      leases = c.stub(LeasesGrpc::newBlockingStub)
          .list(ListRequest.getDefaultInstance()).getLeasesCount();
    }
    System.out.printf("FIGURES containerd leak: %d client cycles: fds %d -> %d, threads %d, "
        + "snapshots %d -> %d, leases %d -> %d%n", cycles, fds0, fds, threads, snaps0, snaps,
        leases0, leases);
    assertEquals(0, threads);
    assertTrue(fds <= fds0 + 4, "fds " + fds0 + " -> " + fds);
    assertEquals(snaps0, snaps);
    assertEquals(leases0, leases);
  }

  private static int snapshots(ContainerdClient c) {
    int n = 0;
    var it = c.stub(SnapshotsGrpc::newBlockingStub)
        .list(ListSnapshotsRequest.newBuilder().setSnapshotter("overlayfs")
        .build());
    while (it.hasNext()) {
      n += it.next().getInfoCount();
    }
    return n;
  }

}
