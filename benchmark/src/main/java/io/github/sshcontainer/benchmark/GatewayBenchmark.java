package io.github.sshcontainer.benchmark;

import com.github.dockerjava.api.DockerClient;
import com.sun.management.OperatingSystemMXBean;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.GatewayServer;
import io.github.sshcontainer.gateway.Webhook;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.DockerCli;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.lab.WebhookServer;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The gateway against what people script today, in one run: {@code ssh gateway true} in
 * connection mode (login, container, exec, exit, removal) against {@code ssh docker-host docker
 * run --rm IMAGE true} (OpenSSH plus the Docker CLI on the host), with a plain {@code ssh host
 * true} as the floor; medians of 10, on loopback and at 20 ms RTT (on the client's leg and on
 * the gateway's leg to the Docker host); the same with a warm pool of 8 containers and in user
 * mode (the user's container running: login, exec, exit) against {@code ssh host true}; logins
 * per second with 8 clients at once; memory per open connection (the gateway's heap and RSS
 * against an sshd session's PSS); CPU per login, the gateway's against sshd's, per key
 * exchange ({@link #cpu}); and keystroke to echo through the web terminal against {@code ssh
 * -tt} to the same gateway ({@link #keystrokes}).
 *
 * <p>Usage: {@code GatewayBenchmark [--quick] [--out FILE] [--only keystrokes]}; {@code --only
 * keystrokes} runs the keystroke rows alone.
 */
public final class GatewayBenchmark {
  private static final Duration SOON = Duration.ofMinutes(2);
  private static final String SNTRUP = "sntrup761x25519-sha512@openssh.com";
  private static final String CURVE = "curve25519-sha256";
  private static final String MLKEM = "mlkem768x25519-sha256";
  private static final int KEYSTROKES = 200;
  private static final int WARM_UP = 2000;
  private final boolean quick;
  private final Report report;

  private GatewayBenchmark(boolean quick) {
    this.quick = quick;
    this.report = new Report(quick, "ssh true", "ssh+docker", "gateway");
  }

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    Path out = Path.of(a.contains("--out") ? a.get(a.indexOf("--out") + 1)
        : "benchmark/target/gateway-benchmark.json");
    int only = a.indexOf("--only");
    boolean keystrokesOnly = only >= 0 && only + 1 < a.size()
        && a.get(only + 1).equals("keystrokes");
    if (only >= 0 && !keystrokesOnly) {
      throw new IllegalArgumentException("--only takes `keystrokes`, the one part that runs "
          + "alone");
    }
    GatewayBenchmark b = new GatewayBenchmark(quick);
    Lab lab = Lab.shared();
    if (!keystrokesOnly) {
      b.scenario(lab, "loopback", Duration.ZERO);
    }
    b.keystrokes(lab, "loopback", Duration.ZERO);
    if (!keystrokesOnly) {
      b.scenario(lab, "rtt-20ms", Duration.ofMillis(10));
    }
    b.keystrokes(lab, "rtt-20ms", Duration.ofMillis(10));
    if (!keystrokesOnly) {
      b.cpu(lab);
    }
    System.out.println(b.report.table("ssh true: OpenSSH login alone; ssh+docker: `ssh host "
        + "docker run --rm --network none IMAGE true` with " + DockerCli.debian() + " on the "
        + "host; gateway: `ssh -p PORT user@gateway true` in connection mode, its Docker host "
        + "reached over SSH (the delay on both of its legs at 20 ms); warm pool: the same with "
        + "8 containers kept created and started (a login takes one); user mode: the user's "
        + "one container already running, each login an exec in it. The two 256 MiB rows "
        + "compare the gateway with itself: the ssh+docker column is the gateway without an "
        + "audit directory, the gateway column the same with session recordings on. CPU rows: "
        + "the ssh+docker column is sshd's CPU per `ssh host true` (listener and the "
        + "per-connection processes it reaped), the gateway column the JVM's per `ssh gateway "
        + "true`, 30 logins one at a time each, no proxy in between, the warm pool's refill "
        + "and the containers' removal included: \"all JVM\" is the whole process (the "
        + "benchmark's few threads included), \"excl. JIT+GC\" leaves out the compiler and "
        + "collector threads (C1/C2 CompilerThread, GC Thread#, G1 *, VM Thread) and the "
        + "benchmark's own (main, process reaper, MINA's client); warm pool and user mode with "
        + "sntrup761x25519. The Docker host's work (sshd's tunnel session, dockerd, "
        + "containerd, runc) is in neither column. Keystroke rows: one printable character "
        + "typed into `cat > /dev/null` on a pty, until the pty's echo of it arrives, 200 "
        + "times (50 quick), the two ways in alternating: the ssh+docker column is `ssh -tt` "
        + "to the gateway, the gateway column its web terminal (login link, websocket, as the "
        + "page speaks it), both into a connection-mode container; the page's port is behind "
        + "a delay proxy of its own, as the SSH port is. Its CPU row: the gateway JVM's per "
        + "keystroke over 500 more on each alone, excl. JIT+GC, the benchmark's client "
        + "threads left out too."));
    b.report.writeJson(out);
    System.exit(0);
  }

  /**
   * CPU per login, the gateway's beside sshd's, per key exchange a client may pick: {@code ssh
   * -o KexAlgorithms=…} for sntrup761x25519 (OpenSSH 9.x's default) and curve25519, and MINA's
   * client in this JVM for mlkem768x25519 (OpenSSH 9.9's default; Debian 12's 9.2 has none),
   * against sshd's curve25519; then the warm pool and user mode with sntrup761x25519. One login
   * at a time, each side's batch read once its work is done (the gateway's connections ended,
   * their containers removed, its warm pool full again; sshd's processes reaped). Logins of
   * every kind first, so that the JIT compiler has done most of its work; what it still does is
   * in the "all JVM" rows only. No {@link DelayProxy} here: its threads would be in the JVM's
   * figure.
   */
  private void cpu(Lab lab) throws Exception {
    Path dir = Files.createTempDirectory("sshc-bench-cpu");
    try (Sshd host = lab.startSshd("bench-gw-cpu", lab.hostKey(), List.of())) {
      Path hostKh = Files.writeString(dir.resolve("host_kh"), Keys.knownHostsLine(
          lab.hostKey(), host.port()) + "\n");
      DockerClient docker = dockerVia(lab, host.port(), hostKh);
      try (GatewayUnderTest cold = GatewayUnderTest.start(lab, docker, cold(), dir, null);
          GatewayUnderTest warm = GatewayUnderTest.start(lab, docker, warm(), dir, null);
          GatewayUnderTest user = GatewayUnderTest.start(lab, docker, user(), dir, null);
          MinaClient mina = new MinaClient(MLKEM, lab.clientKey(), cold.client().knownHosts(),
              cold.port(), "bench")) {
        OpenSshClient toHost = new OpenSshClient(lab.clientKey(), hostKh, host.port(),
            lab.user());
        Runnable sntrup = () -> millis(cold.client(), "true", SNTRUP);
        Runnable curve = () -> millis(cold.client(), "true", CURVE);
        Runnable mlkem = () -> mina.run("true");
        Runnable pooled = () -> millis(warm.client(), "true", SNTRUP);
        Runnable shared = () -> millis(user.client(), "true", SNTRUP);
        for (int i = 0; i < (quick ? 2 : 8); i++) { // warm-up: 40 logins, 8 of each
          for (Runnable login : List.of(sntrup, curve, mlkem, pooled, shared)) {
            login.run();
          }
        }
        int n = quick ? 10 : 30;
        double sshdSntrup = sshdCpu(host, n, () -> millis(toHost, "true", SNTRUP));
        double sshdCurve = sshdCpu(host, n, () -> millis(toHost, "true", CURVE));
        cpuRows("sntrup761x25519", "sshd", cold, n, sntrup, sshdSntrup, true);
        cpuRows("curve25519", "sshd", cold, n, curve, sshdCurve, true);
        cpuRows("mlkem768x25519 (MINA client)", "sshd curve25519", cold, n, mlkem, sshdCurve,
            false);
        cpuRows("sntrup761x25519 warm pool", "sshd", warm, n, pooled, sshdSntrup, false);
        cpuRows("sntrup761x25519 user mode", "sshd", user, n, shared, sshdSntrup, false);
      } finally {
        docker.close();
      }
    }
  }

  /**
   * The gateway's CPU over {@code n} logins, against sshd's {@code sshd} per login: the row
   * leaving out the JIT compiler, the collector and the benchmark's threads, and with {@code
   * allJvm} the one with the whole process; the CPU by thread printed.
   */
  private void cpuRows(String what, String versus, GatewayUnderTest gateway, int n,
      Runnable login, double sshd, boolean allJvm) throws InterruptedException {
    gateway.awaitIdle();
    ThreadCpu.Snapshot before = ThreadCpu.take();
    for (int i = 0; i < n; i++) {
      login.run();
    }
    gateway.awaitIdle();
    ThreadCpu.Usage used = ThreadCpu.since(before);
    double own = (used.all() - used.jitAndGc() - used.sum(GatewayBenchmark::benchmarks))
        / 1e6 / n;
    System.out.printf("gateway CPU per login, %s: all JVM %.1f ms; by thread: %s, ended "
        + "threads %.1f%n", what, used.all() / 1e6 / n, perLogin(used.byName(), n),
        used.ended() / 1e6 / n);
    if (allJvm) {
      report.add("loopback", "CPU/login " + what + ", all JVM | " + versus, "ms", true, 0,
          sshd, used.all() / 1e6 / n, "<= 1.5x");
    }
    report.add("loopback", "CPU/login " + what + ", excl. JIT+GC | " + versus, "ms", true, 0,
        sshd, own, "<= 1.5x");
  }

  /** The threads that are the benchmark's, not the gateway's, as {@link ThreadCpu} names them. */
  private static boolean benchmarks(String thread) {
    return thread.equals("java") // the main thread, which starts the clients
        || thread.equals("process reaper") || thread.startsWith("lab-")
        || thread.startsWith("sshd-SshClient") || thread.startsWith("pool-N-thread");
  }

  /** sshd's CPU per login over {@code n}: its listener's and that of the children it reaped. */
  private static double sshdCpu(Sshd sshd, int n, Runnable login) throws InterruptedException {
    CpuClock clock = CpuClock.withReapedChildren(sshd.pid());
    Set<Long> before = children(sshd.pid()); // the gateway's tunnel to the Docker host
    long c0 = clock.nanos();
    for (int i = 0; i < n; i++) {
      login.run();
    }
    long end = System.nanoTime() + SOON.toNanos();
    while (!before.containsAll(children(sshd.pid()))) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("sshd pid " + sshd.pid() + " has not reaped its "
            + "connections' processes after " + SOON);
      }
      Thread.sleep(20);
    }
    return (clock.nanos() - c0) / 1e6 / n;
  }

  private static Set<Long> children(long pid) {
    return ProcessHandle.of(pid).map(p -> p.children().map(ProcessHandle::pid)
        .collect(Collectors.toSet())).orElse(Set.of());
  }

  private static String perLogin(Map<String, Long> byName, int n) {
    return byName.entrySet().stream().filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / 1e6 / n))
        .collect(Collectors.joining(", "));
  }

  private static ContainerSpec busybox() {
    return ContainerSpec.of(DockerDaemon.BUSYBOX).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).build();
  }

  private void scenario(Lab lab, String name, Duration oneWay) throws Exception {
    DockerDaemon daemon = lab.docker();
    Path dir = Files.createTempDirectory("sshc-bench-gw");
    try (Sshd host = lab.startSshd("bench-gw-" + name, lab.hostKey(), List.of());
        DelayProxy hostLeg = DelayProxy.start(host.port(), oneWay)) {
      Path hostKh = Files.writeString(dir.resolve("host_kh"), Keys.knownHostsLine(
          lab.hostKey(), hostLeg.port()) + "\n");
      DockerClient docker = dockerVia(lab, hostLeg.port(), hostKh);
      try (GatewayUnderTest cold = GatewayUnderTest.start(lab, docker, cold(), dir, oneWay);
          GatewayUnderTest warm = GatewayUnderTest.start(lab, docker, warm(), dir, oneWay);
          GatewayUnderTest user = GatewayUnderTest.start(lab, docker, user(), dir, oneWay)) {
        OpenSshClient toHost = new OpenSshClient(lab.clientKey(), hostKh, hostLeg.port(),
            lab.user());
        String dockerRun = "'" + DockerCli.debian().path() + "' -H unix://" + daemon.socket()
            + " run --rm --network none " + DockerDaemon.BUSYBOX + " true";
        Supplier<Long> floor = () -> millis(toHost, "true");
        Supplier<Long> scripted = () -> millis(toHost, dockerRun);
        Supplier<Long> ours = () -> millis(cold.client(), "true");
        Supplier<Long> pooled = () -> millis(warm.client(), "true");
        Supplier<Long> shared = () -> millis(user.client(), "true");
        for (int i = 0; i < 2; i++) { // warm-up; the user's container is made here
          floor.get();
          scripted.get();
          ours.get();
          pooled.get();
          shared.get();
        }
        warm.awaitIdle(); // the pool full
        int n = quick ? 3 : 10;
        long[][] samples = new long[5][n];
        long cpu0 = cpuNanos();
        long cpuGateway = 0;
        for (int i = 0; i < n; i++) { // alternate, so that drift hits all alike
          samples[0][i] = floor.get();
          samples[1][i] = scripted.get();
          long c0 = cpuNanos();
          samples[2][i] = ours.get();
          cpuGateway += cpuNanos() - c0;
          samples[3][i] = pooled.get();
          samples[4][i] = shared.get();
        }
        report.add(name, "login+container+exit (median of " + n + ")", "ms", true,
            median(samples[0]), median(samples[1]), median(samples[2]), "");
        report.add(name, "login+container+exit, warm pool of 8", "ms", true,
            median(samples[0]), median(samples[1]), median(samples[3]), "");
        report.add(name, "login+exec+exit: ssh true | user mode", "ms", true, 0,
            median(samples[0]), median(samples[4]), "");
        System.out.printf("gateway JVM CPU per login: %.1f ms (all five paths: %.1f ms)%n",
            cpuGateway / 1e6 / n, (cpuNanos() - cpu0) / 1e6 / n);
        int logins = quick ? 16 : 40;
        double floorRate = rate(8, logins, floor);
        double scriptedRate = rate(8, logins, scripted);
        report.add(name, "logins/s, 8 clients at once", "1/s", false, floorRate,
            scriptedRate, rate(8, logins, ours), "");
        warm.awaitIdle();
        report.add(name, "logins/s, 8 clients, warm pool of 8", "1/s", false, floorRate,
            scriptedRate, rate(8, logins, pooled), "");
        // what a pool buys: a burst no larger than it finds every container ready; a longer
        // run is held to the daemon's own rate of making containers, as docker run is
        warm.awaitIdle();
        double scriptedBurst = rate(8, 8, scripted);
        warm.awaitIdle();
        report.add(name, "logins/s, a burst of 8 (8 clients), warm pool of 8", "1/s", false,
            0, scriptedBurst, rate(8, 8, pooled), "");
        report.add(name, "logins/s, 8 clients: ssh true | user mode", "1/s", false, 0,
            floorRate, rate(8, logins, shared), "");
        if (oneWay.isZero()) {
          memory(name, cold.client(), toHost, host, dir);
          recording(name, lab, cold.backend(), dir);
          authentication(name, lab, cold.backend(), dir);
        }
      } finally {
        docker.close();
      }
    }
  }

  /** docker-java on the lab's daemon, through the tunnel to the sshd on 127.0.0.1:{@code port}. */
  private static DockerClient dockerVia(Lab lab, int port, Path knownHosts) {
    return SshDocker.connect(TunnelOptions.builder(lab.destination())
        .target(SshTarget.of(lab.user(), "127.0.0.1", port))
        .identityFile(lab.clientKey()).knownHosts(knownHosts).noSshConfig().useAgent(false)
        .remoteSocket(lab.docker().socket().toString()).build());
  }

  /**
   * Keystroke to echo, the web terminal against OpenSSH's {@code ssh -tt}, both to one gateway
   * (connection mode, its Docker host over SSH as in {@link #scenario}, the delay on both of
   * its legs): each opens a shell on a pty, runs {@code cat > /dev/null} and gets {@value
   * #KEYSTROKES} keystrokes ({@link KeystrokeEcho}) one at a time, the two alternating so that
   * drift hits both alike, after a warm-up of {@value #WARM_UP} typed without waiting and 10
   * paced. On loopback, then the gateway JVM's CPU per
   * keystroke over 500 more on each alone ({@link ThreadCpu}: without the JIT compiler, the
   * collector and the benchmark's threads, its page's HttpClient and ssh's reader among them).
   */
  private void keystrokes(Lab lab, String name, Duration oneWay) throws Exception {
    Path dir = Files.createTempDirectory("sshc-bench-keys");
    long t0 = System.nanoTime();
    try (Sshd host = lab.startSshd("bench-keys-" + name, lab.hostKey(), List.of());
        DelayProxy hostLeg = DelayProxy.start(host.port(), oneWay)) {
      Path hostKh = Files.writeString(dir.resolve("host_kh"), Keys.knownHostsLine(
          lab.hostKey(), hostLeg.port()) + "\n");
      DockerClient docker = dockerVia(lab, hostLeg.port(), hostKh);
      try (GatewayUnderTest gateway = GatewayUnderTest.startWithWeb(lab, docker, cold(), dir,
          oneWay)) {
        int n = quick ? 50 : KEYSTROKES;
        long[][] samples = new long[2][n];
        try (Terminal ssh = SshTerminal.open(gateway.client());
            Terminal web = WebTerminal.open(WebTerminal.client(), gateway.webOrigin(),
                gateway.webToken())) {
          KeystrokeEcho viaSsh = KeystrokeEcho.ready(ssh, WARM_UP, 10);
          KeystrokeEcho viaWeb = KeystrokeEcho.ready(web, WARM_UP, 10);
          for (int i = 0; i < n; i++) {
            samples[0][i] = viaSsh.once();
            samples[1][i] = viaWeb.once();
          }
          report.add(name, "keystroke→echo, median of " + n + ": ssh -tt | web terminal", "ms",
              true, 0, median(samples[0]) / 1e6, median(samples[1]) / 1e6, "<= 1.2x");
          System.out.printf(Locale.ROOT, "keystroke→echo %s, ms: ssh -tt p10 %.2f p90 %.2f "
              + "max %.2f; web terminal p10 %.2f p90 %.2f max %.2f%n", name,
              percentile(samples[0], 10), percentile(samples[0], 90), percentile(samples[0], 100),
              percentile(samples[1], 10), percentile(samples[1], 90), percentile(samples[1], 100));
          if (oneWay.isZero()) {
            int m = quick ? 200 : 500;
            double sshCpu = keystrokeCpu("ssh -tt", viaSsh, m);
            double webCpu = keystrokeCpu("web terminal", viaWeb, m);
            report.add(name, "CPU/keystroke, excl. JIT+GC: ssh -tt | web terminal", "us", true,
                0, sshCpu, webCpu, "");
          }
          viaSsh.exit();
          viaWeb.exit();
        }
        gateway.awaitIdle();
      } finally {
        docker.close();
      }
    }
    System.out.printf(Locale.ROOT, "keystroke rows, %s: %.1f s%n", name,
        (System.nanoTime() - t0) / 1e9);
  }

  /**
   * The gateway JVM's CPU per keystroke over {@code m}, in µs, as {@link #cpuRows} counts it
   * (the page's HttpClient and ssh's reader also left out); the CPU by thread printed.
   */
  private static double keystrokeCpu(String way, KeystrokeEcho keys, int m)
      throws InterruptedException {
    ThreadCpu.Snapshot before = ThreadCpu.take();
    for (int i = 0; i < m; i++) {
      keys.once();
    }
    ThreadCpu.Usage used = ThreadCpu.since(before);
    System.out.printf(Locale.ROOT, "gateway CPU per keystroke, %s, µs: all JVM %.1f; by "
        + "thread: %s, ended threads %.1f%n", way, used.all() / 1e3 / m, used.byName()
            .entrySet().stream().filter(e -> e.getValue() > 0)
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / 1e3 / m))
            .collect(Collectors.joining(", ")), used.ended() / 1e3 / m);
    return (used.all() - used.jitAndGc() - used.sum(t -> benchmarks(t)
        || t.startsWith("HttpClient-") || t.startsWith("bench-"))) / 1e3 / m;
  }

  /** Connection mode, cold: a container made per login (the gateway's default). */
  private static DockerBackendOptions cold() {
    return DockerBackendOptions.builder(busybox()).build();
  }

  /** Connection mode with 8 containers kept created and started; a login takes one. */
  private static DockerBackendOptions warm() {
    return DockerBackendOptions.builder(busybox()).warm(8).build();
  }

  /** User mode: the user's one container, kept after the last connection (past the run). */
  private static DockerBackendOptions user() {
    return DockerBackendOptions.builder(busybox()).mode(DockerBackendOptions.Mode.USER)
        .userIdleTimeout(Duration.ofHours(1)).build();
  }

  /**
   * What the audit's recording costs: 256 MiB of printable output ({@code head -c … /dev/zero |
   * tr '\\0' a}) to the client's /dev/null through a gateway without an audit directory, with
   * one and the default 64 MiB bound per recording, and with one whose bound (1 GiB) records
   * all of it. MB/s, median of 3 after a warm-up.
   */
  private void recording(String name, Lab lab, DockerBackend backend, Path dir)
      throws Exception {
    String command = "head -c 268435456 /dev/zero | tr '\\0' a";
    double[] mbs = new double[3];
    long[] caps = {0, 64L << 20, 1L << 30};
    for (int k = 0; k < caps.length; k++) {
      GatewayOptions.Builder o = GatewayOptions.builder(dir.resolve("hk"))
          .listen("127.0.0.1", 0).authorizedKeys(dir.resolve("ak"));
      if (caps[k] > 0) {
        o.auditDir(dir.resolve("audit-" + k)).auditMaxBytes(caps[k]);
      }
      try (GatewayServer g = GatewayServer.start(o.build(), backend)) {
        Path kh = Files.writeString(dir.resolve("rec_kh" + k), Keys.knownHostsLine(
            dir.resolve("hk"), g.port()) + "\n");
        OpenSshClient c = new OpenSshClient(lab.clientKey(), kh, g.port(), "bench-rec");
        int n = quick ? 1 : 3;
        long[] ms = new long[n];
        for (int i = -1; i < n; i++) { // one warm-up
          long t0 = System.nanoTime();
          Process p = c.start(c.ssh(List.of(), command), Path.of("/dev/null"));
          if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("256 MiB through the gateway failed");
          }
          if (i >= 0) {
            ms[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
          }
        }
        mbs[k] = 268435456 / 1e6 / (median(ms) / 1000.0);
      }
    }
    report.add(name, "256 MiB out, MB/s: plain | recorded 64 MiB", "MB/s", false, 0, mbs[0],
        mbs[1], ">= 0.8x");
    report.add(name, "256 MiB out, MB/s: plain | recorded all", "MB/s", false, 0, mbs[0],
        mbs[2], ">= 0.8x");
  }

  /**
   * What each way in costs a login ({@code ssh … true}, median after a warm-up): a key of the
   * authorized keys, an OpenSSH certificate of a trusted CA, and a key the auth webhook (the
   * lab's, on loopback) admits, all on one gateway.
   */
  private void authentication(String name, Lab lab, DockerBackend backend, Path dir)
      throws Exception {
    Path ca = dir.resolve("auth-ca");
    Keys.generate(ca, "", "ed25519");
    Path certified = dir.resolve("auth-cert");
    Keys.generate(certified, "", "ed25519");
    OpenSshClient.Result signed = OpenSshClient.run(List.of(Prerequisites.require(
        "openssh-client", "/usr/bin/ssh-keygen").toString(), "-q", "-s",
        ca.toString(), "-I", "bench", "-n", "bench-cert", certified + ".pub"), null, SOON);
    if (signed.code() != 0) {
      throw new IllegalStateException("ssh-keygen -s: " + signed.err());
    }
    Path hooked = dir.resolve("auth-hook");
    Keys.generate(hooked, "", "ed25519");
    String fingerprint = Keys.fingerprint(Path.of(hooked + ".pub"));
    try (WebhookServer hook = WebhookServer.start(body -> WebhookServer.Answer.json(
        "{\"success\": " + body.contains(fingerprint) + "}"));
        GatewayServer g = GatewayServer.start(GatewayOptions.builder(dir.resolve("hk"))
            .listen("127.0.0.1", 0).authorizedKeys(dir.resolve("ak"))
            .trustedUserCaKeys(Path.of(ca + ".pub")).authWebhook(Webhook.Options.of(
                URI.create(hook.url("/auth")))).build(), backend)) {
      Path kh = Files.writeString(dir.resolve("auth_kh"), Keys.knownHostsLine(
          dir.resolve("hk"), g.port()) + "\n");
      List<Supplier<Long>> ways = List.of(
          () -> millis(new OpenSshClient(lab.clientKey(), kh, g.port(), "bench-key"), "true"),
          () -> millis(new OpenSshClient(certified, kh, g.port(), "bench-cert"), "true"),
          () -> millis(new OpenSshClient(hooked, kh, g.port(), "bench-hook"), "true"));
      int n = quick ? 3 : 10;
      long[][] samples = new long[3][n];
      for (int i = -1; i < n; i++) { // one warm-up; alternate so drift hits all alike
        for (int w = 0; w < 3; w++) {
          long ms = ways.get(w).get();
          if (i >= 0) {
            samples[w][i] = ms;
          }
        }
      }
      report.add(name, "login ms: authorized key | certificate", "ms", true, 0,
          median(samples[0]), median(samples[1]), "<= 1.1x");
      report.add(name, "login ms: authorized key | auth webhook", "ms", true, 0,
          median(samples[0]), median(samples[2]), "<= 1.1x");
    }
  }

  /** Open connections held by ControlMaster processes: the gateway's and sshd's cost of each. */
  private void memory(String name, OpenSshClient toGateway, OpenSshClient toHost, Sshd host,
      Path dir) throws Exception {
    int n = quick ? 4 : 16;
    long heap0 = heapAfterGc();
    long rss0 = Probes.rssKiB(ProcessHandle.current().pid());
    List<Process> masters = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Path cm = dir.resolve("gcm" + i);
        masters.add(toGateway.start(toGateway.ssh(List.of("-o", "ControlMaster=yes", "-o",
            "ControlPath=" + cm), "sleep 600"), dir.resolve("gcm" + i + ".log")));
      }
      awaitSessions(toGateway, dir, "gcm", n);
      long heap = heapAfterGc() - heap0;
      long rss = Probes.rssKiB(ProcessHandle.current().pid()) - rss0;
      stop(masters);
      long pss0 = sshdPssKiB(host);
      for (int i = 0; i < n; i++) {
        Path cm = dir.resolve("scm" + i);
        masters.add(toHost.start(toHost.ssh(List.of("-o", "ControlMaster=yes", "-o",
            "ControlPath=" + cm), "sleep 600"), dir.resolve("scm" + i + ".log")));
      }
      awaitSessions(toHost, dir, "scm", n);
      long pss = sshdPssKiB(host) - pss0;
      report.add(name, "memory per open connection (heap; sshd PSS)", "KiB", true, 0,
          pss / (double) n, heap / 1024.0 / n, "");
      System.out.printf("gateway RSS growth per open connection: %.0f KiB%n", rss / (double) n);
    } finally {
      stop(masters);
    }
  }

  private static void awaitSessions(OpenSshClient c, Path dir, String prefix, int n)
      throws Exception {
    long end = System.nanoTime() + SOON.toNanos();
    for (int i = 0; i < n; i++) {
      Path cm = dir.resolve(prefix + i);
      while (true) {
        OpenSshClient.Result r = c.ssh("true", null, SOON, "-o", "ControlMaster=no", "-o",
            "ControlPath=" + cm);
        if (r.code() == 0) {
          break;
        }
        if (System.nanoTime() > end) {
          throw new IllegalStateException("master " + i + " did not come up: " + r.err());
        }
        Thread.sleep(100);
      }
    }
  }

  private static void stop(List<Process> ps) throws InterruptedException {
    for (Process p : ps) {
      p.destroy();
    }
    for (Process p : ps) {
      p.waitFor(30, TimeUnit.SECONDS);
    }
    ps.clear();
  }

  /** PSS of the sshd's descendants (one privileged and one user process per connection). */
  private static long sshdPssKiB(Sshd sshd) {
    return ProcessHandle.of(sshd.pid()).map(p -> p.descendants().mapToLong(d ->
        pssKiB(d.pid())).sum()).orElse(0L);
  }

  private static long pssKiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return 0;
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long cpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static long millis(OpenSshClient c, String command) {
    return millis(c, command, null);
  }

  /** {@code ssh … command}, offering only {@code kex} unless it is null. */
  private static long millis(OpenSshClient c, String command, String kex) {
    long t0 = System.nanoTime();
    OpenSshClient.Result r = kex == null ? c.ssh(command, null, SOON)
        : c.ssh(command, null, SOON, "-o", "KexAlgorithms=" + kex);
    if (r.code() != 0) {
      throw new IllegalStateException("`" + command + "` failed: " + r.err());
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  private static double rate(int clients, int total, Supplier<Long> login) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      long t0 = System.nanoTime();
      List<Future<Long>> all = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        all.add(pool.submit(login::get));
      }
      for (Future<Long> f : all) {
        f.get(10, TimeUnit.MINUTES);
      }
      return total / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The {@code p}th percentile of nanoseconds, in ms (nearest rank). */
  private static double percentile(long[] v, int p) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1e6;
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }
}
