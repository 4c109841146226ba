package io.github.sshcontainer.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds registry credentials on this machine as the Docker CLI does, from its {@code
 * config.json}: a credential helper named for the registry ({@code credHelpers}), else the
 * default helper ({@code credsStore}), else the {@code auths} entry that {@code docker login}
 * wrote. Helpers run as {@code docker-credential-NAME get}, found on PATH. Nothing is read
 * until a pull needs it; a missing file means no credentials.
 */
public final class DockerCredentials {
  /** The key Docker Hub's credentials are stored under. */
  public static final String DOCKER_HUB = "https://index.docker.io/v1/";
  private static final Duration HELPER_DEADLINE = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path configFile;
  private final Map<String, String> environment;

  private DockerCredentials(Path configFile, Map<String, String> environment) {
    this.configFile = configFile;
    this.environment = environment;
  }

  /** {@code $DOCKER_CONFIG/config.json}, or {@code ~/.docker/config.json}. */
  public static DockerCredentials fromEnvironment() {
    String dir = System.getenv("DOCKER_CONFIG");
    Path base = dir != null && !dir.isBlank() ? Path.of(dir)
        : Path.of(System.getProperty("user.home"), ".docker");
    return new DockerCredentials(base.resolve("config.json"), System.getenv());
  }

  /** {@code config.json} in the given directory (what {@code docker --config DIR} reads). */
  public static DockerCredentials fromConfigDir(Path dir) {
    return new DockerCredentials(dir.resolve("config.json"), System.getenv());
  }

  /** As {@link #fromConfigDir(Path)}, finding helpers on the PATH of {@code environment}. */
  public static DockerCredentials fromConfigDir(Path dir, Map<String, String> environment) {
    return new DockerCredentials(dir.resolve("config.json"), Map.copyOf(environment));
  }

  /** No credentials: every pull is anonymous. */
  public static DockerCredentials none() {
    return new DockerCredentials(null, Map.of());
  }

  /** The config file read, if any. */
  public Optional<Path> configFile() {
    return Optional.ofNullable(configFile);
  }

  /**
   * The registry an image reference names, as the credentials are keyed: {@code host[:port]},
   * or {@link #DOCKER_HUB} for Docker Hub images ({@code busybox}, {@code library/x},
   * {@code docker.io/x}).
   */
  public static String registryOf(String image) {
    if (Objects.requireNonNull(image, "image").isBlank()) {
      throw new IllegalArgumentException("image must not be blank");
    }
    int slash = image.indexOf('/');
    if (slash < 0) {
      return DOCKER_HUB;
    }
    String first = image.substring(0, slash);
    if (!first.contains(".") && !first.contains(":") && !first.equals("localhost")) {
      return DOCKER_HUB;
    }
    return isHub(first) ? DOCKER_HUB : first;
  }

  private static boolean isHub(String host) {
    return host.equals("docker.io") || host.equals("index.docker.io")
        || host.equals("registry-1.docker.io");
  }

  /**
   * The credentials for the registry of {@code image}, or empty for an anonymous pull.
   *
   * @throws CredentialsException when the config names a credential
   *     helper that is missing or fails, or the config file cannot be read
   */
  public Optional<RegistryAuth> forImage(String image) {
    return forRegistry(registryOf(image));
  }

  /** As {@link #forImage}, for a registry ({@code host[:port]} or {@link #DOCKER_HUB}). */
  public Optional<RegistryAuth> forRegistry(String registry) {
    if (configFile == null || !Files.exists(configFile)) {
      return Optional.empty();
    }
    JsonNode config;
    try {
      config = JSON.readTree(Files.readString(configFile, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CredentialsException("cannot read the Docker config " + configFile + ": " + e.getMessage()
              + "; fix or remove it", e);
    }
    if (config == null || !config.isObject()) {
      return Optional.empty();
    }
    JsonNode helpers = config.path("credHelpers");
    String helper = null;
    String which = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (sameRegistry(e.getKey(), registry)) {
        helper = e.getValue().asText();
        which = "credHelpers";
      }
    }
    if (helper == null && config.path("credsStore").isTextual()
        && !config.path("credsStore").asText().isBlank()) {
      helper = config.path("credsStore").asText();
      which = "credsStore";
    }
    if (helper != null) {
      Optional<RegistryAuth> fromHelper = runHelper(helper, which, registry);
      if (fromHelper.isPresent()) {
        return fromHelper;
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = config.path("auths").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (sameRegistry(e.getKey(), registry)) {
        return fromAuthsEntry(e.getValue(), e.getKey());
      }
    }
    return Optional.empty();
  }

  /** Keys are written as host, host:port, https://host/v1/ and so on. */
  private static boolean sameRegistry(String key, String registry) {
    return normalize(key).equals(normalize(registry));
  }

  private static String normalize(String s) {
    String h = s.toLowerCase(Locale.ROOT).trim();
    int scheme = h.indexOf("://");
    if (scheme >= 0) {
      h = h.substring(scheme + 3);
    }
    int slash = h.indexOf('/');
    if (slash >= 0) {
      h = h.substring(0, slash);
    }
    return isHub(h) ? "index.docker.io" : h;
  }

  private Optional<RegistryAuth> fromAuthsEntry(JsonNode entry, String key) {
    String where = "auths[\"" + key + "\"] in " + configFile;
    if (entry.path("identitytoken").isTextual()
        && !entry.path("identitytoken").asText().isEmpty()) {
      return Optional.of(RegistryAuth.identityToken(entry.path("identitytoken").asText())
          .from(where));
    }
    if (entry.path("auth").isTextual() && !entry.path("auth").asText().isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(entry.path("auth").asText().trim()),
            StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new CredentialsException(where + " is not base64 'user:password'; run docker login " + key + " again");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new CredentialsException(where + " does not hold 'user:password'; run docker login " + key + " again");
      }
      return Optional.of(RegistryAuth.basic(decoded.substring(0, colon),
          decoded.substring(colon + 1)).from(where));
    }
    if (entry.path("username").isTextual() && entry.path("password").isTextual()) {
      return Optional.of(RegistryAuth.basic(entry.path("username").asText(),
          entry.path("password").asText()).from(where));
    }
    return Optional.empty(); // an empty entry: a helper holds them, or nothing does
  }

  /** {@code docker-credential-NAME get}, the server on stdin, JSON on stdout. */
  private Optional<RegistryAuth> runHelper(String name, String which, String registry) {
    String program = "docker-credential-" + name;
    Path binary = onPath(program);
    if (binary == null) {
      throw new CredentialsException(configFile + " names the credential helper '" + name + "' (" + which + ") but "
              + program + " is not on PATH: install it, or remove it from " + which);
    }
    String server = registry;
    Path outFile = null;
    Path errFile = null;
    try {
      // files, not pipes: the wait below has a deadline even if the helper never exits
      outFile = Files.createTempFile("sshc-cred", ".out");
      errFile = Files.createTempFile("sshc-cred", ".err");
      Process p = new ProcessBuilder(binary.toString(), "get")
          .redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(server.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(HELPER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new CredentialsException(program + " get did not answer within " + HELPER_DEADLINE.toSeconds() + " s");
      }
      byte[] out = Files.readAllBytes(outFile);
      byte[] err = Files.readAllBytes(errFile);
      String stdout = new String(out, StandardCharsets.UTF_8).trim();
      String stderr = new String(err, StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        String said = (stdout + " " + stderr).toLowerCase(Locale.ROOT);
        if (said.contains("not found")) {
          return Optional.empty(); // the helper has nothing for this registry
        }
        throw new CredentialsException(program + " get failed for " + server + " (exit " + p.exitValue() + "): "
                + firstLine(stderr.isEmpty() ? stdout : stderr));
      }
      JsonNode answer = JSON.readTree(stdout);
      String user = answer.path("Username").asText("");
      String secret = answer.path("Secret").asText("");
      if (secret.isEmpty()) {
        return Optional.empty();
      }
      String where = "credential helper " + program + " (" + which + ")";
      return Optional.of(user.equals("<token>") ? RegistryAuth.identityToken(secret).from(where)
          : RegistryAuth.basic(user, secret).from(where));
    } catch (IOException e) {
      throw new CredentialsException(program + " get failed for " + server + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CredentialsException("interrupted running " + program, e);
    } finally {
      deleteQuietly(outFile);
      deleteQuietly(errFile);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a temp file; the OS cleans /tmp
      }
    }
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private Path onPath(String program) {
    String path = environment.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "DockerCredentials[" + (configFile == null ? "none" : configFile) + "]";
  }
}
