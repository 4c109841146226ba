package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real image registry (Debian's docker-registry, the CNCF distribution registry) on
 * 127.0.0.1, plain HTTP, optionally behind basic authentication from an htpasswd file (bcrypt,
 * made by Debian's apache2-utils). Docker treats 127.0.0.0/8 registries as insecure, so the
 * lab's dockerd pulls from it over HTTP without configuration.
 */
public final class Registry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Registry.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(30);

  private final Path dir;
  private final int port;
  private final String user;
  private final String password;
  private volatile Process process;

  private Registry(Path dir, int port, String user, String password) {
    this.dir = dir;
    this.port = port;
    this.user = user;
    this.password = password;
  }

  /**
   * Starts a registry in {@code dir}.
   *
   * @param user with {@code password}: the one account of a private registry; null for an
   *     open one
   */
  public static Registry start(Path dir, String user, String password) {
    Path binary = Prerequisites.require("docker-registry", "/usr/bin/docker-registry");
    Registry r = new Registry(dir, FreePort.pick(), user, password);
    try {
      Files.createDirectories(dir.resolve("data"));
      StringBuilder config = new StringBuilder(String.join("\n",
          "version: 0.1",
          "log:",
          "  level: info",
          "storage:",
          "  filesystem:",
          "    rootdirectory: " + dir.resolve("data"),
          "  delete:",
          "    enabled: true",
          "http:",
          "  addr: 127.0.0.1:" + r.port,
          ""));
      if (user != null) {
        Path htpasswd = Prerequisites.require("apache2-utils", "/usr/bin/htpasswd");
        // the password goes on htpasswd's command line: a lab secret, on a machine of its own
        String line = LabProcess.run(Duration.ofSeconds(30),
            List.of(htpasswd.toString(), "-Bbn", user, password)).trim();
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        config.append(String.join("\n",
            "auth:",
            "  htpasswd:",
            "    realm: sshc-lab",
            "    path: " + file,
            ""));
      }
      Path configFile = dir.resolve("config.yml");
      Files.writeString(configFile, config.toString());
      r.launch(binary, configFile);
    } catch (IOException | RuntimeException e) {
      r.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return r;
  }

  private void launch(Path binary, Path config) throws IOException {
    Path logFile = dir.resolve("registry.log");
    process = new ProcessBuilder(binary.toString(), "serve", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("docker-registry exited with " + process.exitValue()
            + ":\n" + Files.readString(logFile));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        log.info("registry pid {} on {}{}", process.pid(), address(),
            user == null ? "" : " (basic auth)");
        return;
      } catch (IOException notYet) {
        Sshd.sleep(50);
      }
    }
    throw new IllegalStateException("docker-registry did not listen on " + address()
        + " within " + START_DEADLINE + "; log:\n" + Files.readString(logFile));
  }

  /** {@code 127.0.0.1:PORT}, the registry part of its image references. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** The account of a private registry, or null. */
  public String user() {
    return user;
  }

  /** The password of a private registry, or null. */
  public String password() {
    return password;
  }

  /**
   * Builds an image of its own (busybox plus 2 MiB of random bytes, one layer the daemon has
   * nowhere else) on {@code docker}, pushes it here as {@code repository:tag}, and removes it
   * from the daemon again, so that a pull downloads a real layer; returns the full reference.
   */
  public String pushFresh(DockerDaemon docker, String repositoryAndTag) {
    String local = "sshc-lab/push-" + port + ":1";
    docker.buildImage(local, 2);
    String ref = push(docker, local, repositoryAndTag);
    docker.cli(Duration.ofSeconds(30), "rmi", local);
    return ref;
  }

  /**
   * Pushes {@code localImage} from {@code docker} to this registry as {@code repository:tag}
   * and removes the pushed tag from the daemon again; returns the full reference.
   */
  public String push(DockerDaemon docker, String localImage, String repositoryAndTag) {
    String ref = address() + "/" + repositoryAndTag;
    Path config = dir.resolve("push-client");
    try {
      Files.createDirectories(config);
      docker.cli(Duration.ofSeconds(30), "tag", localImage, ref);
      if (user != null) {
        // a private Docker CLI config: the login never lands in this user's ~/.docker
        Path pw = Files.writeString(dir.resolve("push-password"), password);
        try {
          LabProcess.run(Duration.ofSeconds(60), List.of("sh", "-c", docker.cliCommand()
              + " --config '" + config + "' login -u '" + user + "' --password-stdin "
              + address() + " < '" + pw + "'"));
        } finally {
          Files.deleteIfExists(pw);
        }
      }
      LabProcess.run(Duration.ofMinutes(3), List.of("sh", "-c", docker.cliCommand()
          + " --config '" + config + "' push " + ref));
      docker.cli(Duration.ofSeconds(30), "rmi", ref);
      return ref;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      LabProcess.deleteTree(config);
    }
  }

  @Override
  public void close() {
    LabProcess.stop(process);
    LabProcess.deleteTree(dir);
  }
}
