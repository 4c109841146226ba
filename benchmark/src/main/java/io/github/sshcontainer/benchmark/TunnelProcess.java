package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The tunnel in a JVM of its own, as a program that uses it runs it, so that its CPU time is
 * read from {@code /proc} as the {@code ssh -L} process's is, and the benchmark's clients and far
 * ends do not share its heap, its JIT or its garbage collector.
 *
 * <p>The child ({@link #main}) opens one tunnel per Unix forward (as a program opens one
 * {@link SocketTunnel} per socket) and one tunnel with every TCP forward (as {@code ssh -N -L}
 * carries several), prints {@code NAME ADDRESS} per forward and {@code ready}, and closes
 * everything when its standard input ends.
 */
final class TunnelProcess implements AutoCloseable {
  private final Process process;
  private final Map<String, SocketAddress> addresses;

  private TunnelProcess(Process process, Map<String, SocketAddress> addresses) {
    this.process = process;
    this.addresses = addresses;
  }

  /**
   * Starts the child JVM with {@code specs}: {@code unix:NAME=/remote/path} or {@code
   * tcp:NAME=REMOTE_PORT} (on the remote host's 127.0.0.1).
   */
  static TunnelProcess start(String user, int port, Path key, Path knownHosts,
      List<String> specs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String extra = System.getProperty("sshc.bench.tunnelJvm", "");
    if (!extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+"))); // e.g. a profiler's options
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        TunnelProcess.class.getName(), user, String.valueOf(port), key.toString(),
        knownHosts.toString()));
    cmd.addAll(specs);
    Path log = Files.createTempFile("sshc-bench-tunnel", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    Map<String, SocketAddress> found = new HashMap<>();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.equals("ready")) {
      String[] f = line.split(" ", 2);
      found.put(f[0], f[1].startsWith("/") ? UnixDomainSocketAddress.of(f[1])
          : new InetSocketAddress("127.0.0.1", Integer.parseInt(f[1])));
    }
    if (line == null) {
      p.waitFor(10, TimeUnit.SECONDS);
      String why = Files.readString(log);
      Files.deleteIfExists(log);
      throw new IOException("the tunnel process ended before it was ready: " + why);
    }
    Files.deleteIfExists(log);
    return new TunnelProcess(p, found);
  }

  SocketAddress address(String name) {
    SocketAddress a = addresses.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no forward named " + name);
    }
    return a;
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.getOutputStream().close();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The child: {@code USER PORT KEY KNOWN_HOSTS SPEC...}. */
  public static void main(String[] a) throws Exception {
    PrintStream out = System.out;
    TunnelOptions base = TunnelOptions.builder(SshTarget.of(a[0], "127.0.0.1",
            Integer.parseInt(a[1]))).identityFile(Path.of(a[2])).knownHosts(Path.of(a[3]))
        .noSshConfig().useAgent(false).build();
    List<SocketTunnel> open = new ArrayList<>();
    SocketTunnel tcp = null;
    try {
      for (int i = 4; i < a.length; i++) {
        String spec = a[i];
        String name = spec.substring(spec.indexOf(':') + 1, spec.indexOf('='));
        String value = spec.substring(spec.indexOf('=') + 1);
        if (spec.startsWith("unix:")) {
          SocketTunnel t = SocketTunnel.open(base.toBuilder().remoteSocket(value).build());
          open.add(t);
          out.println(name + " " + t.localSocket().orElseThrow());
        } else {
          if (tcp == null) {
            tcp = SocketTunnel.open(base.toBuilder().remoteSocket(RemoteSocket.none()).build());
            open.add(tcp);
          }
          InetSocketAddress local = tcp.forwardTcp(0, "127.0.0.1", Integer.parseInt(value))
              .localAddress();
          out.println(name + " " + local.getPort());
        }
      }
      out.println("ready");
      out.flush();
      while (System.in.read() >= 0) {
        // runs until the benchmark closes our standard input
      }
    } finally {
      for (SocketTunnel t : open) {
        t.close();
      }
    }
  }
}
