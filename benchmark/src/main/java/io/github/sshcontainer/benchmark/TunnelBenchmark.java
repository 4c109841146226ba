package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.FreePort;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Side by side, in one run, against the same far-end sockets behind the lab's sshd: (a) the
 * direct local socket, (b) OpenSSH {@code ssh -N -L}, (c) this tunnel, in a JVM of its own
 * ({@link TunnelProcess}); on loopback and through a 20 ms round-trip delay proxy. Prints a table
 * with ratios against OpenSSH, wall time and the CPU time of the process in the middle, and
 * writes JSON.
 *
 * <p>Usage: {@code TunnelBenchmark [--quick] [--out FILE]}.
 */
public final class TunnelBenchmark {

  private record Paths(SocketAddress echo, SocketAddress source, SocketAddress discard) {}

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
    List<String> specs = new ArrayList<>();
    far.forEach((local, remote) -> specs.add("unix:" + local + "=" + remote));
    OpenSshForward ssh = OpenSshForward.start(lab.user(), port, lab.clientKey(), kh, far);
    TunnelProcess tunnel = TunnelProcess.start(lab.user(), port, lab.clientKey(), kh, specs);
    try {
      Paths direct = new Paths(UnixDomainSocketAddress.of(lab.echo().socket()),
          UnixDomainSocketAddress.of(lab.source().socket()),
          UnixDomainSocketAddress.of(lab.discard().socket()));
      Paths viaSsh = new Paths(ssh.socket("echo.sock"), ssh.socket("source.sock"),
          ssh.socket("discard.sock"));
      Paths viaTunnel = new Paths(tunnel.address("echo.sock"), tunnel.address("source.sock"),
          tunnel.address("discard.sock"));
      Paths[] all = {direct, viaSsh, viaTunnel};
      CpuClock[] cpu = {CpuClock.none(), new CpuClock(ssh.pid()), new CpuClock(tunnel.pid())};
      common(name, all, cpu, proxy != null, true);
      long bulk = quick ? (64L << 20) : (256L << 20);
      stall(name, lab, ssh, tunnel, bulk);
    } finally {
      tunnel.close();
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
    int[] sshPorts = {FreePort.pick(), FreePort.pick(), FreePort.pick()};
    Map<Integer, Integer> fwd = new LinkedHashMap<>();
    fwd.put(sshPorts[0], echoFar.port());
    fwd.put(sshPorts[1], sourceFar.port());
    fwd.put(sshPorts[2], discardFar.port());
    OpenSshForward ssh = OpenSshForward.startTcp(lab.user(), port, lab.clientKey(), kh, fwd);
    TunnelProcess tunnel = TunnelProcess.start(lab.user(), port, lab.clientKey(), kh,
        List.of("tcp:echo=" + echoFar.port(), "tcp:source=" + sourceFar.port(),
            "tcp:discard=" + discardFar.port()));
    try {
      Paths direct = new Paths(echoFar.address(), sourceFar.address(), discardFar.address());
      Paths viaSsh = new Paths(new InetSocketAddress("127.0.0.1", sshPorts[0]),
          new InetSocketAddress("127.0.0.1", sshPorts[1]),
          new InetSocketAddress("127.0.0.1", sshPorts[2]));
      Paths viaTunnel = new Paths(tunnel.address("echo"), tunnel.address("source"),
          tunnel.address("discard"));
      CpuClock[] cpu = {CpuClock.none(), new CpuClock(ssh.pid()), new CpuClock(tunnel.pid())};
      common(name, new Paths[] {direct, viaSsh, viaTunnel}, cpu, proxy != null, false);
    } finally {
      tunnel.close();
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
   * and 16 clients, for the three paths; {@code p99} adds the p99 rows. On loopback, the CPU the
   * process in the middle spent on each kind of work follows (what ssh and the tunnel JVM used,
   * from /proc, over the same measured phase), after a warm-up of both, so that the JIT's work
   * on the tunnel's code is not counted as the cost of a request.
   */
  private void common(String name, Paths[] all, CpuClock[] cpu, boolean wan, boolean p99)
      throws Exception {
    int kaWarm = wan ? 20 : (quick ? 1000 : 5000);
    int kaN = wan ? (quick ? 50 : 200) : (quick ? 3000 : 20000);
    int frWarm = wan ? 3 : (quick ? 50 : 300);
    int frN = wan ? (quick ? 20 : 100) : (quick ? 300 : 2000);
    long bulk = quick ? (64L << 20) : (256L << 20);
    int bulkRuns = quick ? 1 : 3;
    long parMillis = quick ? 1000 : 3000;
    if (!wan) {
      for (int i = 1; i < 3; i++) {
        warmUp(all[i]);
      }
    }
    Probes.Latency[] ka = new Probes.Latency[3];
    Probes.Latency[] fr = new Probes.Latency[3];
    for (int i = 0; i < 3; i++) {
      ka[i] = Probes.keepAlive(all[i].echo(), kaWarm, kaN, cpu[i]);
    }
    add(name, "keep-alive round trip p50", "us", true, ka[0].p50Micros(), ka[1].p50Micros(),
        ka[2].p50Micros(), "<=1.1");
    if (p99) {
      add(name, "keep-alive round trip p99", "us", true, ka[0].p99Micros(), ka[1].p99Micros(),
          ka[2].p99Micros(), "<=1.1");
    }
    for (int i = 0; i < 3; i++) {
      fr[i] = Probes.fresh(all[i].echo(), frWarm, frN, 0, cpu[i]);
    }
    add(name, "fresh connection + round trip p50", "us", true, fr[0].p50Micros(),
        fr[1].p50Micros(), fr[2].p50Micros(), "<=1.0");
    if (p99) {
      add(name, "fresh connection + round trip p99", "us", true, fr[0].p99Micros(),
          fr[1].p99Micros(), fr[2].p99Micros(), "<=1.5");
    }
    Probes.Work[] down = new Probes.Work[3];
    Probes.Work[] up = new Probes.Work[3];
    Probes.Work[] par = new Probes.Work[3];
    for (int i = 0; i < 3; i++) {
      Paths p = all[i];
      CpuClock c = cpu[i];
      down[i] = median(bulkRuns, () -> Probes.download(p.source(), bulk, c));
    }
    for (int i = 0; i < 3; i++) {
      Paths p = all[i];
      CpuClock c = cpu[i];
      up[i] = median(bulkRuns, () -> Probes.upload(p.discard(), bulk, c));
    }
    for (int i = 0; i < 3; i++) {
      par[i] = Probes.parallel(all[i].echo(), 16, parMillis, cpu[i]);
    }
    add(name, "bulk remote->local " + (bulk >> 20) + " MiB", "MB/s", false, down[0].value(),
        down[1].value(), down[2].value(), ">=1.2");
    add(name, "bulk local->remote " + (bulk >> 20) + " MiB", "MB/s", false, up[0].value(),
        up[1].value(), up[2].value(), ">=1.2");
    add(name, "16 clients request rate", "req/s", false, par[0].value(), par[1].value(),
        par[2].value(), ">=1.0");
    if (wan) {
      return;
    }
    add(name, "CPU per request, 1 client", "us", true, 0, ka[1].cpuMicrosPerOp(),
        ka[2].cpuMicrosPerOp(), "<=1.0");
    add(name, "CPU per fresh connection + round trip", "us", true, 0, fr[1].cpuMicrosPerOp(),
        fr[2].cpuMicrosPerOp(), "<=1.0");
    add(name, "CPU per request, 16 clients", "us", true, 0, par[1].cpuPerUnit() / 1e3,
        par[2].cpuPerUnit() / 1e3, "<=1.0");
    double perHundredMb = 1e8 / 1e6; // nanoseconds per byte to milliseconds per 100 MB
    add(name, "CPU per 100 MB remote->local", "ms", true, 0,
        down[1].cpuPerUnit() * perHundredMb, down[2].cpuPerUnit() * perHundredMb, "<=1.0");
    add(name, "CPU per 100 MB local->remote", "ms", true, 0,
        up[1].cpuPerUnit() * perHundredMb, up[2].cpuPerUnit() * perHundredMb, "<=1.0");
  }

  /** Every kind of work once, briefly, so that what is measured next runs compiled code. */
  private void warmUp(Paths p) throws Exception {
    CpuClock none = CpuClock.none();
    Probes.keepAlive(p.echo(), 0, quick ? 1000 : 10000, none);
    Probes.fresh(p.echo(), 0, quick ? 200 : 3000, 0, none);
    Probes.parallel(p.echo(), 16, quick ? 300 : 2000, none);
    Probes.download(p.source(), 64L << 20, none);
    Probes.upload(p.discard(), 64L << 20, none);
  }

  /**
   * A reader that stops while others work: one connection asks for {@code bytes} and reads
   * nothing; 20 fresh pings must each answer within 2 s. Memory is the RSS growth of what sits in
   * the middle: the ssh process, the tunnel's JVM, nothing for the direct socket.
   */
  private void stall(String name, Lab lab, OpenSshForward ssh, TunnelProcess tunnel,
      long bytes) throws Exception {
    int pings = 20;
    Probes.Stall d = Probes.stall(UnixDomainSocketAddress.of(lab.mixed().socket()), bytes, pings,
        2000, () -> 0);
    Probes.Stall s = Probes.stall(ssh.socket("mixed.sock"), bytes, pings, 2000,
        () -> Probes.rssKiB(ssh.pid()));
    Probes.Stall t = Probes.stall(tunnel.address("mixed.sock"), bytes, pings, 2000,
        () -> Probes.rssKiB(tunnel.pid()));
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
    Probes.Work run() throws Exception;
  }

  /** The run with the median value, and the median CPU per unit over the runs. */
  private static Probes.Work median(int runs, Run r) throws Exception {
    Probes.Work[] w = new Probes.Work[runs];
    double[] cpu = new double[runs];
    for (int i = 0; i < runs; i++) {
      w[i] = r.run();
      cpu[i] = w[i].cpuPerUnit();
    }
    Arrays.sort(w, Comparator.comparingDouble(Probes.Work::value));
    Arrays.sort(cpu);
    Probes.Work mid = w[runs / 2];
    return new Probes.Work(mid.value(), cpu[runs / 2] * mid.units(), mid.units());
  }

  private void add(String scenario, String metric, String unit, boolean lower, double direct,
      double ssh, double tunnel, String target) {
    report.add(scenario, metric, unit, lower, direct, ssh, tunnel, target);
  }
}
