package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.PullOptions;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Live task I/O over SSH against the lab's containerd: a line written to a running task's
 * stdin ({@code cat}) and read back from its stdout, through the FIFOs on the daemon's host and
 * one exec channel per stream. The round trip bounds how late a printed line arrives (one way
 * is at most the round trip). Loopback and 20 ms RTT. Also the time to start a live task.
 */
public final class ContainerdBenchmark {
  private ContainerdBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    Lab lab = Lab.shared();
    System.out.println("| network  | figure                                   | p50 ms | p99 ms | max ms |");
    System.out.println("|---|---|---:|---:|---:|");
    for (Duration oneWay : new Duration[] {Duration.ZERO, Duration.ofMillis(10)}) {
      scenario(lab, oneWay.isZero() ? "loopback" : "rtt-20ms", oneWay, quick);
    }
    pull(lab, quick);
    System.out.println("Machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java "
        + System.getProperty("java.version"));
  }

  private static void scenario(Lab lab, String name, Duration oneWay, boolean quick)
      throws Exception {
    DelayProxy proxy = oneWay.isZero() ? null : DelayProxy.start(lab.port(), oneWay);
    int port = proxy == null ? lab.port() : proxy.port();
    Path kh = Files.createTempFile("sshc-cbench-kh", "");
    Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), port) + "\n");
    String ns = "sshc-bench-" + UUID.randomUUID().toString().substring(0, 8);
    try (ContainerdClient ctr = SshContainerd.connect(TunnelOptions.builder(SshTarget.of(
        lab.user(), "127.0.0.1", port)).identityFile(lab.clientKey()).knownHosts(kh)
        .noSshConfig().useAgent(false).remoteSocket(lab.containerd().socket().toString())
        .build(), ns)) {
      try (InputStream tar = Files.newInputStream(lab.busyboxTar())) {
        ctr.importImage(tar);
      }
      int starts = quick ? 3 : 7;
      double[] startMs = new double[starts];
      for (int i = 0; i < starts; i++) {
        long t0 = System.nanoTime();
        try (RunningTask t = ctr.start(RunSpec.of("docker.io/sshc-lab/busybox:1")
            .args("true").live().build())) {
          t.await(Duration.ofSeconds(60));
          startMs[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      row(name, "live task: start to exit of `true`", startMs);
      int lines = quick ? 50 : (proxy == null ? 500 : 100);
      double[] rtt = new double[lines];
      try (RunningTask cat = ctr.start(RunSpec.of("docker.io/sshc-lab/busybox:1")
          .args("cat").stdin().build())) {
        TaskIo io = cat.io().orElseThrow();
        OutputStream in = io.stdin();
        InputStream out = io.stdout();
        byte[] line = "0123456789abcdef\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = -20; i < lines; i++) {
          long t0 = System.nanoTime();
          in.write(line);
          in.flush();
          byte[] back = out.readNBytes(line.length);
          if (back.length != line.length) {
            throw new IllegalStateException("cat ended early");
          }
          if (i >= 0) {
            rtt[i] = (System.nanoTime() - t0) / 1e6;
          }
        }
        in.close();
        cat.await(Duration.ofSeconds(60));
      }
      row(name, "a line through stdin and back from stdout", rtt);
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      Files.deleteIfExists(kh);
    }
  }

  /**
   * The lab's 110 MiB image from a registry on this host: pulled by {@code ContainerdClient.pull}
   * (client-side, content streamed over the tunnel) and by containerd's own {@code ctr images
   * pull --plain-http} run on the host itself, each into a fresh namespace.
   */
  private static void pull(Lab lab, boolean quick) throws Exception {
    String ref = lab.registry().push(lab.docker(), lab.docker().bigImage(), "sshc/big:1");
    int runs = quick ? 1 : 3;
    double[] ours = new double[runs];
    double[] ctrOnHost = new double[runs];
    for (int i = 0; i < runs; i++) {
      String ns = "sshc-bench-pull-" + UUID.randomUUID().toString().substring(0, 8);
      try (ContainerdClient ctr = SshContainerd.connect(TunnelOptions.builder(lab.destination())
          .identityFile(lab.clientKey()).knownHosts(lab.knownHosts()).noSshConfig()
          .useAgent(false).remoteSocket(lab.containerd().socket().toString()).build(), ns)) {
        long t0 = System.nanoTime();
        ctr.pull(ref, PullOptions.defaults());
        ours[i] = (System.nanoTime() - t0) / 1e6;
      }
      String ns2 = "sshc-bench-ctr-" + UUID.randomUUID().toString().substring(0, 8);
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder("ctr", "-a", lab.containerd().socket().toString(), "-n",
          ns2, "images", "pull", "--plain-http", ref).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("ctr images pull failed");
      }
      ctrOnHost[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ours);
    Arrays.sort(ctrOnHost);
    System.out.printf(Locale.ROOT, "%npull of %s (110 MiB layer), median of %d: ssh-container "
        + "%.0f ms, ctr on the host %.0f ms, ratio %.2fx%n", ref, runs, ours[runs / 2],
        ctrOnHost[runs / 2], ours[runs / 2] / ctrOnHost[runs / 2]);
  }

  private static void row(String scenario, String figure, double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    System.out.printf(Locale.ROOT, "| %-8s | %-40s | %6.1f | %6.1f | %6.1f |%n", scenario, figure,
        s[s.length / 2], s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)],
        s[s.length - 1]);
  }
}
