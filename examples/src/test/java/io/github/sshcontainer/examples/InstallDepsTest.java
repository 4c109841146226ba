package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/install-deps.sh} checks for every program that the lab, the tests and the
 * scripts run, so that the README's two commands work on a freshly installed Debian 12: a
 * program that only a development machine has fails here, by name, not there.
 */
class InstallDepsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path INSTALL_DEPS = ROOT.resolve("scripts/install-deps.sh");
  /** Runs on the developer's own machine and installs what it needs (mmdebstrap) itself. */
  private static final Set<String> NOT_READ = Set.of("scripts/fresh-machine-check.sh",
      "examples/src/test/java/io/github/sshcontainer/examples/InstallDepsTest.java",
      "examples/src/test/java/io/github/sshcontainer/examples/ShellScript.java",
      "examples/src/test/java/io/github/sshcontainer/examples/JavaLaunches.java");

  /** install-deps' table: program path -> Debian package. */
  private static Map<String, String> installList() throws IOException {
    Map<String, String> list = new LinkedHashMap<>();
    boolean in = false;
    for (String line : Files.readAllLines(INSTALL_DEPS)) {
      if (line.equals("programs='")) {
        in = true;
      } else if (in && line.equals("'")) {
        break;
      } else if (in && !line.isBlank()) {
        String[] f = line.trim().split("\\s+");
        assertEquals(2, f.length, "install-deps' table wants 'PATH PACKAGE': " + line);
        list.put(f[0], f[1]);
      }
    }
    assertTrue(list.size() > 20, "no table of programs found in " + INSTALL_DEPS);
    return list;
  }

  private static String name(String program) {
    return program.substring(program.lastIndexOf('/') + 1);
  }

  private static String relative(Path p) {
    return ROOT.relativize(p).toString();
  }

  private static List<Path> files() throws IOException {
    try (Stream<Path> walk = Files.walk(ROOT)) {
      return walk.filter(p -> !relative(p).matches("(.*/)?(target|\\.git|node_modules)(/.*)?"))
          .filter(Files::isRegularFile).filter(p -> !NOT_READ.contains(relative(p))).sorted()
          .toList();
    }
  }

  private static boolean isShellScript(Path p) throws IOException {
    String file = p.getFileName().toString();
    if (file.contains(".") && !file.endsWith(".sh")) {
      return false;
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(p)) {
      head = in.readNBytes(64);
    }
    String first = new String(head, StandardCharsets.ISO_8859_1).split("\n", 2)[0];
    return first.startsWith("#!") && first.matches("#!.*\\b(ba|da)?sh\\b.*");
  }

  /** Every program run, with the files that run it. */
  private static Map<String, Set<String>> programsRun() throws IOException {
    Map<String, Set<String>> run = new TreeMap<>();
    for (Path p : files()) {
      String rel = relative(p);
      Set<String> found;
      if (rel.endsWith(".java") && rel.contains("/src/")) {
        found = JavaLaunches.programs(Files.readString(p), rel.startsWith("lab/src/main/"));
      } else if (isShellScript(p)) {
        found = ShellScript.programs(Files.readString(p));
      } else {
        continue;
      }
      for (String program : found) {
        run.computeIfAbsent(program, k -> new TreeSet<>()).add(rel);
      }
    }
    return run;
  }

  @Test
  void everyProgramTheLabTheTestsAndTheScriptsRunIsInTheInstallList() throws IOException {
    Map<String, String> list = installList();
    Set<String> listed = new TreeSet<>();
    list.keySet().forEach(path -> listed.add(name(path)));
    Map<String, Set<String>> run = programsRun();
    assertTrue(run.size() >= 25, "the reading found only " + run.keySet() + ": it no longer "
        + "reads the lab's Java code and the scripts");
    List<String> foreign = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    run.forEach((program, where) -> {
      String line = program + "   (run by " + String.join(", ", where) + ")";
      if (program.matches("/(usr/local|opt|home|root|srv)/.*")) {
        foreign.add(line);
      } else if (!listed.contains(name(program))) {
        missing.add(line);
      }
    });
    assertTrue(foreign.isEmpty(), "programs that no Debian package puts where they are run "
        + "(run Debian's, e.g. /usr/bin/NAME):\n  " + String.join("\n  ", foreign));
    assertTrue(missing.isEmpty(), "programs that scripts/install-deps.sh does not check for; "
        + "add a line 'PATH PACKAGE' to its table for each (dpkg -S /usr/bin/NAME names the "
        + "package):\n  " + String.join("\n  ", missing));
  }

  @Test
  void theLabLooksForEachProgramInThePackageTheInstallListGives() throws IOException {
    Map<String, String> list = installList();
    Map<String, String> packageOf = new TreeMap<>();
    list.forEach((path, pkg) -> packageOf.put(name(path), pkg));
    List<String> wrong = new ArrayList<>();
    int calls = 0;
    for (Path p : files()) {
      if (!p.toString().endsWith(".java")) {
        continue;
      }
      for (JavaLaunches.Require r : JavaLaunches.requires(Files.readString(p))) {
        calls++;
        boolean given = r.candidates().stream()
            .anyMatch(c -> r.debianPackage().equals(packageOf.get(name(c))));
        if (!given) {
          wrong.add(relative(p) + ": Prerequisites.require(\"" + r.debianPackage() + "\", "
              + r.candidates() + "), but install-deps.sh gives "
              + r.candidates().stream().map(c -> name(c) + " -> " + packageOf.get(name(c)))
                  .toList());
        }
      }
    }
    assertTrue(calls >= 10, "found only " + calls + " Prerequisites.require calls");
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  /** install-deps.sh has run before the tests (scripts/test.sh runs it first). */
  @Test
  void everyListedProgramIsWhereTheListSays() throws IOException {
    List<String> absent = new ArrayList<>();
    installList().forEach((path, pkg) -> {
      if (!Files.isExecutable(Path.of(path))) {
        absent.add(path + " (" + pkg + ")");
      }
    });
    assertTrue(absent.isEmpty(), "not on this machine: " + absent + ". Either the table in "
        + "scripts/install-deps.sh names the wrong path (dpkg -L PACKAGE lists its files), or "
        + "the packages are not installed: run scripts/install-deps.sh as root");
  }

  @Test
  void theReadingFindsWhatAShellScriptRuns() {
    String script = String.join("\n",
        "#!/usr/bin/env bash",
        "set -euo pipefail # a comment naming notaprogram",
        "teardown() { rm -rf \"$dir\"; }",
        "trap 'umount -l /x; teardown' EXIT",
        "LC_ALL=C apt-get -q update > \"$log\" 2>&1 && need+=(notaprogram)",
        "[ -x /usr/bin/mvn ] || { ldd /bin/busybox 2>&1 || true; } | grep -q static",
        "[[ \"$v\" =~ ^[0-9]+(-[a-z]+)?$ ]] || echo \"$(git rev-parse HEAD | cut -c1-7)\"",
        "case \"${1:-}\" in a|b) what=$1; shift ;; *) tmux new -d ;; esac",
        "for x in $(seq 1 3); do sleep \"$x\"; done",
        "grep -o x /proc/mounts | sort -r | xargs -r -n1 /usr/bin/umount -l",
        "exec 3> \"$fifo\"; mapfile -t a < <(printf '%s\\n' b | uniq)",
        "runuser -u sshc -- env -i HOME=/h docker import - img",
        "cat > pom.xml <<EOF",
        "notaprogram either",
        "EOF",
        "sh -c 'mount -t tmpfs t /run && exec \"$@\"' sh true",
        "scripts/install-deps.sh; \"$tool\" --version; echo $((SECONDS - 1))",
        "(cd \"$(dirname \"$0\")\" && mkdir -p a)");
    assertEquals(List.of("rm", "umount", "apt-get", "ldd", "grep", "tmux", "sleep", "sort",
        "xargs", "/usr/bin/umount", "runuser", "env", "docker", "cat", "sh", "mount", "mkdir",
        "git", "cut", "seq", "uniq", "dirname"),
        List.copyOf(ShellScript.programs(script)));
  }

  @Test
  void theReadingFindsWhatJavaCodeStarts() {
    String source = String.join("\n",
        "class X {",
        "  private static final String CONTRIB = \"/usr/share/docker.io/contrib\";",
        "  void run(Path root, String user) {",
        "    // List.of(\"commented\") is no command",
        "    Path ip = Prerequisites.require(\"iproute2\", \"/usr/sbin/ip\", \"/sbin/ip\");",
        "    StringBuilder script = new StringBuilder(\"mount -t tmpfs t /run\");",
        "    script.append(\" && ln -s '\").append(root).append(\"' /run/x\");",
        "    LabProcess.run(D, List.of(\"unshare\", \"--mount\", \"sh\", \"-c\", script.toString()));",
        "    LabProcess.run(D, List.of(\"sh\", \"-c\", \"tar -C '\" + root + \"' -c . | \"",
        "        + cli + \" import -\"));",
        "    command.addAll(List.of(\"system\", \"service\"));",
        "    List<String> lines = List.of(\"Subsystem none /bin/false\", \"Port 22\");",
        "    new ProcessBuilder(List.of(\"runuser\", \"-u\", user, \"--\", \"env\", \"-i\",",
        "        \"HOME=/h\", CONTRIB + \"/dockerd-rootless.sh\")).start();",
        "    new ProcessBuilder(ip.toString(), \"netns\").start();",
        "    if (Files.isExecutable(Path.of(\"/usr/bin/setsid\"))) { }",
        "  }",
        "}");
    assertEquals(List.of("/usr/sbin/ip", "/sbin/ip", "unshare", "sh", "mount", "ln", "tar",
        "runuser", "env", "/usr/share/docker.io/contrib/dockerd-rootless.sh", "/usr/bin/setsid"),
        List.copyOf(JavaLaunches.programs(source, true)));
    assertEquals(List.of(new JavaLaunches.Require("iproute2", List.of("/usr/sbin/ip",
        "/sbin/ip"))), JavaLaunches.requires(source));
  }
}
