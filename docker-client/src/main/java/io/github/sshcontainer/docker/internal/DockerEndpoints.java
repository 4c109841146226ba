package io.github.sshcontainer.docker.internal;

import io.github.sshcontainer.docker.DockerContexts;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the Docker endpoint the Docker CLI would use: {@code DOCKER_HOST}, else the context named
 * by {@code DOCKER_CONTEXT} or {@code currentContext} in {@code config.json} ({@link
 * DockerContexts}).
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
    DockerContexts contexts = DockerContexts.fromEnvironment(env, home);
    String context = env.get("DOCKER_CONTEXT");
    String source = "DOCKER_CONTEXT";
    if (context == null || context.isBlank()) {
      context = contexts.current().orElse(null);
      source = contexts.configDir().resolve("config.json") + " currentContext";
    }
    if (context == null || context.isBlank() || context.equals("default")) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Endpoint(contexts.host(context), "Docker context '" + context
          + "'"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " (named by " + source + ")", e);
    }
  }
}
