package io.github.sshcontainer.docker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the Docker endpoint the Docker CLI would use: {@code DOCKER_HOST}, else the context named
 * by {@code DOCKER_CONTEXT} or {@code currentContext} in {@code config.json}, whose metadata lives
 * in {@code contexts/meta/<sha256 of the name>/meta.json} under the Docker config directory
 * ({@code DOCKER_CONFIG} or {@code ~/.docker}).
 */
public final class DockerEndpoints {
  private DockerEndpoints() {}

  /** A found endpoint and where it came from, for messages. */
  public record Endpoint(String host, String source) {}

  public static Optional<Endpoint> find(Map<String, String> env, Path home) {
    String dockerHost = env.get("DOCKER_HOST");
    if (dockerHost != null && !dockerHost.isBlank()) {
      return Optional.of(new Endpoint(dockerHost.trim(), "DOCKER_HOST"));
    }
    Path configDir = env.containsKey("DOCKER_CONFIG") ? Path.of(env.get("DOCKER_CONFIG"))
        : home.resolve(".docker");
    ObjectMapper json = new ObjectMapper();
    String context = env.get("DOCKER_CONTEXT");
    String source = "DOCKER_CONTEXT";
    if (context == null || context.isBlank()) {
      Path config = configDir.resolve("config.json");
      if (Files.isReadable(config)) {
        try {
          JsonNode current = json.readTree(config.toFile()).get("currentContext");
          context = current == null ? null : current.asText();
          source = config + " currentContext";
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot read Docker config " + config + ": "
              + e.getMessage(), e);
        }
      }
    }
    if (context == null || context.isBlank() || context.equals("default")) {
      return Optional.empty();
    }
    Path meta = configDir.resolve("contexts").resolve("meta").resolve(sha256(context))
        .resolve("meta.json");
    if (!Files.isReadable(meta)) {
      throw new IllegalArgumentException("Docker context '" + context + "' (from " + source
          + ") has no metadata at " + meta + "; run `docker context ls` to see the contexts");
    }
    try {
      JsonNode host = json.readTree(meta.toFile()).path("Endpoints").path("docker").path("Host");
      if (host.isMissingNode() || host.asText().isBlank()) {
        throw new IllegalArgumentException("Docker context '" + context + "' in " + meta
            + " names no docker endpoint host");
      }
      return Optional.of(new Endpoint(host.asText(), "Docker context '" + context + "'"));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read Docker context metadata " + meta + ": "
          + e.getMessage(), e);
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
