package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ssh-container gateway} started as a real process, as an operator or a service manager
 * starts it: stdin at /dev/null, stderr to a file, the port read from its first line ({@code
 * listening on HOST:PORT}) and, with {@code --metrics}, the metrics address from its second.
 * One launcher for every CLI test of the gateway.
 *
 * @param metrics the {@code --metrics} address, or null without it
 * @param hostKey the host key file the test gave, or null
 */
record GatewayProcess(Process process, int port, InetSocketAddress metrics, Path err,
    Path hostKey) {
  static final Path JAR = Path.of("target/ssh-container.jar").toAbsolutePath();

  /** DEST and the options that reach the lab's dockerd through the lab's sshd. */
  static List<String> labDockerHost() {
    Lab lab = Lab.shared();
    return List.of(lab.destination(), "--identity", lab.clientKey().toString(),
        "--known-hosts", lab.knownHosts().toString(), "--remote-socket",
        lab.docker().socket().toString());
  }

  /**
   * Starts {@code java JAVA_OPTIONS… -jar ssh-container.jar gateway ARGS…}, its stderr in a new
   * file under {@code dir}, and waits for its first line (and the second with {@code
   * --metrics}).
   */
  static GatewayProcess start(Path dir, List<String> javaOptions, List<String> args,
      Path hostKey) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString()));
    cmd.addAll(javaOptions);
    cmd.addAll(List.of("-jar", JAR.toString(), "gateway"));
    cmd.addAll(args);
    Path err = dir.resolve("gateway-" + System.nanoTime() + ".err");
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectError(err.toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8));
    String first = out.readLine();
    assertTrue(first != null && first.startsWith("listening on 127.0.0.1:"), "first line: "
        + first + "\nstderr:\n" + read(err));
    InetSocketAddress metrics = null;
    if (args.contains("--metrics")) {
      String second = out.readLine();
      assertTrue(second != null && second.startsWith("metrics on 127.0.0.1:"), "second line: "
          + second + "\nstderr:\n" + read(err));
      metrics = new InetSocketAddress("127.0.0.1", Integer.parseInt(second.substring(
          second.lastIndexOf(':') + 1)));
    }
    return new GatewayProcess(p, Integer.parseInt(first.substring(first.lastIndexOf(':') + 1)),
        metrics, err, hostKey);
  }

  /** Sends it {@code signal} ({@code HUP}, {@code TERM}) with kill(1). */
  void signal(String signal) throws IOException, InterruptedException {
    Path kill = Prerequisites.require("procps", "/usr/bin/kill");
    Process k = new ProcessBuilder(kill.toString(), "-" + signal, String.valueOf(process.pid()))
        .redirectErrorStream(true).start();
    assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + signal);
  }

  /** What it wrote to stderr so far ("" when nothing could be read). */
  String stderr() {
    return read(err);
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
