package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.HttpGet;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Registry;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ssh-container command as a real process against the lab. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CliTest {
  @TempDir Path tmp;

  private static final Path JAR = Path.of("target/ssh-container.jar");

  private static Lab lab() {
    return Lab.shared();
  }

  private static List<String> ssh(String... rest) {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-jar", JAR.toString()));
    cmd.addAll(List.of(rest));
    return cmd;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<String> auth() {
    return List.of("--identity", lab().clientKey().toString(), "--known-hosts",
        lab().knownHosts().toString());
  }

  private static List<String> command(String sub, List<String> before, List<String> after) {
    List<String> c = ssh(sub);
    c.addAll(auth());
    c.addAll(before);
    if (!after.isEmpty()) {
      c.add("--");
      c.addAll(after);
    }
    return c;
  }

  record Result(int code, String out, String err) {}

  private static Result run(List<String> cmd, String stdin, Map<String, String> env)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("DOCKER_HOST");
    pb.environment().putAll(env);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "process ended");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  /** The socket of DOCKER_HOST=unix://…, which a tunnel must print as its first line. */
  private static Path printedSocket(Process p) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8));
    String first = out.readLine();
    assertTrue(first != null && first.startsWith("DOCKER_HOST=unix:///"), first);
    return Path.of(first.substring("DOCKER_HOST=unix://".length()));
  }

  @Test
  void tunnelPrintsDockerHostFirstAndCleansUpOnSigterm() throws Exception {
    Process p = new ProcessBuilder(command("tunnel", List.of(lab().destination(),
        "--remote-socket", lab().echo().socket().toString()), List.of())).start();
    try {
      Path socket = printedSocket(p);
      try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        ByteBuffer back = ByteBuffer.allocate(3);
        while (back.hasRemaining() && c.read(back) >= 0) { }
        assertEquals(3, back.position());
      }
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits on SIGTERM");
      assertFalse(Files.exists(socket), "socket removed");
      assertFalse(Files.exists(socket.getParent()), "directory removed");
      assertFalse(p.isAlive());
      assertTrue(p.descendants().findAny().isEmpty(), "no process left");
    } finally {
      p.destroyForcibly();
    }
  }

  /** Starts busybox httpd serving {@code text} with port 80 published on any free port. */
  private static String httpd(DockerDaemon d, String text) {
    return d.cli(Duration.ofSeconds(60), "run", "-d", "-p", "0:80",
        DockerDaemon.BUSYBOX, "sh", "-c", "mkdir -p /w && echo "
            + text + " > /w/index.html && exec busybox httpd -f -p 80 -h /w").trim();
  }

  private static int publishedPort(DockerDaemon d, String id) {
    String out = d.cli(Duration.ofSeconds(30), "port", id, "80/tcp");
    String first = out.lines().findFirst().orElseThrow();
    return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1).trim());
  }

  /** Lines of a stream, read on a thread of their own, for waiting on with a deadline. */
  private static BlockingQueue<String> lines(InputStream in) {
    BlockingQueue<String> q = new LinkedBlockingQueue<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in,
          StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          q.add(l);
        }
      } catch (IOException ended) {
        // the process is gone
      }
    });
    t.setDaemon(true);
    t.start();
    return q;
  }

  private static String awaitLine(BlockingQueue<String> q, String part)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> seen = new ArrayList<>();
    while (System.nanoTime() < end) {
      String l = q.poll(200, TimeUnit.MILLISECONDS);
      if (l != null) {
        seen.add(l);
        if (l.contains(part)) {
          return l;
        }
      }
    }
    throw new AssertionError("no line with '" + part + "' within 30 s; seen: " + seen);
  }

  @Test
  void tunnelPublishPortsBringsARemoteContainersPortToLocalhost() throws Exception {
    var host = lab().remoteDockerHost();
    List<String> cmd = ssh("tunnel", "--identity", lab().clientKey().toString(),
        "--known-hosts", host.knownHosts().toString(), host.destination(), "--remote-socket",
        host.docker().socket().toString(), "--publish-ports");
    Process p = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String id = null;
    try {
      var out = lines(p.getInputStream());
      var err = lines(p.getErrorStream());
      assertTrue(awaitLine(out, "DOCKER_HOST=").startsWith("DOCKER_HOST=unix://"));
      id = httpd(host.docker(), "published-through-the-cli");
      int port = publishedPort(host.docker(), id);
      String line = awaitLine(err, "at 127.0.0.1:" + port + " on ");
      int local = Integer.parseInt(line.replaceFirst(".*published port: /127\\.0\\.0\\.1:(\\d+).*",
          "$1"));
      assertTrue(HttpGet.root(new InetSocketAddress("127.0.0.1", local),
          Duration.ofSeconds(20)).contains("published-through-the-cli"), line);
      host.docker().cli(Duration.ofSeconds(30), "rm", "-f", id);
      id = null;
      awaitLine(err, "is gone");
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits on SIGTERM");
    } finally {
      p.destroyForcibly();
      if (id != null) {
        host.docker().cli(Duration.ofSeconds(30), "rm", "-f", id);
      }
    }
  }

  @Test
  void forwardIsSshDashLForAPortOnlyTheRemoteHostReaches() throws Exception {
    var host = lab().remoteDockerHost();
    String id = httpd(host.docker(), "forwarded-by-hand");
    try {
      int remote = publishedPort(host.docker(), id);
      List<String> cmd = ssh("forward", "--identity", lab().clientKey().toString(),
          "--known-hosts", host.knownHosts().toString(), host.destination(),
          "0:127.0.0.1:" + remote);
      Process p = new ProcessBuilder(cmd)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      try {
        String line = awaitLine(lines(p.getInputStream()), " -> 127.0.0.1:" + remote);
        int local = Integer.parseInt(line.substring("127.0.0.1:".length(), line.indexOf(' ')));
        assertTrue(HttpGet.root(new InetSocketAddress("127.0.0.1", local),
          Duration.ofSeconds(20)).contains("forwarded-by-hand"), line);
        p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits on SIGTERM");
      } finally {
        p.destroyForcibly();
      }
      Result bad = run(ssh("forward", host.destination(), "no-port-here"), null, Map.of());
      assertEquals(2, bad.code(), bad.err());
      assertTrue(bad.err().contains("[LOCAL:]HOST:PORT"), bad.err());
    } finally {
      host.docker().cli(Duration.ofSeconds(30), "rm", "-f", id);
    }
  }

  /** As under nohup, systemd, CI steps or `&`: stdin is /dev/null, and the tunnel must stay. */
  @Test
  void tunnelWithStdinAtDevNullKeepsRunning() throws Exception {
    Process p = new ProcessBuilder(command("tunnel", List.of(lab().destination(),
        "--remote-socket", lab().echo().socket().toString()), List.of()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    try {
      Path socket = printedSocket(p);
      Thread.sleep(3000);
      assertTrue(p.isAlive(), "the tunnel must not exit when stdin is /dev/null");
      try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        c.write(ByteBuffer.wrap(new byte[] {4, 5}));
        ByteBuffer back = ByteBuffer.allocate(2);
        while (back.hasRemaining() && c.read(back) >= 0) { }
        assertEquals(2, back.position(), "the printed socket works after 3 s");
      }
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits on SIGTERM");
      assertFalse(Files.exists(socket), "socket removed");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void tunnelEndsWhenStdinCloses() throws Exception {
    Result r = run(command("tunnel", List.of(lab().destination(), "--remote-socket",
        lab().echo().socket().toString()), List.of()), "", Map.of());
    assertEquals(0, r.code(), r.err());
    Path socket = Path.of(r.out().lines().findFirst().orElseThrow()
        .substring("DOCKER_HOST=unix://".length()));
    assertFalse(Files.exists(socket));
  }

  @Test
  void tunnelCommandModeReturnsTheCommandsExitCode() throws Exception {
    Result r = run(command("tunnel", List.of(lab().destination(), "--remote-socket",
        lab().echo().socket().toString()), List.of("sh", "-c",
        "test -S \"${DOCKER_HOST#unix://}\" && echo socket-ok && exit 7")), null, Map.of());
    assertEquals(7, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).startsWith("DOCKER_HOST=unix:///"), r.out());
    assertEquals("socket-ok", lines.get(1));
  }

  @Test
  void tunnelVariantsPrintTheRightVariable() throws Exception {
    Result tcp = run(command("tunnel", List.of(lab().destination(), "--tcp", "--remote-socket",
        lab().echo().socket().toString()), List.of()), "", Map.of());
    assertTrue(tcp.out().startsWith("DOCKER_HOST=tcp://127.0.0.1:"), tcp.out());
    Result env = run(command("tunnel", List.of(lab().destination(), "--print-env",
        "--remote-socket", lab().echo().socket().toString()), List.of()), "", Map.of());
    assertTrue(env.out().startsWith("export DOCKER_HOST=unix:///"), env.out());
    Result ctr = run(command("tunnel", List.of(lab().destination(), "--remote-socket",
        lab().containerd().socket().toString()), List.of()), "", Map.of());
    assertTrue(ctr.out().startsWith("CONTAINERD_ADDRESS=/"), ctr.out());
  }

  @Test
  void destinationComesFromDockerHostWhenOmitted() throws Exception {
    Result r = run(command("tunnel", List.of("--remote-socket", lab().echo().socket()
        .toString()), List.of()), "", Map.of("DOCKER_HOST", lab().destination()));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("DOCKER_HOST=unix:///"), r.out());
  }

  @Test
  void runStreamsOutputAndReturnsTheExitCode() throws Exception {
    Result r = run(command("run", List.of(lab().destination(), DockerDaemon.BUSYBOX, "--pull",
        "never", "--network", "none", "--remote-socket", lab().docker().socket().toString()),
        List.of("sh", "-c", "echo ran; echo oops >&2; exit 6")), null, Map.of());
    assertEquals(6, r.code(), r.err());
    assertEquals("ran\n", r.out());
    assertTrue(r.err().contains("oops"), r.err());
  }

  @Test
  void runPullsWithCredentialsAsTheDockerCliFindsThemOrAsGiven() throws Exception {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    List<String> before = List.of(lab().destination(), image, "--pull", "always", "--network",
        "none", "--remote-socket", lab().docker().socket().toString());
    List<String> after = List.of("echo", "pulled-and-ran");
    // no credentials anywhere: a typed refusal that says how to log in
    Path emptyConfig = Files.createDirectories(tmp.resolve("empty-docker-config"));
    Result refused = run(command("run", before, after), null,
        Map.of("DOCKER_CONFIG", emptyConfig.toString()));
    assertEquals(1, refused.code(), refused.err());
    assertTrue(refused.err().contains("[REGISTRY_AUTH_FAILED]"), refused.err());
    assertTrue(refused.err().contains("docker login " + r.address()), refused.err());
    // a credential helper named by the Docker config, found on PATH, as `docker pull` does
    Path config = Files.createDirectories(tmp.resolve("docker-config"));
    Path bin = Files.createDirectories(tmp.resolve("helpers"));
    Path helper = bin.resolve("docker-credential-sshccli");
    Files.writeString(helper, "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\","
        + "\"Username\":\"" + r.user() + "\",\"Secret\":\"" + r.password()
        + "\"}' \"$server\"\n");
    Files.setPosixFilePermissions(helper,
        PosixFilePermissions.fromString("rwx------"));
    Files.writeString(config.resolve("config.json"), "{\"credsStore\": \"sshccli\"}");
    Result viaHelper = run(command("run", before, after), null, Map.of("DOCKER_CONFIG",
        config.toString(), "PATH", bin + ":" + System.getenv("PATH")));
    assertEquals(0, viaHelper.code(), viaHelper.err());
    assertEquals("pulled-and-ran\n", viaHelper.out());
    // given on the command line, the password from a file; a wrong one is typed
    Path pw = Files.writeString(tmp.resolve("pw"), "not-the-password\n");
    List<String> explicit = new ArrayList<>(before);
    explicit.addAll(List.of("--registry-user", r.user(), "--registry-password-file",
        pw.toString()));
    Result wrong = run(command("run", explicit, after), null,
        Map.of("DOCKER_CONFIG", emptyConfig.toString()));
    assertEquals(1, wrong.code(), wrong.err());
    assertTrue(wrong.err().contains("[REGISTRY_AUTH_FAILED]"), wrong.err());
    assertTrue(wrong.err().contains("user " + r.user()), wrong.err());
    assertFalse(wrong.err().contains("not-the-password"), wrong.err());
    Files.writeString(pw, r.password() + "\n");
    Result right = run(command("run", explicit, after), null,
        Map.of("DOCKER_CONFIG", emptyConfig.toString()));
    assertEquals(0, right.code(), right.err());
    assertEquals("pulled-and-ran\n", right.out());
  }

  @Test
  void execRunsInARunningContainerWithStdin() throws Exception {
    String id = lab().docker().cli(Duration.ofSeconds(60), "run", "-d", "--network",
        "none", DockerDaemon.BUSYBOX, "sleep", "300").trim();
    try {
      Result r = run(command("exec", List.of("-i", lab().destination(), id, "--remote-socket",
          lab().docker().socket().toString()), List.of("sh", "-c", "wc -c; exit 4")),
          "12345", Map.of());
      assertEquals(4, r.code(), r.err());
      assertEquals("5", r.out().trim());
    } finally {
      lab().docker().cli(Duration.ofSeconds(60), "rm", "-f", id);
    }
  }

  @Test
  void ctrImportsRunsAndLists() throws Exception {
    List<String> sock = List.of("--remote-socket", lab().containerd().socket().toString(),
        "-n", "sshc-cli");
    Result version = run(command("ctr", concat(List.of(lab().destination(), "version"), sock),
        List.of()), null, Map.of());
    assertEquals(0, version.code(), version.err());
    assertTrue(version.out().startsWith("1."), version.out());
    Result imported = run(command("ctr", concat(List.of(lab().destination(), "import",
        lab().busyboxTar().toString()), sock), List.of()), null, Map.of());
    assertEquals(0, imported.code(), imported.err());
    assertTrue(imported.out().startsWith("docker.io/sshc-lab/busybox:1\tsha256:"),
        imported.out());
    assertTrue(imported.err().contains("MiB/s"), "progress shown: " + imported.err());
    Result images = run(command("ctr", concat(List.of(lab().destination(), "images"), sock),
        List.of()), null, Map.of());
    assertTrue(images.out().contains("docker.io/sshc-lab/busybox:1"), images.out());
    Result ran = run(command("ctr", concat(List.of(lab().destination(), "run",
        "docker.io/sshc-lab/busybox:1"), sock), List.of("sh", "-c", "echo in-ctr; exit 2")),
        null, Map.of());
    assertEquals(2, ran.code(), ran.err());
    assertEquals("in-ctr\n", ran.out());
    // -i: stdin to its end, output streamed, the task's exit status
    Result interactive = run(command("ctr", concat(List.of(lab().destination(), "run", "-i",
        "docker.io/sshc-lab/busybox:1"), sock), List.of("sh", "-c",
        "read x; echo got-$x; echo err-$x >&2; exit 4")), "hello\n", Map.of());
    assertEquals(4, interactive.code(), interactive.err());
    assertEquals("got-hello\n", interactive.out());
    assertTrue(interactive.err().contains("err-hello"), interactive.err());
  }

  @Test
  void ctrPullsFromAPrivateRegistryWithProgress() throws Exception {
    Registry r = lab().privateRegistry();
    List<String> sock = List.of("--remote-socket", lab().containerd().socket().toString(),
        "-n", "sshc-cli-pull");
    String ref = r.address() + "/" + Lab.REGISTRY_IMAGE;
    Path noConfig = Files.createDirectories(tmp.resolve("no-docker-config"));
    Result refused = run(command("ctr", concat(List.of(lab().destination(), "pull", ref),
        sock), List.of()), null, Map.of("DOCKER_CONFIG", noConfig.toString()));
    assertEquals(1, refused.code(), refused.out());
    assertTrue(refused.err().contains("[UNAUTHORIZED]"), refused.err());
    Path pw = Files.writeString(tmp.resolve("registry-pw"), r.password() + "\n");
    Result pulled = run(command("ctr", concat(List.of(lab().destination(), "pull", ref,
        "--user", r.user(), "--password-file", pw.toString()), sock), List.of()), null,
        Map.of());
    assertEquals(0, pulled.code(), pulled.err());
    assertTrue(pulled.out().startsWith(ref + "\tsha256:"), pulled.out());
    assertTrue(pulled.err().contains("layer 1/1") && pulled.err().contains("MiB"),
        "progress: " + pulled.err());
    Result ran = run(command("ctr", concat(List.of(lab().destination(), "run", ref), sock),
        List.of("sh", "-c", "wc -c < /big.bin")), null, Map.of());
    assertEquals(0, ran.code(), ran.err());
    assertEquals(String.valueOf(2 << 20), ran.out().trim());
  }

  @Test
  void ctrExecTasksAndContainers() throws Exception {
    List<String> sock = List.of("--remote-socket", lab().containerd().socket().toString(),
        "-n", "sshc-cli-exec");
    Result imported = run(command("ctr", concat(List.of(lab().destination(), "import",
        lab().busyboxTar().toString()), sock), List.of()), null, Map.of());
    assertEquals(0, imported.code(), imported.err());
    // a long task, run by the CLI itself in the background
    Process task = new ProcessBuilder(command("ctr", concat(List.of(lab().destination(), "run",
        "docker.io/sshc-lab/busybox:1"), sock), List.of("sh", "-c",
        "echo task-up; exec sleep 300")))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    try {
      var out = lines(task.getInputStream());
      awaitLine(out, "task-up");
      Result ls = run(command("ctr", concat(List.of(lab().destination(), "tasks", "ls"),
          sock), List.of()), null, Map.of());
      assertEquals(0, ls.code(), ls.err());
      String line = ls.out().lines().filter(l -> l.startsWith("sshc-")).findFirst()
          .orElseThrow(() -> new AssertionError(ls.out()));
      String id = line.split("\t")[0];
      assertTrue(line.toLowerCase().contains("running"), line);
      Result exec = run(command("ctr", concat(List.of(lab().destination(), "exec", "-i", id),
          sock), List.of("sh", "-c", "read x; echo exec-$x; exit 3")), "in\n", Map.of());
      assertEquals(3, exec.code(), exec.err());
      assertEquals("exec-in\n", exec.out());
      Result containers = run(command("ctr", concat(List.of(lab().destination(),
          "containers", "ls"), sock), List.of()), null, Map.of());
      assertTrue(containers.out().contains(id + "\tdocker.io/sshc-lab/busybox:1"),
          containers.out());
      Result kill = run(command("ctr", concat(List.of(lab().destination(), "tasks", "kill",
          id, "--signal", "9"), sock), List.of()), null, Map.of());
      assertEquals(0, kill.code(), kill.err());
      assertTrue(task.waitFor(60, TimeUnit.SECONDS), "the run ends when its task is killed");
      assertEquals(137, task.exitValue());
      Result after = run(command("ctr", concat(List.of(lab().destination(), "containers",
          "ls"), sock), List.of()), null, Map.of());
      assertFalse(after.out().contains(id), "run removed its container: " + after.out());
    } finally {
      task.destroyForcibly();
    }
  }

  @Test
  void anErrorIsOneClearLineAndANonZeroExit() throws Exception {
    Path empty = Files.createFile(tmp.resolve("known_hosts"));
    List<String> cmd = ssh("tunnel", "--identity", lab().clientKey().toString(),
        "--known-hosts", empty.toString(), lab().destination());
    Result r = run(cmd, "", Map.of());
    assertEquals(1, r.code());
    List<String> lines = r.err().lines().toList();
    assertTrue(lines.get(0).startsWith("ssh-container: error: [HOST_KEY_UNKNOWN] "), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    Result usage = run(ssh("exec", "only-one-word"), null, Map.of());
    assertEquals(2, usage.code(), usage.err());
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> c = new ArrayList<>(a);
    c.addAll(b);
    return c;
  }

  /** The launcher on a machine with only a JRE: it says what to install, or runs a given jar. */
  @Test
  void launcherWithoutMavenSaysWhatToInstallAndRunsAGivenJar() throws Exception {
    Path checkout = Files.createDirectories(tmp.resolve("co/bin"));
    Files.copy(Path.of("../bin/ssh-container"), checkout.resolve("ssh-container"));
    checkout.resolve("ssh-container").toFile().setExecutable(true);
    Files.writeString(tmp.resolve("co/pom.xml"), "<project/>");
    Path jreOnly = Files.createDirectories(tmp.resolve("jre-only"));
    for (String tool : new String[] {"bash", "dirname", "readlink", "env"}) {
      Files.createSymbolicLink(jreOnly.resolve(tool), Path.of("/usr/bin", tool));
    }
    Files.createSymbolicLink(jreOnly.resolve("java"), Path.of(javaBin()));
    String launcher = checkout.resolve("ssh-container").toString();
    Result noMaven = run(List.of(launcher, "--help"), null, Map.of("PATH", jreOnly.toString()));
    assertEquals(127, noMaven.code(), noMaven.err());
    assertTrue(noMaven.err().contains("apt-get install maven"), noMaven.err());
    Result given = run(List.of(launcher, "--version"), null, Map.of("PATH", jreOnly.toString(),
        "SSH_CONTAINER_JAR", JAR.toAbsolutePath().toString()));
    assertEquals(0, given.code(), given.err());
    assertTrue(given.out().startsWith("ssh-container "), given.out());
  }

  /** The archive users download, unpacked in a clean directory with only a JRE on PATH. */
  @Test
  void theDistributionArchiveRunsWithOnlyAJre() throws Exception {
    Path archive;
    try (var files = Files.list(Path.of("target"))) {
      archive = files.filter(f -> f.getFileName().toString().matches(
          "ssh-container-.*\\.tar\\.gz")).findFirst().orElseThrow(
              () -> new AssertionError("no ssh-container-VERSION.tar.gz in target/"));
    }
    Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
    Result untar = run(List.of("tar", "-xzf", archive.toAbsolutePath().toString(), "-C",
        unpacked.toString()), null, Map.of());
    assertEquals(0, untar.code(), untar.err());
    Path home;
    try (var dirs = Files.list(unpacked)) {
      home = dirs.findFirst().orElseThrow();
    }
    for (String f : List.of("bin/ssh-container", "lib/ssh-container.jar", "README.md",
        "README-zh-CN.md", "LICENSE", "CHANGELOG.md")) {
      assertTrue(Files.exists(home.resolve(f)), f + " is in the archive");
    }
    // every docs/ page the source tree has, so the READMEs' links work in the unpacked archive
    Path docs = Path.of("..", "docs");
    try (var pages = Files.walk(docs)) {
      for (Path page : pages.filter(p -> p.toString().endsWith(".md")).toList()) {
        Path inArchive = home.resolve("docs").resolve(docs.relativize(page).toString());
        assertTrue(Files.exists(inArchive), inArchive + " is in the archive");
      }
    }
    assertTrue(Files.exists(home.resolve("docs/zh-CN/gateway.md")), "the docs' Chinese pages");
    Path jreOnly = Files.createDirectories(tmp.resolve("jre-only-dist"));
    for (String tool : new String[] {"bash", "dirname", "readlink", "env"}) {
      Files.createSymbolicLink(jreOnly.resolve(tool), Path.of("/usr/bin", tool));
    }
    Files.createSymbolicLink(jreOnly.resolve("java"), Path.of(javaBin()));
    Map<String, String> env = Map.of("PATH", jreOnly.toString());
    String launcher = home.resolve("bin/ssh-container").toString();
    Result help = run(List.of(launcher, "--help"), null, env);
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().startsWith("Usage: ssh-container"), help.out());
    List<String> tunnel = new ArrayList<>(List.of(launcher, "tunnel"));
    tunnel.addAll(auth());
    tunnel.addAll(List.of(lab().destination(), "--remote-socket",
        lab().echo().socket().toString(), "--", "env"));
    Result roundTrip = run(tunnel, null, env);
    assertEquals(0, roundTrip.code(), roundTrip.err());
    assertTrue(roundTrip.out().startsWith("DOCKER_HOST=unix://"), roundTrip.out());
    assertEquals(2, roundTrip.out().lines().filter(l -> l.startsWith("DOCKER_HOST=unix://"))
        .count(), "printed, and set for the command: " + roundTrip.out());
  }

  @Test
  void helpWorksEverywhere() throws Exception {
    for (String sub : new String[] {"tunnel", "forward", "exec", "run", "ctr"}) {
      Result r = run(ssh(sub, "--help"), null, Map.of());
      assertEquals(0, r.code(), sub);
      assertTrue(r.out().startsWith("Usage: ssh-container " + sub), r.out());
    }
    Result version = run(ssh("--version"), null, Map.of());
    assertEquals(0, version.code());
    assertTrue(version.out().trim().matches("ssh-container \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"),
        "the version from the jar's manifest: " + version.out());
    // the command list shows each description's first line: it must say what the command does
    Result top = run(ssh("--help"), null, Map.of());
    assertEquals(0, top.code());
    for (String line : top.out().lines().toList()) {
      if (line.matches("\\s+\\w+\\s{2,}\\S.*")) {
        assertTrue(line.trim().length() > 20 && !line.trim().endsWith(":"),
            "a cut description in the command list: '" + line + "'");
      }
    }
    assertTrue(top.out().matches("(?s).*ctr\\s+containerd on the remote host: version.*"),
        top.out());
    assertTrue(top.out().matches("(?s).*forward\\s+Forward local TCP ports over SSH.*"),
        top.out());
  }

}
