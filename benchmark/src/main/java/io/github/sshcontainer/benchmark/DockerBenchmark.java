package io.github.sshcontainer.benchmark;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DelayProxy;
import io.github.sshcontainer.lab.DockerCli;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Prerequisites;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Docker over SSH, side by side: time from nothing to a client answering {@code ping}, and image
 * save throughput, for the Docker CLI ({@code docker -H ssh://…}, which spawns ssh per command),
 * OpenSSH {@code ssh -L} with a docker-java client, and {@link SshDocker}; on loopback and at
 * 20 ms RTT.
 */
public final class DockerBenchmark {
  private final boolean quick;
  private final Report report;
  private final Report save;
  private final Report cliReport;

  private DockerBenchmark(boolean quick) {
    this.quick = quick;
    this.report = new Report(quick, "docker CLI", "ssh -L", "ssh-container");
    this.save = new Report(quick, "direct", "ssh -L", "ssh-container");
    this.cliReport = new Report(quick, "direct", "ssh://", "kept tunnel");
  }

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    Path out = Path.of(a.contains("--out") ? a.get(a.indexOf("--out") + 1)
        : "benchmark/target/docker-benchmark.json");
    DockerBenchmark b = new DockerBenchmark(quick);
    Lab lab = Lab.shared();
    DockerDaemon daemon = lab.docker();
    // the Docker CLI runs `docker --host unix://<socket> system dial-stdio` on the remote side
    try (Sshd sshd = lab.startSshd("bench-docker", lab.hostKey(), List.of())) {
      b.scenario(lab, daemon, sshd, "loopback", Duration.ZERO);
      b.scenario(lab, daemon, sshd, "rtt-20ms", Duration.ofMillis(10));
    }
    System.out.println(b.report.table("ratio = ssh-container / ssh -L; 'docker CLI' is "
        + "`docker -H ssh://… version` (" + cliVersion() + ")."));
    System.out.println();
    System.out.println(b.save.table("ratio = ssh-container / ssh -L; all three read the "
        + "same `docker save` stream with docker-java."));
    System.out.println();
    System.out.println(b.cliReport.table("ratio = kept tunnel / ssh://; the Docker CLI itself, "
        + "`docker -H ssh://…` against `docker -H unix://<the socket a kept-open tunnel serves, "
        + "as ssh-container up does>`; direct is the daemon's own socket."));
    b.report.writeJson(out);
    b.cliReport.writeJson(Path.of(out.toString().replace(".json", "-cli.json")));
    b.save.writeJson(Path.of(out.toString().replace(".json", "-save.json")));
  }

  /** Debian's docker CLI, the one users of this project have, with its version. */
  private static String cliVersion() {
    return DockerCli.debian().toString();
  }

  private void scenario(Lab lab, DockerDaemon daemon, Sshd sshd, String name, Duration oneWay)
      throws Exception {
    DelayProxy proxy = oneWay.isZero() ? null : DelayProxy.start(sshd.port(), oneWay);
    int port = proxy == null ? sshd.port() : proxy.port();
    Path work = Files.createTempDirectory(Path.of("/tmp"), "sshc-dbench-");
    try {
      Path kh = work.resolve("known_hosts");
      Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), port) + "\n");
      Map<String, String> cliEnv = cliEnvironment(work, lab, kh);
      String sshUrl = "ssh://" + lab.user() + "@127.0.0.1:" + port + daemon.socket();
      TunnelOptions options = TunnelOptions.builder(SshTarget.of(lab.user(), "127.0.0.1", port))
          .identityFile(lab.clientKey()).knownHosts(kh).noSshConfig().useAgent(false)
          .remoteSocket(daemon.socket().toString()).build();
      int runs = quick ? 3 : (proxy == null ? 10 : 5);

      double[] cli = new double[runs];
      double[] sshL = new double[runs];
      double[] ours = new double[runs];
      // warm the JVM's code paths once, untimed
      SshDocker.connect(options).close();
      for (int i = 0; i < runs; i++) {
        cli[i] = timeCli(cliEnv, sshUrl);
        sshL[i] = timeSshL(lab, port, kh, daemon.socket(), work);
        long t0 = System.nanoTime();
        DockerClient c = SshDocker.connect(options);
        ours[i] = (System.nanoTime() - t0) / 1e6;
        c.close();
      }
      report.add(name, "nothing to ping answered (median)", "ms", true, median(cli),
          median(sshL), median(ours), "");
      report.add(name, "ssh-container vs docker CLI (x faster)", "x", false, 1, 1,
          median(cli) / median(ours), ">=5");

      // the Docker CLI through a kept-open tunnel (what `up` serves) against ssh:// per command
      try (SocketTunnel kept =
          SocketTunnel.open(options)) {
        String keptHost = kept.uri().toString();
        String directHost = "unix://" + daemon.socket();
        int versions = quick ? 3 : 7;
        int runsRun = quick ? 3 : 5;
        double[][] v = new double[3][versions];
        double[][] r = new double[3][runsRun];
        String[] hosts = {directHost, sshUrl, keptHost};
        for (int h = 0; h < 3; h++) {
          timeDocker(cliEnv, hosts[h], "version"); // warm the path once
          for (int i = 0; i < versions; i++) {
            v[h][i] = timeDocker(cliEnv, hosts[h], "version");
          }
          for (int i = 0; i < runsRun; i++) {
            r[h][i] = timeDocker(cliEnv, hosts[h], "run", "--rm", "--network", "none",
                DockerDaemon.BUSYBOX, "true");
          }
        }
        cliReport.add(name, "docker version (median of " + versions + ")", "ms", true,
            median(v[0]), median(v[1]), median(v[2]), "");
        cliReport.add(name, "docker run --rm … true (median of " + runsRun + ")", "ms", true,
            median(r[0]), median(r[1]), median(r[2]), "");
      }

      String image = daemon.bigImage();
      int saveRuns = quick ? 1 : 3;
      double[] saveDirect = new double[saveRuns];
      double[] saveSshL = new double[saveRuns];
      double[] saveOurs = new double[saveRuns];
      try (OpenSshForward fwd = OpenSshForward.start(lab.user(), port, lab.clientKey(), kh,
              Map.of("docker.sock", daemon.socket()));
          DockerClient viaSshL = plainClient(URI.create("unix://"
              + fwd.socket("docker.sock").getPath()));
          DockerClient direct = plainClient(URI.create("unix://" + daemon.socket()));
          DockerClient viaUs = SshDocker.connect(options)) {
        for (int i = 0; i < saveRuns; i++) {
          saveDirect[i] = saveRate(direct, image);
          saveSshL[i] = saveRate(viaSshL, image);
          saveOurs[i] = saveRate(viaUs, image);
        }
      }
      save.add(name, "image save " + image, "MB/s", false, median(saveDirect),
          median(saveSshL), median(saveOurs), ">=1.0");
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      try (var files = Files.walk(work)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** PATH with an `ssh` that uses the lab's key and known_hosts, as the Docker CLI needs. */
  private static Map<String, String> cliEnvironment(Path work, Lab lab, Path kh)
      throws IOException {
    Path bin = Files.createDirectories(work.resolve("bin"));
    Path config = work.resolve("ssh_config");
    Files.writeString(config, "Host *\n  IdentityFile " + lab.clientKey() + "\n"
        + "  IdentitiesOnly yes\n  UserKnownHostsFile " + kh + "\n"
        + "  StrictHostKeyChecking yes\n  BatchMode yes\n");
    Path ssh = bin.resolve("ssh");
    Path realSsh = Prerequisites.require("openssh-client", "/usr/bin/ssh");
    Files.writeString(ssh, "#!/bin/sh\nexec " + realSsh + " -F " + config + " \"$@\"\n");
    Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
    Path dockerConfig = Files.createDirectories(work.resolve("docker-config"));
    return Map.of("PATH", bin + ":" + System.getenv("PATH"), "DOCKER_CONFIG",
        dockerConfig.toString());
  }

  private static double timeCli(Map<String, String> env, String sshUrl) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(DockerCli.debian().path().toString(), "-H", sshUrl, "version", "--format",
        "{{.Server.APIVersion}}").redirectErrorStream(true);
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("docker -H " + sshUrl + " version failed: " + out);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double timeDocker(Map<String, String> env, String host, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(DockerCli.debian().path().toString(), "-H",
        host));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(cmd + " failed: " + out);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double timeSshL(Lab lab, int port, Path kh, Path remote, Path work)
      throws Exception {
    long t0 = System.nanoTime();
    try (OpenSshForward fwd = OpenSshForward.start(lab.user(), port, lab.clientKey(), kh,
        Map.of("docker.sock", remote));
        DockerClient c = plainClient(URI.create("unix://" + fwd.socket("docker.sock")
            .getPath()))) {
      c.pingCmd().exec();
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  private static DockerClient plainClient(URI host) {
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder().dockerHost(host)
        .maxConnections(8).build();
    // docker-java's own public config, as an ssh -L user would write it
    return DockerClientImpl.getInstance(DefaultDockerClientConfig
        .createDefaultConfigBuilder().withDockerHost(host.toString()).withDockerTlsVerify(false)
        .build(), http);
  }

  private static double saveRate(DockerClient docker, String image) throws IOException {
    long t0 = System.nanoTime();
    long bytes;
    try (InputStream in = docker.saveImageCmd(image).exec()) {
      bytes = in.transferTo(OutputStream.nullOutputStream());
    }
    return bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
