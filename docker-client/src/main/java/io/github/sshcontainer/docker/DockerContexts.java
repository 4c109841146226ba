package io.github.sshcontainer.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The Docker CLI's context store, read and written as {@code docker context} does: a context's
 * metadata is {@code contexts/meta/<sha256 of its name>/meta.json} under the Docker config
 * directory ({@code $DOCKER_CONFIG}, else {@code ~/.docker}), and {@code currentContext} in
 * {@code config.json} names the one in use. Not thread-safe across processes (neither is the
 * Docker CLI's).
 */
public final class DockerContexts {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path configDir;

  private DockerContexts(Path configDir) {
    this.configDir = configDir;
  }

  /** The store of {@code $DOCKER_CONFIG}, else {@code ~/.docker}. */
  public static DockerContexts fromEnvironment() {
    return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** As {@link #fromEnvironment()}, with the environment and home given. */
  public static DockerContexts fromEnvironment(Map<String, String> env, Path home) {
    String dc = env.get("DOCKER_CONFIG");
    return new DockerContexts(dc != null && !dc.isBlank() ? Path.of(dc) : home.resolve(".docker"));
  }

  /** The store under {@code configDir}. */
  public static DockerContexts at(Path configDir) {
    return new DockerContexts(Objects.requireNonNull(configDir, "configDir"));
  }

  public Path configDir() {
    return configDir;
  }

  private Path metaDir(String name) {
    try {
      return configDir.resolve("contexts").resolve("meta").resolve(HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code meta.json} of context {@code name}. */
  public Path metaFile(String name) {
    return metaDir(Objects.requireNonNull(name, "name")).resolve("meta.json");
  }

  public boolean exists(String name) {
    return Files.exists(metaFile(name));
  }

  /** {@code currentContext} of config.json; empty when unset or unreadable. */
  public Optional<String> current() {
    Path config = configDir.resolve("config.json");
    if (!Files.isReadable(config)) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(config.toFile()).path("currentContext");
      return node.isTextual() && !node.asText().isBlank() ? Optional.of(node.asText())
          : Optional.empty();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read Docker config " + config + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * The docker endpoint host of context {@code name} ({@code ssh://…}, {@code unix://…}).
   *
   * @throws IllegalArgumentException when the context has no metadata or no docker host,
   *     saying where it looked and what to run
   */
  public String host(String name) {
    Path meta = metaFile(name);
    if (!Files.isReadable(meta)) {
      throw new IllegalArgumentException("Docker context '" + name + "' has no metadata at "
          + meta + "; run `docker context ls` to see the contexts");
    }
    try {
      JsonNode host = JSON.readTree(meta.toFile()).path("Endpoints").path("docker").path("Host");
      if (host.isMissingNode() || host.asText().isBlank()) {
        throw new IllegalArgumentException("Docker context '" + name + "' in " + meta
            + " names no docker endpoint host");
      }
      return host.asText();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read Docker context metadata " + meta + ": "
          + e.getMessage(), e);
    }
  }

  /** Writes (or rewrites) context {@code name}, its docker endpoint at {@code host}. */
  public void write(String name, String description, String host) {
    ObjectNode meta = JSON.createObjectNode();
    meta.put("Name", Objects.requireNonNull(name, "name"));
    meta.putObject("Metadata").put("Description", Objects.requireNonNull(description,
        "description"));
    ObjectNode docker = meta.putObject("Endpoints").putObject("docker");
    docker.put("Host", Objects.requireNonNull(host, "host"));
    docker.put("SkipTLSVerify", false);
    try {
      Path d = Files.createDirectories(metaDir(name));
      Files.writeString(d.resolve("meta.json"), JSON.writeValueAsString(meta));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Docker context " + name + " under "
          + configDir, e);
    }
  }

  /** Removes context {@code name}, and unsets it as the current one if it was. */
  public void remove(String name) {
    Path d = metaDir(name);
    try {
      Files.deleteIfExists(d.resolve("meta.json"));
      Files.deleteIfExists(d);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the Docker context " + name, e);
    }
    if (name.equals(current().orElse(null))) {
      use(null);
    }
  }

  /** Sets {@code currentContext} (null removes it), keeping the rest of config.json. */
  public void use(String name) {
    Path config = configDir.resolve("config.json");
    try {
      ObjectNode root = Files.exists(config) && Files.size(config) > 0
          ? (ObjectNode) JSON.readTree(config.toFile()) : JSON.createObjectNode();
      if (name == null) {
        root.remove("currentContext");
      } else {
        root.put("currentContext", name);
      }
      Files.createDirectories(configDir);
      Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("cannot update " + config + ": " + e.getMessage(), e);
    }
  }
}
