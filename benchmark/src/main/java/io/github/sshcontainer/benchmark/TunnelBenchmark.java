package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Side by side, in one run, against the same far-end sockets behind the lab's sshd: (a) the
 * direct local socket, (b) OpenSSH {@code ssh -N -L}, (c) this tunnel; on loopback and through a
 * 20 ms round-trip delay proxy. Prints a table with ratios against OpenSSH and writes JSON.
 *
 * <p>Usage: {@code TunnelBenchmark [--quick] [--out FILE]}.
 */
public final class TunnelBenchmark {

  private record Paths(SocketAddress echo, SocketAddress source, SocketAddress discard) {}

  private interface Measure {
    double run(Paths p) throws Exception;
  }

  private final boolean quick;
  private final Report report;

  private TunnelBenchmark(boolean quick) {
    this.quick = quick;
    this.report = new Report(quick, "direct", "ssh -L", "tunnel");
  }

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    Path out = Path.of(a.contains("--out") ? a.get(a.indexOf("--out") + 1)
        : "benchmark/target/tunnel-benchmark.json");
    TunnelBenchmark b = new TunnelBenchmark(quick);
    Lab lab = Lab.shared();
    b.scenario(lab, "loopback", Duration.ZERO);
    b.scenario(lab, "rtt-20ms", Duration.ofMillis(10));
    b.tcpScenario(lab, "tcp -L loopback", Duration.ZERO);
    b.tcpScenario(lab, "tcp -L rtt-20ms", Duration.ofMillis(10));
    System.out.println(b.report.table("ratio = tunnel / ssh -L."));
    b.report.writeJson(out);
  }

  private void scenario(Lab lab, String name, Duration oneWay) throws Exception {
    DelayProxy proxy = oneWay.isZero() ? null : DelayProxy.start(lab.port(), oneWay);
    int port = proxy == null ? lab.port() : proxy.port();
    Path kh = Files.createTempFile("sshc-bench-kh", "");
    Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), port) + "\n");
    Map<String, Path> far = new LinkedHashMap<>();
    far.put("echo.sock", lab.echo().socket());
    far.put("source.sock", lab.source().socket());
    far.put("discard.sock", lab.discard().socket());
    far.put("mixed.sock", lab.mixed().socket());
    OpenSshForward ssh = OpenSshForward.start(lab.user(), port, lab.clientKey(), kh, far);
    TunnelOptions base = TunnelOptions.builder(SshTarget.of(lab.user(), "127.0.0.1", port))
        .identityFile(lab.clientKey()).knownHosts(kh).noSshConfig().useAgent(false).build();
    SocketTunnel echo = SocketTunnel.open(base.toBuilder()
        .remoteSocket(lab.echo().socket().toString()).build());
    SocketTunnel source = SocketTunnel.open(base.toBuilder()
        .remoteSocket(lab.source().socket().toString()).build());
    SocketTunnel discard = SocketTunnel.open(base.toBuilder()
        .remoteSocket(lab.discard().socket().toString()).build());
    SocketTunnel mixed = SocketTunnel.open(base.toBuilder()
        .remoteSocket(lab.mixed().socket().toString()).build());
    try {
      Paths direct = new Paths(UnixDomainSocketAddress.of(lab.echo().socket()),
          UnixDomainSocketAddress.of(lab.source().socket()),
          UnixDomainSocketAddress.of(lab.discard().socket()));
      Paths viaSsh = new Paths(ssh.socket("echo.sock"), ssh.socket("source.sock"),
          ssh.socket("discard.sock"));
      Paths viaTunnel = new Paths(echo.localAddress(), source.localAddress(),
          discard.localAddress());
      Paths[] all = {direct, viaSsh, viaTunnel};
      common(name, all, proxy != null, true);
      long bulk = quick ? (64L << 20) : (256L << 20);
      stall(name, lab, ssh, mixed, bulk);
    } finally {
      echo.close();
      mixed.close();
      source.close();
      discard.close();
      ssh.close();
      if (proxy != null) {
        proxy.close();
      }
      Files.deleteIfExists(kh);
    }
  }

  /**
   * TCP forwards ({@code ssh -L port:host:port} against {@link SocketTunnel#forwardTcp}) to TCP
   * servers on the remote host's loopback; the direct column connects to them without SSH.
   */
  private void tcpScenario(Lab lab, String name, Duration oneWay) throws Exception {
    DelayProxy proxy = oneWay.isZero() ? null : DelayProxy.start(lab.port(), oneWay);
    int port = proxy == null ? lab.port() : proxy.port();
    Path kh = Files.createTempFile("sshc-bench-kh", "");
    Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), port) + "\n");
    TcpFarEnd echoFar = TcpFarEnd.start(lab.echo().socket());
    TcpFarEnd sourceFar = TcpFarEnd.start(lab.source().socket());
    TcpFarEnd discardFar = TcpFarEnd.start(lab.discard().socket());
    int[] sshPorts = {io.github.sshcontainer.lab.FreePort.pick(),
        io.github.sshcontainer.lab.FreePort.pick(), io.github.sshcontainer.lab.FreePort.pick()};
    Map<Integer, Integer> fwd = new LinkedHashMap<>();
    fwd.put(sshPorts[0], echoFar.port());
    fwd.put(sshPorts[1], sourceFar.port());
    fwd.put(sshPorts[2], discardFar.port());
    OpenSshForward ssh = OpenSshForward.startTcp(lab.user(), port, lab.clientKey(), kh, fwd);
    SocketTunnel t = SocketTunnel.open(TunnelOptions.builder(SshTarget.of(lab.user(),
            "127.0.0.1", port)).identityFile(lab.clientKey()).knownHosts(kh).noSshConfig()
        .useAgent(false).remoteSocket(io.github.sshcontainer.tunnel.RemoteSocket.none())
        .build());
    try {
      Paths direct = new Paths(echoFar.address(), sourceFar.address(), discardFar.address());
      Paths viaSsh = new Paths(new java.net.InetSocketAddress("127.0.0.1", sshPorts[0]),
          new java.net.InetSocketAddress("127.0.0.1", sshPorts[1]),
          new java.net.InetSocketAddress("127.0.0.1", sshPorts[2]));
      Paths viaTunnel = new Paths(
          t.forwardTcp(0, "127.0.0.1", echoFar.port()).localAddress(),
          t.forwardTcp(0, "127.0.0.1", sourceFar.port()).localAddress(),
          t.forwardTcp(0, "127.0.0.1", discardFar.port()).localAddress());
      common(name, new Paths[] {direct, viaSsh, viaTunnel}, proxy != null, false);
    } finally {
      t.close();
      ssh.close();
      echoFar.close();
      sourceFar.close();
      discardFar.close();
      if (proxy != null) {
        proxy.close();
      }
      Files.deleteIfExists(kh);
    }
  }

  /**
   * The figures every scenario has: keep-alive and fresh-connection round trips, bulk both ways
   * and 16 clients, for the three paths; {@code p99} adds the p99 rows.
   */
  private void common(String name, Paths[] all, boolean wan, boolean p99) throws Exception {
    int kaWarm = wan ? 20 : (quick ? 1000 : 5000);
    int kaN = wan ? (quick ? 50 : 200) : (quick ? 3000 : 20000);
    int frWarm = wan ? 3 : (quick ? 50 : 300);
    int frN = wan ? (quick ? 20 : 100) : (quick ? 300 : 2000);
    long bulk = quick ? (64L << 20) : (256L << 20);
    int bulkRuns = quick ? 1 : 3;
    long parMillis = quick ? 1000 : 3000;
    Probes.Latency[] ka = new Probes.Latency[3];
    Probes.Latency[] fr = new Probes.Latency[3];
    for (int i = 0; i < 3; i++) {
      ka[i] = Probes.keepAlive(all[i].echo(), kaWarm, kaN);
    }
    add(name, "keep-alive round trip p50", "us", true, ka[0].p50Micros(), ka[1].p50Micros(),
        ka[2].p50Micros(), "<=1.1");
    if (p99) {
      add(name, "keep-alive round trip p99", "us", true, ka[0].p99Micros(), ka[1].p99Micros(),
          ka[2].p99Micros(), "<=1.1");
    }
    for (int i = 0; i < 3; i++) {
      fr[i] = Probes.fresh(all[i].echo(), frWarm, frN, 0);
    }
    add(name, "fresh connection + round trip p50", "us", true, fr[0].p50Micros(),
        fr[1].p50Micros(), fr[2].p50Micros(), "<=1.0");
    if (p99) {
      add(name, "fresh connection + round trip p99", "us", true, fr[0].p99Micros(),
          fr[1].p99Micros(), fr[2].p99Micros(), "<=1.5");
    }
    String bulkTarget = wan ? ">=1.2" : ">=1.0";
    measure(name, "bulk remote->local " + (bulk >> 20) + " MiB", "MB/s", bulkTarget, all,
        p -> median(bulkRuns, () -> Probes.download(p.source(), bulk)));
    measure(name, "bulk local->remote " + (bulk >> 20) + " MiB", "MB/s", bulkTarget, all,
        p -> median(bulkRuns, () -> Probes.upload(p.discard(), bulk)));
    measure(name, "16 clients request rate", "req/s", ">=1.0", all,
        p -> Probes.parallel(p.echo(), 16, parMillis));
  }

  /**
   * A reader that stops while others work: one connection asks for {@code bytes} and reads
   * nothing; 20 fresh pings must each answer within 2 s. Memory is the RSS growth of what sits in
   * the middle: the ssh process, this JVM for the tunnel, nothing for the direct socket.
   */
  private void stall(String name, Lab lab, OpenSshForward ssh, SocketTunnel mixed, long bytes)
      throws Exception {
    int pings = 20;
    Probes.Stall d = Probes.stall(UnixDomainSocketAddress.of(lab.mixed().socket()), bytes, pings,
        2000, () -> 0);
    Probes.Stall s = Probes.stall(ssh.socket("mixed.sock"), bytes, pings, 2000,
        () -> Probes.rssKiB(ssh.pid()));
    Probes.Stall t = Probes.stall(mixed.localAddress(), bytes, pings, 2000,
        () -> Probes.rssKiB(ProcessHandle.current().pid()));
    add(name, "stall: pings answered in 2 s (of 20)", "n", false, d.answered(), s.answered(),
        t.answered(), ">=1.0");
    add(name, "stall: slowest ping", "ms", true, d.maxMillis(), s.maxMillis(), t.maxMillis(),
        "");
    add(name, "stall: memory growth", "MiB", true, d.rssGrowthMiB(), s.rssGrowthMiB(),
        t.rssGrowthMiB(), "");
    add(name, "stall: drained bytes identical (1=yes)", "n", false, d.identical() ? 1 : 0,
        s.identical() ? 1 : 0, t.identical() ? 1 : 0, ">=1.0");
  }

  private interface Run {
    double run() throws Exception;
  }

  private static double median(int runs, Run r) throws Exception {
    double[] v = new double[runs];
    for (int i = 0; i < runs; i++) {
      v[i] = r.run();
    }
    Arrays.sort(v);
    return v[runs / 2];
  }

  private void measure(String scenario, String metric, String unit, String target, Paths[] all,
      Measure m) throws Exception {
    double[] v = new double[3];
    for (int i = 0; i < 3; i++) {
      v[i] = m.run(all[i]);
    }
    add(scenario, metric, unit, false, v[0], v[1], v[2], target);
  }

  private void add(String scenario, String metric, String unit, boolean lower, double direct,
      double ssh, double tunnel, String target) {
    report.add(scenario, metric, unit, lower, direct, ssh, tunnel, target);
  }
}
