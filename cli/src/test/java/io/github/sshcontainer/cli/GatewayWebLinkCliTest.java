package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.Lab;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator minting links for a class with {@code ssh-container gateway web-link USER
 * --config FILE} beside a gateway started with that file (real processes): each link logs its
 * student in once, a second use is refused, and the command's mistakes are usage errors that
 * say what to do.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewayWebLinkCliTest {
  @TempDir Path tmp;

  /** {@code ssh-container ARGS…} with stdin at /dev/null: exit code, stdout, stderr. */
  record Run(int code, String out, String err) {}

  private Run cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-jar", GatewayProcess.JAR.toString()));
    cmd.addAll(List.of(args));
    Path err = tmp.resolve("cli-" + System.nanoTime() + ".err");
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(
        new File("/dev/null"))).redirectError(err.toFile()).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the command ended");
    return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8), Files.readString(err));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int login(HttpClient http, String link) throws Exception {
    String base = link.substring(0, link.indexOf("/#t="));
    String token = link.substring(link.indexOf("#t=") + 3).strip();
    return http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
        .header("Content-Type", "application/json").header("Origin", base)
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void anOperatorMintsOneLinkPerStudentAndEachLogsInOnce() throws Exception {
    Path authorized = tmp.resolve("authorized_keys");
    Files.copy(Path.of(Lab.shared().clientKey() + ".pub"), authorized);
    Path hostKey = tmp.resolve("host_key");
    int web = freePort();
    Path config = tmp.resolve("gateway.yaml");
    Files.writeString(config, String.join("\n",
        "listen: 127.0.0.1:0",
        "host-key: " + hostKey,
        "authorized-keys: " + authorized,
        "image: " + DockerDaemon.BUSYBOX,
        "pull: never",
        "web: 127.0.0.1:" + web,
        "web-link-ttl: 5m",
        ""));
    List<String> args = new ArrayList<>(GatewayProcess.labDockerHost());
    args.addAll(List.of("--config", config.toString()));
    GatewayProcess g = GatewayProcess.start(tmp, List.of(), args, hostKey);
    try {
      HttpClient http = HttpClient.newHttpClient();
      List<String> links = new ArrayList<>();
      for (String student : List.of("ada", "grace", "linus")) {
        Run r = cli("gateway", "web-link", student, "--config", config.toString(), "--ttl",
            "10m");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("http://127.0.0.1:" + web + "/#t="), r.out());
        assertEquals(1, r.out().lines().count(), "one line: " + r.out());
        links.add(r.out().strip());
      }
      for (String link : links) {
        assertEquals(200, login(http, link), "a minted link logs in: " + g.stderr());
      }
      assertEquals(401, login(http, links.get(0)), "the same link again");
      assertTrue(g.stderr().contains("ada@") && g.stderr().contains("logged in with link "),
          g.stderr());

      Run zero = cli("gateway", "web-link", "ada", "--config", config.toString(), "--ttl",
          "0s");
      assertEquals(2, zero.code(), zero.err());
      assertTrue(zero.err().contains("--ttl") && zero.err().contains("more than 0"), zero.err());
      Run days = cli("gateway", "web-link", "ada", "--config", config.toString(), "--ttl",
          "30d");
      assertEquals(2, days.code(), days.out() + days.err());
      assertTrue(days.err().contains("such as 10s, 2m or 1h"), days.err());
      Run tooLong = cli("gateway", "web-link", "ada", "--config", config.toString(), "--ttl",
          "25h");
      assertEquals(2, tooLong.code(), tooLong.out() + tooLong.err());
      assertTrue(tooLong.err().contains("24 h"), tooLong.err());
      Path off = tmp.resolve("off.yaml");
      Files.writeString(off, Files.readString(config).replace("web: 127.0.0.1:" + web + "\n",
          ""));
      Run noWeb = cli("gateway", "web-link", "ada", "--config", off.toString());
      assertEquals(2, noWeb.code(), noWeb.err());
      assertTrue(noWeb.err().contains("web terminal is off") && noWeb.err().contains("--web"),
          noWeb.err());
    } finally {
      g.signal("TERM");
      assertTrue(g.process().waitFor(60, TimeUnit.SECONDS), "stopped on TERM");
    }
  }
}
