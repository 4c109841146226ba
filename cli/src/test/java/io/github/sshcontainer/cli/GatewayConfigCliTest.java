package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.ReadmeSnippets;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ssh-container gateway --config FILE} as a real process with stdin at /dev/null: the
 * docs' example file serves a login, a flag wins over the file, Docker's own settings reach the
 * container, every bad file is one line with exit code 2 and no listener, and {@code
 * --check-config} prints the configuration in force with its secrets redacted.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayConfigCliTest {
  private static final Path JAR = Path.of("target/ssh-container.jar").toAbsolutePath();
  private static final Path EXAMPLE = Path.of("../docs/gateway-config.example.yaml");
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private static Lab lab() {
    return Lab.shared();
  }

  private record Exited(int code, String out, String err) {}

  private List<String> java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", JAR.toString(), "gateway"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs the gateway with {@code args}, expecting it to end by itself within a minute. */
  private Exited exits(String... args) throws Exception {
    Path out = tmp.resolve("out-" + System.nanoTime());
    Path err = tmp.resolve("err-" + System.nanoTime());
    Process p = new ProcessBuilder(java(args)).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("still running after 60 s (it listens?): "
          + Files.readString(out) + Files.readString(err));
    }
    return new Exited(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The example with {@code key: value} set for each entry (uncommented where commented). */
  private static String example(Map<String, String> values) throws Exception {
    String text = Files.readString(EXAMPLE);
    for (Map.Entry<String, String> e : values.entrySet()) {
      Matcher m = Pattern.compile("(?m)^(# )?" + Pattern.quote(e.getKey()) + ":.*$")
          .matcher(text);
      assertTrue(m.find(), "the example has the key " + e.getKey());
      text = m.replaceFirst(Matcher.quoteReplacement(e.getKey() + ": " + e.getValue()));
    }
    return text;
  }

  /** The example, made to run here: the lab's image, files, and Docker host over SSH. */
  private Map<String, String> runnable(Path hostKey, Path authorized) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("listen", "127.0.0.1:0");
    v.put("image", DockerDaemon.BUSYBOX);
    v.put("pull", "never");
    v.put("host-key", hostKey.toString());
    v.put("authorized-keys", authorized.toString());
    v.put("stop-timeout", "2s");
    v.put("identity", lab().clientKey().toString());
    v.put("known-hosts", lab().knownHosts().toString());
    v.put("remote-socket", lab().docker().socket().toString());
    return v;
  }

  @Test
  void theExampleFileHasEveryKeyOfTheCommand() throws Exception {
    String text = Files.readString(EXAMPLE);
    List<String> missing = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : new CommandLine(new GatewayCommand()).getCommandSpec()
        .options()) {
      String key = o.longestName().substring(2);
      if (!List.of("config", "check-config", "help", "version", "verbose").contains(key)
          && !Pattern.compile("(?m)^(# )?" + Pattern.quote(key) + ":").matcher(text).find()) {
        missing.add(key);
      }
    }
    assertEquals(List.of(), missing, "keys of ssh-container gateway that " + EXAMPLE
        + " leaves out (add each, commented out if it has no sensible example value)");
  }

  /** The example's web keys are what docs/web-terminal.md (and its Chinese page) show. */
  @Test
  void theWebTerminalPagesShowTheExamplesWebKeys() {
    ReadmeSnippets.assertShown(EXAMPLE, "web-terminal", Path.of(".."));
  }

  @Test
  void theExampleFileServesALoginAFlagWinsAndDockerSettingsReachTheContainer()
      throws Exception {
    Path hostKey = tmp.resolve("host_key");
    Path authorized = Files.copy(Path.of(lab().clientKey() + ".pub"),
        tmp.resolve("authorized_keys"));
    Path file = Files.writeString(tmp.resolve("gateway.yaml"), example(runnable(hostKey,
        authorized)));
    // the file lets LANG and LC_* pass; the flag replaces that list with FROM_FLAG alone
    List<String> cmd = java(lab().destination(), "--config", file.toString(), "--env-allow",
        "FROM_FLAG");
    Path err = tmp.resolve("gateway.err");
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectError(err.toFile()).start();
    try (DockerClient docker = SshDocker.connect(TunnelOptions.builder(lab().destination())
        .identityFile(lab().clientKey()).knownHosts(lab().knownHosts()).noSshConfig()
        .useAgent(false).remoteSocket(lab().docker().socket().toString()).build())) {
      String first = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8)).readLine();
      assertTrue(first != null && first.startsWith("listening on 127.0.0.1:"), "first line: "
          + first + " " + Files.readString(err));
      int port = Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
      Path kh = Files.writeString(tmp.resolve("kh"), Keys.knownHostsLine(hostKey, port) + "\n");
      OpenSshClient c = new OpenSshClient(lab().clientKey(), kh, port, "config-user");

      OpenSshClient.Result r = c.ssh("echo \"[$LANG|$FROM_FLAG]\"; grep registry.internal "
          + "/etc/hosts; ulimit -n", null, SOON, "-o", "SetEnv=LANG=C.UTF-8 FROM_FLAG=flag");
      assertEquals(0, r.code(), r.err() + Files.readString(err));
      assertEquals("[|flag]\n10.1.2.3\tregistry.internal\n4096\n", r.out(),
          "LANG refused (the flag's list won), FROM_FLAG passed; docker.host's ExtraHosts and "
              + "Ulimits in the container");

      // a label of docker.config on the login's container, beside ssh-container's own
      Path held = tmp.resolve("held");
      Process session = c.start(c.ssh(List.of(), "echo held; sleep 600"), held);
      try {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(held).contains("held")) {
          assertTrue(System.nanoTime() < end, "the session started: " + Files.readString(held));
          Thread.sleep(50);
        }
        List<Container> mine = docker.listContainersCmd().withLabelFilter(Map.of(
            "io.github.sshcontainer.gateway.user", "config-user")).exec();
        assertEquals(1, mine.size(), "the login's container");
        Map<String, String> labels = docker.inspectContainerCmd(mine.get(0).getId()).exec()
            .getConfig().getLabels();
        assertEquals("platform", labels.get("team"), labels.toString());
        assertEquals("true", labels.get(OnDemandContainer.MANAGED_LABEL), labels.toString());
      } finally {
        session.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ends on SIGTERM");
    }
    assertEquals(0, p.exitValue(), Files.readString(err));
  }

  @Test
  void eachBadFileIsOneLineNamingFileLineAndKeyWithExitCode2AndNothingListening()
      throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("image: busybox\nmax-conections: 5\n",
        ":2: unknown key 'max-conections'; did you mean max-connections?");
    cases.put("image: busybox\n\nmax-connections: many\n",
        ":3: key 'max-connections': expected a whole number, got 'many'");
    cases.put("image: [busybox, alpine]\n", ":1: key 'image': expected a single value, got a list");
    cases.put("image: busybox\nidle-timeout: 10x\n", ":2: key 'idle-timeout': expected a "
        + "duration such as 10s, 2m, 1h or 500ms (a bare number is seconds), got '10x'");
    cases.put("image: busybox\nmemory: 512q\n",
        ":2: key 'memory': expected a size such as 536870912, 512m or 2g, got '512q'");
    cases.put("image: busybox\nenv-allow: [LANG\nmode: session\n", ":3: not valid YAML: ");
    cases.put("image: busybox\ndocker:\n  host:\n    Ulimitz: []\n", ":4: key "
        + "'docker.host.Ulimitz': HostConfig.Ulimitz is not a field of the Engine API's "
        + "HostConfig");
    cases.put("image: busybox\ndocker:\n  host:\n    Ulimits:\n      - Name: nofile\n"
        + "        Soft: many\n", ":6: key 'docker.host.Ulimits[0].Soft': "
        + "HostConfig.Ulimits[0].Soft: ");
    cases.put("image: busybox\nauthorized-keys: /dev/null\nmode: sesion\n",
        ":3: key 'mode': --mode takes connection, session or user, got sesion");
    cases.put("image: busybox\nauthorized-keys: /dev/null\nmode: user\nwarm: 2\n",
        ":4: key 'warm': --warm is for --mode connection: mode user makes its containers as it "
            + "needs them; drop --warm, or use connection mode");
    cases.put("image: busybox\nauthorized-keys: /dev/null\nuser-idle-timeout: 0s\n",
        ":3: key 'user-idle-timeout': --user-idle-timeout must be more than 0, got 0s");
    // match blocks: every block checked, and its options made, before anything starts
    cases.put("image: busybox\nmatch: {user: alice}\n",
        ":2: key 'match': expected a list of blocks (- user: alice …), got a map");
    cases.put("image: busybox\nmatch:\n  - user: alice\n    imagee: x\n",
        ":4: unknown key 'match[1].imagee'; did you mean image?");
    cases.put("image: busybox\nmatch:\n  - user: alice\n    listen: 0.0.0.0:22\n",
        ":4: key 'match[1].listen' is not a container key: only these may differ per login: "
            + "image, env, memory, ");
    cases.put("image: busybox\nmatch:\n  - user: alice\n  - user: bob\n    memory: 512q\n",
        ":5: key 'match[2].memory': expected a size such as 536870912, 512m or 2g, got '512q'");
    cases.put("image: busybox\nauthorized-keys: /dev/null\nmatch:\n  - user: alice\n"
        + "    mode: sesion\n", ":5: key 'match[1].mode': --mode takes connection, session or "
        + "user, got sesion");
    cases.put("image: busybox\nmatch:\n  - image: other\n", ":3: key 'match[1]': no "
        + "criterion: give user, principal or key-id (user: \"*\" for every login)");
    cases.put("image: busybox\nmatch:\n  - user: \"!root\"\n", ":3: key 'match[1].user': "
        + "'!root' holds only negations, which match nothing (as in sshd); add what they are "
        + "taken from, such as *,!root");
    cases.put("image: busybox\nmatch:\n  - key-id: ci-*\n    docker:\n      host:\n"
        + "        Ulimitz: []\n", ":6: key 'match[1].docker.host.Ulimitz': HostConfig.Ulimitz "
        + "is not a field of the Engine API's HostConfig");
    int n = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path file = Files.writeString(tmp.resolve("bad-" + n++ + ".yaml"), c.getKey());
      Exited e = exits("--config", file.toString(), "--listen", "127.0.0.1:0");
      String expected = "ssh-container: error: " + file + c.getValue();
      assertEquals(2, e.code(), c.getKey() + " → " + e.err());
      assertEquals("", e.out(), "nothing listened: " + c.getKey());
      assertEquals(1, e.err().lines().count(), "one line: " + e.err());
      assertTrue(e.err().startsWith(expected), "expected " + expected + "…, got " + e.err());
    }
    Path missing = tmp.resolve("absent.yaml");
    Exited e = exits("--config", missing.toString());
    assertEquals(2, e.code(), e.err());
    assertEquals("", e.out());
    assertEquals("ssh-container: error: " + missing + ": no such configuration file\n",
        e.err());
  }

  @Test
  void checkConfigPrintsTheConfigurationInForceWithSecretsRedactedAndConnectsToNothing()
      throws Exception {
    Map<String, String> v = runnable(tmp.resolve("host_key"), tmp.resolve("authorized_keys"));
    v.put("password-env", "VAR_s3cr3t-one");
    v.put("config-webhook", "https://hooks.example/ssh/config?token=s3cr3t-five");
    String text = example(v).replace("Env: [\"TZ=UTC\"]",
        "Env: [\"TZ=UTC\", \"API_TOKEN=s3cr3t-two\"]").replace("Labels: {team: platform}",
        "Labels: {team: platform, source: \"https://bob:s3cr3t-three@git.example/gw\"}")
        + "match:\n  - user: \"alice,bob\"\n    memory: 1g\n    env: {COURSE: s3cr3t-four}\n";
    Path file = Files.writeString(tmp.resolve("check.yaml"), text);
    Exited e = exits("unix:///nonexistent/docker.sock", "--config", file.toString(),
        "--max-connections", "7", "--check-config");
    assertEquals(0, e.code(), e.err());
    assertFalse((e.out() + e.err()).contains("s3cr3t"), e.out() + e.err());
    assertTrue(e.out().contains("\nimage: " + DockerDaemon.BUSYBOX + "\n"), e.out());
    assertTrue(e.out().contains("\nmax-connections: 7\n"), "the flag's value: " + e.out());
    assertTrue(e.out().contains("\nmax-sessions: 10\n"), "from the file: " + e.out());
    assertTrue(e.out().contains("\nstop-timeout: 2s\n"), e.out());
    assertTrue(e.out().contains("\n    - TZ=***\n"), "every Env value: " + e.out());
    assertTrue(e.out().contains("API_TOKEN=***"), e.out());
    assertTrue(e.out().contains("source: https://***@git.example/gw"), e.out());
    assertTrue(e.out().contains("\nconfig-webhook: https://hooks.example/ssh/config?***\n"),
        "a URL's query may hold a token: " + e.out());
    assertTrue(e.out().contains("\npassword-env: '***'\n"), e.out());
    assertTrue(e.out().contains("- registry.internal:10.1.2.3"), e.out());
    assertTrue(e.out().contains("\nmatch:\n- user: \"alice,bob\"\n  memory: 1g\n  env:\n"
        + "    COURSE: '***'\n"), "the match blocks, env values redacted: " + e.out());
    assertEquals("", e.err());

    // the configuration in force is itself a valid file (its *** are plain strings)
    Path again = Files.writeString(tmp.resolve("again.yaml"), e.out());
    Exited check = exits("--config", again.toString(), "--check-config");
    assertEquals(0, check.code(), check.err());
    assertEquals(e.out(), check.out());
  }
}
