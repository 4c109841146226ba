package io.github.sshcontainer.docker;

import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What an on-demand container looks like: image, pull policy, the command that keeps it alive
 * (per-connection mode) or runs once (per-command mode), env, labels, limits, network. Immutable.
 */
public final class ContainerSpec {
  /** Keeps a container alive with nothing but a POSIX shell and sleep. */
  public static final List<String> DEFAULT_IDLE_COMMAND =
      List.of("/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done");

  /** Progress of one pull step: layer id, status text, bytes done and total (0 if unknown). */
  public record PullProgress(String layer, String status, long current, long total) {}

  private final String image;
  private final PullPolicy pullPolicy;
  private final List<String> idleCommand;
  private final List<String> command;
  private final Map<String, String> env;
  private final Map<String, String> labels;
  private final long memoryBytes;
  private final double cpus;
  private final String networkMode;
  private final Duration startTimeout;
  private final Duration pullTimeout;
  private final Consumer<PullProgress> pullListener;
  private final RegistryAuth registryAuth;
  private final DockerCredentials credentials;

  private ContainerSpec(Builder b) {
    registryAuth = b.registryAuth;
    credentials = b.credentials;
    image = b.image;
    pullPolicy = b.pullPolicy;
    idleCommand = List.copyOf(b.idleCommand);
    command = b.command == null ? null : List.copyOf(b.command);
    env = Map.copyOf(b.env);
    labels = Map.copyOf(b.labels);
    memoryBytes = b.memoryBytes;
    cpus = b.cpus;
    networkMode = b.networkMode;
    startTimeout = b.startTimeout;
    pullTimeout = b.pullTimeout;
    pullListener = b.pullListener;
  }

  /** A builder for a container from {@code image} (e.g. {@code alpine:3.20}). */
  public static Builder of(String image) {
    return new Builder(image);
  }

  public String image() {
    return image;
  }

  /** Credentials given for the image's registry; empty: looked up in {@link #credentials()}. */
  public java.util.Optional<RegistryAuth> registryAuth() {
    return java.util.Optional.ofNullable(registryAuth);
  }

  /** Where credentials are looked up when none are given. */
  public DockerCredentials credentials() {
    return credentials;
  }

  public PullPolicy pullPolicy() {
    return pullPolicy;
  }

  public List<String> idleCommand() {
    return idleCommand;
  }

  /** The command for per-command runs; empty means the image's own CMD. */
  public Optional<List<String>> command() {
    return Optional.ofNullable(command);
  }

  public Map<String, String> env() {
    return env;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public long memoryBytes() {
    return memoryBytes;
  }

  public double cpus() {
    return cpus;
  }

  public Optional<String> networkMode() {
    return Optional.ofNullable(networkMode);
  }

  public Duration startTimeout() {
    return startTimeout;
  }

  public Duration pullTimeout() {
    return pullTimeout;
  }

  public Consumer<PullProgress> pullListener() {
    return pullListener;
  }

  /** Collects a container's settings; every setter checks its value at once. */
  public static final class Builder {
    private final String image;
    private PullPolicy pullPolicy = PullPolicy.IF_NOT_PRESENT;
    private List<String> idleCommand = DEFAULT_IDLE_COMMAND;
    private List<String> command;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private long memoryBytes;
    private double cpus;
    private String networkMode;
    private Duration startTimeout = Duration.ofSeconds(30);
    private Duration pullTimeout = Duration.ofMinutes(10);
    private Consumer<PullProgress> pullListener = p -> { };
    private RegistryAuth registryAuth;
    private DockerCredentials credentials = DockerCredentials.fromEnvironment();

    private Builder(String image) {
      Objects.requireNonNull(image, "image");
      if (image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("image name '" + image
            + "' must be non-empty without spaces, e.g. alpine:3.20");
      }
      this.image = image;
    }

    /** Default: {@link PullPolicy#IF_NOT_PRESENT}. */
    public Builder pullPolicy(PullPolicy policy) {
      this.pullPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The command that keeps a per-connection container alive. Default: a sleep loop. */
    public Builder idleCommand(List<String> command) {
      if (Objects.requireNonNull(command, "command").isEmpty()) {
        throw new IllegalArgumentException("idle command must not be empty");
      }
      this.idleCommand = command;
      return this;
    }

    /** The command of a per-command run. Default: the image's CMD. */
    public Builder command(String... command) {
      if (command.length == 0) {
        throw new IllegalArgumentException("command must not be empty");
      }
      this.command = List.of(command);
      return this;
    }

    public Builder env(String name, String value) {
      env.put(Checks.envName(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder label(String key, String value) {
      if (Objects.requireNonNull(key, "key").startsWith(OnDemandContainer.LABEL_PREFIX)) {
        throw new IllegalArgumentException("labels starting with " + OnDemandContainer.LABEL_PREFIX
            + " are reserved for ssh-container");
      }
      labels.put(key, Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Memory limit in bytes. Default: none. */
    public Builder memoryBytes(long bytes) {
      if (bytes < 6 << 20) {
        throw new IllegalArgumentException("memory limit " + bytes
            + " bytes is below Docker's minimum of 6 MiB");
      }
      this.memoryBytes = bytes;
      return this;
    }

    /** CPU limit in CPUs (e.g. 0.5). Default: none. */
    public Builder cpus(double cpus) {
      if (!(cpus > 0)) {
        throw new IllegalArgumentException("cpus " + cpus + " must be positive");
      }
      this.cpus = cpus;
      return this;
    }

    /** Network mode ({@code none}, {@code bridge}, {@code host}, a network name). */
    public Builder networkMode(String mode) {
      this.networkMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** How long the container may take to be running. Default: 30 s. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Checks.positive("startTimeout", timeout);
      return this;
    }

    /** How long a pull may take. Default: 10 minutes. */
    public Builder pullTimeout(Duration timeout) {
      this.pullTimeout = Checks.positive("pullTimeout", timeout);
      return this;
    }

    /** Receives pull progress (layers, bytes). Default: ignored. */
    public Builder pullListener(Consumer<PullProgress> listener) {
      this.pullListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Credentials for the image's registry, sent with the pull. Default: looked up in {@link
     * #credentials(DockerCredentials)}.
     */
    public Builder registryAuth(RegistryAuth auth) {
      this.registryAuth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /**
     * Where to look up registry credentials when none are given. Default: {@link
     * DockerCredentials#fromEnvironment()}, the Docker CLI's config of the user running this
     * program; {@link DockerCredentials#none()} pulls anonymously.
     */
    public Builder credentials(DockerCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    public ContainerSpec build() {
      return new ContainerSpec(this);
    }
  }
}
