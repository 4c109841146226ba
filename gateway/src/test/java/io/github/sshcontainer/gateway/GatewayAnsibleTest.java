package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.UserMapping;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Prerequisites;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ansible (Debian's ansible-core) manages a login's container as it would a host: {@code
 * remote_user: alice} under the login mapping, its ssh connection plugin as it comes (OpenSSH
 * with ControlMaster and ControlPersist, files over sftp), modules run by the image's python3.
 * Its remote temp directory is alice's real home, not the literal {@code /~alice} it made when
 * every login was root.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayAnsibleTest {
  @TempDir Path tmp;

  /**
   * Its last task writes what the others found to {@code report} on this machine (ansible-core
   * has no JSON output of its own: that callback is in the community collection).
   */
  private static String playbook(Path report) {
    return String.join("\n",
        "- hosts: gw",
        "  remote_user: alice",
        "  gather_facts: false",
        "  tasks:",
        "    - ping:",
        "      register: ping",
        "    - copy:",
        "        content: \"carried by ansible\\n\"",
        "        dest: /home/alice/note.txt",
        "        mode: \"0640\"",
        "      register: copied",
        "    - command: stat -c '%U %a' /home/alice/note.txt",
        "      register: owner",
        "    - command: cat /home/alice/note.txt",
        "      register: note",
        "    - command: id -un",
        "      register: who",
        "    - command: sh -c 'ls -d ~/.ansible/tmp; test -e \"/~alice\" && echo \"/~alice\" || true'",
        "      register: temp",
        "    - delegate_to: localhost",
        "      copy:",
        "        dest: " + report,
        "        content: \"{{ {'ping': ping.ping, 'copied': copied.changed, 'owner': owner.stdout,"
            + " 'note': note.stdout, 'who': who.stdout, 'temp': temp.stdout} | to_json }}\"",
        "");
  }

  @Test
  void runsPingCopyAndCommandAsAliceThroughOneControlMaster() throws Exception {
    Path playbookProgram = Prerequisites.require("ansible-core", "/usr/bin/ansible-playbook");
    DockerBackendOptions options = DockerBackendOptions.builder(ContainerSpec.of(
        lab().docker().pythonImage()).networkMode("none").pullPolicy(PullPolicy.NEVER)
        .stopTimeout(Duration.ofSeconds(2)).build()).userMapping(UserMapping.LOGIN)
        .subsystem("sftp", List.of("/usr/lib/openssh/sftp-server")).build();
    try (LabGateway g = LabGateway.start(tmp.resolve("gw"), LabGateway.docker(), options,
        o -> o)) {
      OpenSshClient alice = g.alice();
      Path control = Files.createDirectories(tmp.resolve("cp"));
      Path home = Files.createDirectories(tmp.resolve("home"));
      Files.writeString(tmp.resolve("inventory"), "gw ansible_host=127.0.0.1 ansible_port="
          + g.server.port() + " ansible_ssh_private_key_file=" + alice.key()
          + " ansible_ssh_common_args='-F /dev/null -o IdentitiesOnly=yes"
          + " -o UserKnownHostsFile=" + alice.knownHosts() + " -o GlobalKnownHostsFile=/dev/null"
          + " -o StrictHostKeyChecking=yes'\n");
      // ssh_args stay Ansible's own: -C -o ControlMaster=auto -o ControlPersist=60s
      Files.writeString(tmp.resolve("ansible.cfg"), String.join("\n",
          "[defaults]",
          "inventory = " + tmp.resolve("inventory"),
          "interpreter_python = /usr/bin/python3",
          "local_tmp = " + tmp.resolve("local"),
          "host_key_checking = True",
          "retry_files_enabled = False",
          "[ssh_connection]",
          "control_path_dir = " + control,
          ""));
      Path reportFile = tmp.resolve("report.json");
      Files.writeString(tmp.resolve("site.yml"), playbook(reportFile));
      Map<String, String> env = new HashMap<>();
      env.put("PATH", Prerequisites.DEBIAN_PATH);
      env.put("HOME", home.toString());
      env.put("LANG", "C.UTF-8"); // Ansible refuses any locale but a UTF-8 one
      env.put("LC_ALL", "C.UTF-8");
      env.put("ANSIBLE_CONFIG", tmp.resolve("ansible.cfg").toString());
      Path out = tmp.resolve("ansible.out");
      Path err = tmp.resolve("ansible.err");
      ProcessBuilder pb = new ProcessBuilder(playbookProgram.toString(),
          tmp.resolve("site.yml").toString()).directory(tmp.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().clear();
      pb.environment().putAll(env);
      Process ansible = pb.start();
      try {
        assertTrue(ansible.waitFor(240, TimeUnit.SECONDS), "ansible-playbook ended");
        String why = "ansible-playbook: " + Files.readString(out) + Files.readString(err);
        assertEquals(0, ansible.exitValue(), why);
        assertTrue(Files.readString(out).matches("(?s).*gw +: ok=7 +changed=\\d+ +"
            + "unreachable=0 +failed=0 .*"), why);
        JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
        assertEquals("pong", report.path("ping").asText(), why);
        assertTrue(report.path("copied").asBoolean(false), why);
        assertEquals("alice 640", report.path("owner").asText(), why);
        assertEquals("carried by ansible", report.path("note").asText(), why);
        assertEquals("alice", report.path("who").asText(), why);
        assertEquals("/home/alice/.ansible/tmp", report.path("temp").asText(),
            "her home's, and no /~alice: " + why);
        // every task (each an ssh or sftp run of its own) went through the ControlMaster
        assertEquals(1, g.counters.snapshot().connections(), "connections: " + why);
        assertTrue(g.counters.snapshot().requests() >= 12, "sessions: "
            + g.counters.snapshot());
      } finally {
        ansible.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        stopMasters(alice, control);
      }
    }
  }

  /** Ends the ControlMasters Ansible left to persist (ControlPersist=60s). */
  private static void stopMasters(OpenSshClient client, Path control) throws Exception {
    try (Stream<Path> sockets = Files.list(control)) {
      for (Path socket : sockets.toList()) {
        List<String> exit = new ArrayList<>(OpenSshClient.viaMaster(socket));
        exit.addAll(List.of("-O", "exit"));
        OpenSshClient.run(client.ssh(exit, null), null, Duration.ofSeconds(30));
      }
    }
  }
}
