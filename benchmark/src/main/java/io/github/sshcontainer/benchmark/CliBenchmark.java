package io.github.sshcontainer.benchmark;

import io.github.sshcontainer.lab.Lab;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start times of the CLI as users run it, from the distribution's jar: {@code --help}, and a
 * {@code tunnel DEST -- true} round trip against the lab (connect, forward, run, clean up).
 * Usage: {@code CliBenchmark [--quick] [--jar cli/target/ssh-container.jar]}.
 */
public final class CliBenchmark {
  private CliBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    int runs = a.contains("--quick") ? 3 : 10;
    Path jar = Path.of(a.contains("--jar") ? a.get(a.indexOf("--jar") + 1)
        : "cli/target/ssh-container.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: build it with mvn -pl cli -am package");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Lab lab = Lab.shared();
    List<String> help = List.of(java, "-jar", jar.toString(), "--help");
    List<String> tunnel = List.of(java, "-jar", jar.toString(), "tunnel", "--identity",
        lab.clientKey().toString(), "--known-hosts", lab.knownHosts().toString(),
        lab.destination(), "--remote-socket", lab.echo().socket().toString(), "--", "true");
    System.out.println("| figure | median ms | min ms | max ms |");
    System.out.println("|---|---:|---:|---:|");
    row("ssh-container --help", time(help, runs));
    row("ssh-container tunnel DEST -- true", time(tunnel, runs));
    System.out.printf(Locale.ROOT, "jar: %.1f MiB; %s%n", Files.size(jar) / 1048576.0,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
  }

  private static double[] time(List<String> cmd, int runs) throws Exception {
    run(cmd); // warm the page cache once
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      run(cmd);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }

  private static void run(List<String> cmd) throws Exception {
    File output = File.createTempFile("cli-bench", ".txt");
    try {
      Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true)
          .redirectOutput(output)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(cmd + " did not end within 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(cmd + " failed with exit code " + p.exitValue() + ":\n"
            + Files.readString(output.toPath()));
      }
    } finally {
      output.delete();
    }
  }

  private static void row(String figure, double[] ms) {
    System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f |%n", figure, ms[ms.length / 2],
        ms[0], ms[ms.length - 1]);
  }
}
