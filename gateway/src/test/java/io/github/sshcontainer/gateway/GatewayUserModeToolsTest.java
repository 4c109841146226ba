package io.github.sshcontainer.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions.Mode;
import io.github.sshcontainer.gateway.docker.UserMapping;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 31: tools that open a connection per task, against a gateway in user mode, where every
 * connection of one user name lands in one container that outlives it. Ansible with {@code
 * ControlMaster=no} (each ssh and sftp run a connection of its own) and with its paramiko
 * plugin (a connection per task); rsync, whose second run sends nothing; git, push and clone
 * each over a connection of its own. Debian's clients, the lab's dockerd, the lab's tools image
 * (python3, sftp-server, rsync, git) and {@code --user-mapping login}. In connection mode the
 * same rsync sends every file twice: the container of its first run is gone. Alice's user
 * containers are removed before and after each test (a stopped gateway leaves them for the next
 * start to adopt, and the lab's dockerd is shared).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GatewayUserModeToolsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final int FILES = 50;
  @TempDir Path tmp;

  @BeforeEach
  @AfterEach
  void removeAlicesUserContainers() throws IOException {
    try (DockerClient d = SshDocker.connect(LabGateway.dockerHost().build())) {
      for (Container c : userContainers(d)) {
        d.removeContainerCmd(c.getId()).withForce(true).exec();
      }
    }
  }

  private static List<Container> userContainers(DockerClient d) {
    return d.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
        DockerBackend.USER_LABEL, "alice", DockerBackend.MODE_LABEL, "user",
        OnDemandContainer.MANAGED_LABEL, "true")).exec();
  }

  private static LabGateway gateway(Path dir, Mode mode) {
    DockerBackendOptions options = DockerBackendOptions.builder(ContainerSpec.of(
        LabGateway.lab().docker().toolsImage()).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).stopTimeout(Duration.ofSeconds(2)).build())
        .mode(mode).userMapping(UserMapping.LOGIN)
        .subsystem("sftp", List.of("/usr/lib/openssh/sftp-server")).build();
    return LabGateway.start(dir, LabGateway.docker(), options, o -> o);
  }

  @Test
  void ansibleWithoutControlMasterRunsEveryTaskInOneContainer() throws Exception {
    try (LabGateway g = gateway(tmp.resolve("gw"), Mode.USER)) {
      // Ansible's own ssh_args without its ControlMaster: every ssh and sftp run connects
      JsonNode report = playbook(g, "ssh", List.of(), "-o ControlMaster=no");
      assertEquals(1, g.counters.snapshot().containerStarts(), "one container: " + report);
      assertTrue(g.counters.snapshot().connections() > 6, "more than a connection a task: "
          + g.counters.snapshot());
    }
  }

  @Test
  void ansiblesParamikoPluginRunsEveryTaskInOneContainer() throws Exception {
    try (LabGateway g = gateway(tmp.resolve("gw"), Mode.USER)) {
      // paramiko_ssh (ansible-core 2.14 still has it) closes its connection after each task
      JsonNode report = playbook(g, "paramiko", List.of("-c", "paramiko"), "");
      assertEquals(1, g.counters.snapshot().containerStarts(), "one container: " + report);
      assertTrue(g.counters.snapshot().connections() >= 6, "a connection a task: "
          + g.counters.snapshot());
    }
  }

  @Test
  void rsyncsSecondRunOverANewConnectionSendsNothing() throws Exception {
    try (LabGateway g = gateway(tmp.resolve("gw"), Mode.USER)) {
      List<String> runs = rsyncTwice(g);
      assertTrue(runs.get(0).contains("Number of regular files transferred: " + FILES),
          runs.get(0));
      assertTrue(runs.get(1).contains("Number of regular files transferred: 0\n"), runs.get(1));
      assertEquals(2, g.counters.snapshot().connections(), g.counters.snapshot().toString());
      assertEquals(1, g.counters.snapshot().containerStarts(), g.counters.snapshot().toString());
      assertEquals(1, userContainers(g.docker).size(), "kept after its last connection");
    }
  }

  /** Why user mode: in connection mode each rsync finds a new container, and sends it all. */
  @Test
  void inConnectionModeRsyncsSecondRunSendsEveryFileAgain() throws Exception {
    try (LabGateway g = gateway(tmp.resolve("gw"), Mode.CONNECTION)) {
      List<String> runs = rsyncTwice(g);
      for (String run : runs) {
        assertTrue(run.contains("Number of regular files transferred: " + FILES), run);
      }
      assertEquals(2, g.counters.snapshot().containerStarts(), g.counters.snapshot().toString());
    }
  }

  @Test
  void gitPushesAndClonesOverConnectionsOfTheirOwn() throws Exception {
    Path git = Prerequisites.require("git", "/usr/bin/git");
    try (LabGateway g = gateway(tmp.resolve("gw"), Mode.USER)) {
      OpenSshClient alice = g.alice();
      OpenSshClient.Result init = alice.ssh("git init -q --bare -b main /home/alice/repo.git",
          null, SOON);
      assertEquals(0, init.code(), init.out() + init.err());
      Map<String, String> env = Map.of("PATH", Prerequisites.DEBIAN_PATH,
          "HOME", Files.createDirectories(tmp.resolve("home")).toString(), "LANG", "C",
          "GIT_CONFIG_NOSYSTEM", "1", "GIT_SSH_COMMAND", sshCommand(alice));
      String url = "ssh://alice@127.0.0.1:" + g.server.port() + "/home/alice/repo.git";
      Path work = Files.createDirectories(tmp.resolve("work"));
      Files.writeString(work.resolve("README"), "pushed over one connection\n");
      run(List.of(git.toString(), "init", "-q", "-b", "main"), env, work);
      run(List.of(git.toString(), "add", "README"), env, work);
      run(List.of(git.toString(), "-c", "user.name=Alice", "-c", "user.email=alice@example.org",
          "commit", "-q", "-m", "first"), env, work);
      run(List.of(git.toString(), "push", "-q", url, "main"), env, work);
      run(List.of(git.toString(), "clone", "-q", url, "clone"), env, tmp);
      assertEquals(run(List.of(git.toString(), "rev-parse", "HEAD"), env, work),
          run(List.of(git.toString(), "rev-parse", "HEAD"), env, tmp.resolve("clone")),
          "the clone has the pushed commit");
      assertEquals("pushed over one connection\n",
          Files.readString(tmp.resolve("clone/README")));
      assertEquals(3, g.counters.snapshot().connections(), g.counters.snapshot().toString());
      assertEquals(1, g.counters.snapshot().containerStarts(), g.counters.snapshot().toString());
    }
  }

  /**
   * Runs the playbook (ping, file, copy, command: each task reads what an earlier one wrote)
   * with {@code args} and {@code sshArgs} (ansible.cfg's ssh_args), asserts its recap and its
   * report, and returns the report.
   */
  private JsonNode playbook(LabGateway g, String name, List<String> args, String sshArgs)
      throws Exception {
    Path program = Prerequisites.require("ansible-core", "/usr/bin/ansible-playbook");
    OpenSshClient alice = g.alice();
    Path home = Files.createDirectories(tmp.resolve("home/.ssh")).getParent();
    // paramiko reads no UserKnownHostsFile: it checks ~/.ssh/known_hosts
    Files.copy(alice.knownHosts(), home.resolve(".ssh/known_hosts"));
    Files.writeString(tmp.resolve("inventory"), "gw ansible_host=127.0.0.1 ansible_port="
        + g.server.port() + " ansible_ssh_private_key_file=" + alice.key()
        + " ansible_ssh_common_args='-F /dev/null -o IdentitiesOnly=yes"
        + " -o UserKnownHostsFile=" + alice.knownHosts() + " -o GlobalKnownHostsFile=/dev/null"
        + " -o StrictHostKeyChecking=yes'\n");
    Files.writeString(tmp.resolve("ansible.cfg"), String.join("\n",
        "[defaults]",
        "inventory = " + tmp.resolve("inventory"),
        "interpreter_python = /usr/bin/python3",
        "local_tmp = " + tmp.resolve("local"),
        "host_key_checking = True",
        "retry_files_enabled = False",
        "[ssh_connection]",
        "ssh_args = " + sshArgs,
        ""));
    String dir = "/home/alice/" + name;
    Path reportFile = tmp.resolve("report.json");
    Files.writeString(tmp.resolve("site.yml"), String.join("\n",
        "- hosts: gw",
        "  remote_user: alice",
        "  gather_facts: false",
        "  tasks:",
        "    - ping:",
        "      register: ping",
        "    - file: {path: " + dir + ", state: directory}",
        "    - copy: {content: \"carried by ansible\\n\", dest: " + dir + "/note.txt}",
        "    - file: {path: " + dir + "/touched, state: touch}",
        "    - command: cat " + dir + "/note.txt",
        "      register: note",
        "    - command: ls " + dir,
        "      register: listing",
        "    - delegate_to: localhost",
        "      copy:",
        "        dest: " + reportFile,
        "        content: \"{{ {'ping': ping.ping, 'note': note.stdout,"
            + " 'listing': listing.stdout_lines} | to_json }}\"",
        ""));
    List<String> cmd = new ArrayList<>(List.of(program.toString()));
    cmd.addAll(args);
    cmd.add(tmp.resolve("site.yml").toString());
    // Ansible refuses any locale but a UTF-8 one
    String out = run(cmd, Map.of("PATH", Prerequisites.DEBIAN_PATH, "HOME", home.toString(),
        "LANG", "C.UTF-8", "LC_ALL", "C.UTF-8",
        "ANSIBLE_CONFIG", tmp.resolve("ansible.cfg").toString()), tmp);
    // six tasks on alice's container and the report's on this machine; ping alone changes nothing
    assertTrue(out.matches("(?s).*gw +: ok=7 +changed=6 +unreachable=0 +failed=0 .*"), out);
    JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
    assertEquals("pong", report.path("ping").asText(), out);
    assertEquals("carried by ansible", report.path("note").asText(), out);
    assertEquals("[\"note.txt\",\"touched\"]", report.path("listing").toString(), out);
    return report;
  }

  /**
   * Sends {@value #FILES} files to {@code /home/alice/dir/} with rsync over ssh, twice, each run
   * a connection of its own, and returns what {@code --stats} said of each.
   */
  private List<String> rsyncTwice(LabGateway g) throws Exception {
    Path rsync = Prerequisites.require("rsync", "/usr/bin/rsync");
    Path src = Files.createDirectories(tmp.resolve("src"));
    for (int i = 0; i < FILES; i++) {
      Files.writeString(src.resolve("f" + i + ".txt"), "file " + i + "\n");
    }
    List<String> cmd = List.of(rsync.toString(), "-rt", "--stats", "-e",
        sshCommand(g.alice()) + " -p " + g.server.port(), src + "/",
        "alice@127.0.0.1:/home/alice/dir/");
    Map<String, String> env = Map.of("PATH", Prerequisites.DEBIAN_PATH, "LANG", "C");
    return List.of(run(cmd, env, tmp), run(cmd, env, tmp));
  }

  /** Debian's ssh with the client's options, as one line for rsync's -e and GIT_SSH_COMMAND. */
  private static String sshCommand(OpenSshClient client) {
    return Prerequisites.require("openssh-client", "/usr/bin/ssh") + " "
        + String.join(" ", client.options());
  }

  /** Runs {@code cmd} in {@code dir} with {@code env} alone; asserts it exits 0; its output. */
  private String run(List<String> cmd, Map<String, String> env, Path dir)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "run", ".out");
    Path err = Files.createTempFile(tmp, "run", ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ended: " + cmd);
      String why = cmd + " exited " + p.exitValue() + ":\n" + Files.readString(out)
          + Files.readString(err);
      assertEquals(0, p.exitValue(), why);
      return Files.readString(out);
    } finally {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
