package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.lab.DockerCli;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Sshd;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up}, {@code down} and {@code ls} as real processes, with the Docker CLI using the
 * context {@code up} writes; state and Docker config in temporary directories.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class UpTest {
  private static final Path JAR = Path.of("target/ssh-container.jar").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private Path state;
  private Path dockerConfig;
  private final List<String> names = new ArrayList<>();

  record Result(int code, String out, String err) {}

  private static Lab lab() {
    return Lab.shared();
  }

  @BeforeEach
  void dirs() throws Exception {
    state = Files.createDirectories(tmp.resolve("state"));
    dockerConfig = Files.createDirectories(tmp.resolve("docker-config"));
  }

  @AfterEach
  void downAll() throws Exception {
    for (String name : names) {
      run(List.of("down", name));
    }
  }

  private Map<String, String> env() {
    return Map.of("SSH_CONTAINER_STATE_DIR", state.toString(), "DOCKER_CONFIG",
        dockerConfig.toString());
  }

  private Result run(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString()));
    cmd.addAll(args);
    return exec(cmd);
  }

  private Result exec(List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().remove("DOCKER_HOST");
    pb.environment().remove("DOCKER_CONTEXT");
    pb.environment().putAll(env());
    Path out = Files.createTempFile(tmp, "out", "");
    Path err = Files.createTempFile(tmp, "err", "");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "ended: " + cmd);
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Runs Debian's docker CLI, the one a user of this project has. */
  private Result docker(String... args) throws Exception {
    return docker(DockerCli.debian(), args);
  }

  private Result docker(DockerCli cli, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(cli.path().toString()));
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  private List<String> up(String name, Sshd sshd, Path knownHosts, String... more) {
    names.add(name);
    List<String> args = new ArrayList<>(List.of("up", name,
        "ssh://" + lab().user() + "@127.0.0.1:" + sshd.port(), "--identity",
        lab().clientKey().toString(), "--known-hosts", knownHosts.toString(),
        "--remote-socket", lab().docker().socket().toString()));
    args.addAll(List.of(more));
    return args;
  }

  private JsonNode stateOf(String name) throws Exception {
    return JSON.readTree(state.resolve(name + ".json").toFile());
  }

  private Path contextMeta(String name) throws Exception {
    return dockerConfig.resolve("contexts/meta").resolve(HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8))))
        .resolve("meta.json");
  }

  private Path knownHosts(Sshd sshd) throws Exception {
    return Files.writeString(tmp.resolve("kh-" + sshd.port()),
        Keys.knownHostsLine(lab().hostKey(), sshd.port()) + "\n");
  }

  @Test
  void upThenTheDockerCliUsesItsContextAndDownLeavesNothing() throws Exception {
    Sshd sshd = lab().sshd();
    // started by a shell that exits at once: the tunnel must outlive it
    List<String> upArgs = up("labctx", sshd, lab().knownHosts(), "--use");
    StringBuilder line = new StringBuilder("'" + Path.of(System.getProperty("java.home"),
        "bin", "java") + "' -jar '" + JAR + "'");
    for (String a : upArgs) {
      line.append(" '").append(a).append("'");
    }
    Result up = exec(List.of("sh", "-c", line.toString()));
    assertEquals(0, up.code(), up.err());
    assertTrue(up.out().contains("labctx is up: unix://" + state.resolve("labctx.sock")),
        up.out());
    long pid = stateOf("labctx").path("pid").asLong();
    ProcessHandle tunnel = ProcessHandle.of(pid).orElseThrow();
    assertTrue(tunnel.isAlive(), "the tunnel outlives the shell that started it");
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(state.resolve("labctx.sock"))));
    assertEquals("rwx------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(state)));

    Result version = docker("--context", "labctx", "version", "--format",
        "{{.Server.Version}}");
    assertEquals(0, version.code(), version.err());
    assertFalse(version.out().isBlank());
    Result current = docker("version", "--format", "{{.Server.Version}}");
    assertEquals(version.out(), current.out(), "--use made it the current context");
    Result ran = docker("--context", "labctx", "run", "--rm", "--network", "none",
        DockerDaemon.BUSYBOX, "echo", "through-the-kept-tunnel");
    assertEquals(0, ran.code(), ran.err());
    assertEquals("through-the-kept-tunnel\n", ran.out());

    Result ls = run(List.of("ls", "--json"));
    JsonNode row = JSON.readTree(ls.out()).get(0);
    assertEquals("labctx", row.path("name").asText());
    assertEquals("up", row.path("state").asText());
    assertEquals(lab().docker().socket().toString(), row.path("remoteSocket").asText());
    Result table = run(List.of("ls"));
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith("labctx") && l.contains(" up ")),
        table.out());

    Result down = run(List.of("down", "labctx"));
    assertEquals(0, down.code(), down.err());
    assertTrue(down.out().contains("Docker context labctx removed"), down.out());
    assertTrue(tunnel.onExit().get(20, TimeUnit.SECONDS) != null);
    assertFalse(tunnel.isAlive(), "no process");
    for (String f : List.of("labctx.sock", "labctx.lock", "labctx.json")) {
      assertFalse(Files.exists(state.resolve(f)), f + " removed");
    }
    assertFalse(Files.exists(contextMeta("labctx")), "the context it created is removed");
    assertFalse(Files.readString(dockerConfig.resolve("config.json")).contains("labctx"),
        "and is no longer the current one");
  }

  @Test
  void upContainerdKeepsContainerdsSocketForCtr() throws Exception {
    names.add("ctd");
    Result up = run(List.of("up", "ctd", lab().destination(), "--containerd", "--identity",
        lab().clientKey().toString(), "--known-hosts", lab().knownHosts().toString(),
        "--remote-socket", lab().containerd().socket().toString()));
    assertEquals(0, up.code(), up.err());
    assertTrue(up.out().contains("ctr --address " + state.resolve("ctd.sock")), up.out());
    Result ctr = exec(List.of("ctr", "--address", state.resolve("ctd.sock").toString(),
        "version"));
    assertEquals(0, ctr.code(), ctr.err());
    assertTrue(ctr.out().contains("Server:"), ctr.out());
    assertFalse(Files.exists(contextMeta("ctd")), "no Docker context for containerd");
    assertEquals("containerd", stateOf("ctd").path("kind").asText());
  }

  /**
   * The systemd user unit of docs/cli.md, run as systemd runs it: ExecStart in the foreground,
   * then ExecStop; the lab's key options are appended to the commands.
   */
  @Test
  void theDocumentedSystemdUnitStartsAndStops() throws Exception {
    String page = Files.readString(Path.of("../docs/cli.md"));
    String unit = page.substring(page.indexOf("# ~/.config/systemd/user/"));
    unit = unit.substring(0, unit.indexOf("```"));
    assertTrue(Files.readString(Path.of("../docs/zh-CN/cli.md")).contains(unit.strip()),
        "the Chinese page shows the same unit");
    String start = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst()
        .orElseThrow().substring("ExecStart=".length());
    String stop = unit.lines().filter(l -> l.startsWith("ExecStop=")).findFirst()
        .orElseThrow().substring("ExecStop=".length());
    String launcher = "'" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -jar '"
        + JAR + "'";
    String labOptions = " --identity '" + lab().clientKey() + "' --known-hosts '"
        + lab().knownHosts() + "' --remote-socket '" + lab().docker().socket() + "'";
    String startCmd = start.replace("%h/bin/ssh-container", launcher)
        .replace("ssh://me@build-host", lab().destination()) + labOptions;
    names.add("build");
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", "exec " + startCmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(tmp.resolve("unit.log").toFile());
    pb.environment().remove("DOCKER_HOST");
    pb.environment().putAll(env());
    Process service = pb.start();
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Result version = null;
      while (System.nanoTime() < end && (version == null || version.code() != 0)) {
        Thread.sleep(200);
        assertTrue(service.isAlive(), Files.readString(tmp.resolve("unit.log")));
        version = docker("--context", "build", "version", "--format", "{{.Server.Version}}");
      }
      assertEquals(0, version.code(), version.err());
      Result stopped = exec(List.of("sh", "-c", stop.replace("%h/bin/ssh-container",
          launcher)));
      assertEquals(0, stopped.code(), stopped.err());
      assertTrue(service.waitFor(30, TimeUnit.SECONDS), "the service process ended");
      assertFalse(Files.exists(state.resolve("build.sock")));
    } finally {
      service.destroyForcibly();
    }
  }

  @Test
  void upTwiceKeepsTheFirstAndAKilledOneIsRecovered() throws Exception {
    Sshd sshd = lab().sshd();
    Result first = run(up("twice", sshd, lab().knownHosts()));
    assertEquals(0, first.code(), first.err());
    long pid = stateOf("twice").path("pid").asLong();
    Result second = run(up("twice", sshd, lab().knownHosts()));
    assertEquals(0, second.code(), second.err());
    assertTrue(second.out().contains("twice is up already (pid " + pid + ")"), second.out());
    assertEquals(pid, stateOf("twice").path("pid").asLong());

    ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9: lock, socket left behind
    ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
    assertTrue(Files.exists(state.resolve("twice.sock")), "a stale socket is left");
    Result ls = run(List.of("ls", "--json"));
    assertEquals("down", JSON.readTree(ls.out()).get(0).path("state").asText());
    Result again = run(up("twice", sshd, lab().knownHosts()));
    assertEquals(0, again.code(), again.err());
    assertNotEquals(pid, stateOf("twice").path("pid").asLong());
    Result version = docker("--context", "twice", "version", "--format",
        "{{.Server.Version}}");
    assertEquals(0, version.code(), version.err());
  }

  @Test
  void upAgainstAStoppedSshdFailsClearlyAndLeavesNothingRunning() throws Exception {
    Sshd stopped = lab().startSshd("up-stopped-" + System.nanoTime(), lab().hostKey(),
        List.of());
    Path kh = knownHosts(stopped);
    stopped.close();
    long start = System.nanoTime();
    Result up = run(up("nohost", stopped, kh, "--connect-timeout", "3"));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertEquals(1, up.code(), up.out());
    assertTrue(up.err().contains("[CANNOT_CONNECT]"), up.err());
    assertTrue(up.err().contains("127.0.0.1:" + stopped.port()), up.err());
    assertTrue(seconds < 60, "failed after " + seconds + " s");
    assertFalse(Files.exists(state.resolve("nohost.sock")));
    assertFalse(Files.exists(state.resolve("nohost.json")));
  }

  @Test
  void anSshdRestartWhileUpDoesNotBreakTheNextDockerCommand() throws Exception {
    try (Sshd own = lab().startSshd("up-restart-" + System.nanoTime(), lab().hostKey(),
        List.of())) {
      Result up = run(up("restart", own, knownHosts(own)));
      assertEquals(0, up.code(), up.err());
      assertEquals(0, docker("--context", "restart", "version").code());
      own.restart();
      Result after = docker("--context", "restart", "version", "--format",
          "{{.Server.Version}}");
      assertEquals(0, after.code(), "the next docker command works: " + after.err());
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (stateOf("restart").path("reconnects").asInt() == 0 && System.nanoTime() < end) {
        Thread.sleep(200);
      }
      assertEquals(1, stateOf("restart").path("reconnects").asInt(), "it reconnected");
    }
  }

  /**
   * Each Docker CLI on the machine (Debian's 20.10 pings first, then asks: two connections per
   * command; newer ones fewer), against a host that went away: a command fails within the
   * connect timeout (3 s) + 2 s, not a timeout per connection, and works once the host is back.
   */
  @Test
  void whileTheHostIsUnreachableDockerFailsPromptlyAndWorksWhenItIsBack() throws Exception {
    List<DockerCli> clis = DockerCli.onThisMachine();
    try (Sshd own = lab().startSshd("up-gone-" + System.nanoTime(), lab().hostKey(),
        List.of())) {
      Result up = run(up("gone", own, knownHosts(own), "--connect-timeout", "3"));
      assertEquals(0, up.code(), up.err());
      own.close(); // the host goes away and stays away
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!run(List.of("ls", "--json")).out().contains("\"reconnecting\"")
          && System.nanoTime() < end) {
        Thread.sleep(200);
      }
      assertTrue(run(List.of("ls")).out().contains("reconnecting"));
      for (DockerCli cli : clis) {
        for (int i = 0; i < 2; i++) { // the first command of the outage, and a later one
          long start = System.nanoTime();
          Result failed = docker(cli, "--context", "gone", "version", "--format",
              "{{.Server.Version}}");
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          assertNotEquals(0, failed.code(), cli + ": no daemon to answer");
          assertTrue(ms < 3000 + 2000, cli + ": a prompt error, within the connect timeout "
              + "(3 s) + 2 s, not a hang: " + ms + " ms");
          System.out.printf("FIGURES up outage: %s failed in %d ms%n", cli, ms);
        }
      }
      own.restart(); // back on the same port
      for (DockerCli cli : clis) {
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result back = null;
        while (System.nanoTime() < end && (back == null || back.code() != 0)) {
          Thread.sleep(500);
          back = docker(cli, "--context", "gone", "version", "--format",
              "{{.Server.Version}}");
        }
        assertEquals(0, back.code(), cli + ": the tunnel kept retrying: " + back.err());
      }
    }
  }
}
