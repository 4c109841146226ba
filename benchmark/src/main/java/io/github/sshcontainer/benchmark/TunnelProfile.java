package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One workload at a time through {@code ssh -L} and the tunnel, for a profiler or {@code strace}
 * attached from outside: prints {@code PIDS ssh=… tunnel=…}, waits {@code --attach} seconds,
 * runs the workload on each path for {@code --seconds} and prints how much work each did and the
 * CPU it cost. Usage: {@code TunnelProfile fresh|ka|par16|down|up [--seconds N] [--attach N]}.
 * Extra JVM options for the tunnel come from {@code -Dsshc.bench.tunnelJvm=…}.
 */
public final class TunnelProfile {
  private TunnelProfile() {}

  public static void main(String[] args) throws Exception {
    List<String> a = List.of(args);
    String what = a.get(0);
    long seconds = a.contains("--seconds") ? Long.parseLong(a.get(a.indexOf("--seconds") + 1)) : 10;
    long attach = a.contains("--attach") ? Long.parseLong(a.get(a.indexOf("--attach") + 1)) : 3;
    Lab lab = Lab.shared();
    Path kh = Files.createTempFile("sshc-prof-kh", "");
    Files.writeString(kh, Keys.knownHostsLine(lab.hostKey(), lab.port()) + "\n");
    Map<String, Path> far = new LinkedHashMap<>();
    far.put("echo.sock", lab.echo().socket());
    far.put("source.sock", lab.source().socket());
    far.put("discard.sock", lab.discard().socket());
    try (OpenSshForward ssh = OpenSshForward.start(lab.user(), lab.port(), lab.clientKey(), kh,
            far);
        TunnelProcess tunnel = TunnelProcess.start(lab.user(), lab.port(), lab.clientKey(), kh,
            List.of("unix:echo.sock=" + lab.echo().socket(), "unix:source.sock="
                + lab.source().socket(), "unix:discard.sock=" + lab.discard().socket()))) {
      String[] names = {"ssh -L", "tunnel"};
      SocketAddress[][] paths = {
          {ssh.socket("echo.sock"), ssh.socket("source.sock"), ssh.socket("discard.sock")},
          {tunnel.address("echo.sock"), tunnel.address("source.sock"),
              tunnel.address("discard.sock")}};
      long[] pids = {ssh.pid(), tunnel.pid()};
      for (SocketAddress[] p : paths) { // warm-up
        Probes.keepAlive(p[0], 0, 5000, CpuClock.none());
        Probes.fresh(p[0], 0, 1500, 0, CpuClock.none());
        Probes.parallel(p[0], 16, 1000, CpuClock.none());
      }
      System.out.println("PIDS ssh=" + pids[0] + " tunnel=" + pids[1]);
      System.out.flush();
      Thread.sleep(attach * 1000);
      for (int i = 0; i < 2; i++) {
        CpuClock cpu = new CpuClock(pids[i]);
        SocketAddress[] p = paths[i];
        long c0 = cpu.nanos();
        long t0 = System.nanoTime();
        double work = 0;
        String unit = "";
        long end = t0 + seconds * 1_000_000_000L;
        switch (what) {
          case "fresh" -> {
            while (System.nanoTime() < end) {
              Probes.fresh(p[0], 0, 100, 0, CpuClock.none());
              work += 100;
            }
            unit = "connections";
          }
          case "ka" -> {
            while (System.nanoTime() < end) {
              Probes.keepAlive(p[0], 0, 5000, CpuClock.none());
              work += 5000;
            }
            unit = "requests";
          }
          case "par16" -> {
            work = Probes.parallel(p[0], 16, seconds * 1000, CpuClock.none()).units();
            unit = "requests";
          }
          case "down" -> {
            while (System.nanoTime() < end) {
              work += Probes.download(p[1], 256L << 20, CpuClock.none()).units();
            }
            unit = "bytes";
          }
          default -> {
            while (System.nanoTime() < end) {
              work += Probes.upload(p[2], 256L << 20, CpuClock.none()).units();
            }
            unit = "bytes";
          }
        }
        double cpuUs = (cpu.nanos() - c0) / 1e3;
        System.out.printf("RESULT %s %s: %.0f %s in %.1f s, CPU %.0f us, %.2f us per unit%n",
            what, names[i], work, unit, (System.nanoTime() - t0) / 1e9, cpuUs, cpuUs / work);
        System.out.flush();
        Thread.sleep(attach * 1000);
      }
    } finally {
      Files.deleteIfExists(kh);
    }
  }
}
