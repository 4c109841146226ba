package io.github.sshcontainer.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.command.CreateContainerCmd;
import io.github.sshcontainer.docker.internal.Checks;
import io.github.sshcontainer.docker.internal.EngineSettings;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What an on-demand container looks like: image, pull policy, the command that keeps it alive
 * (per-connection mode) or runs (per-session and per-command modes), env, labels, limits,
 * network, the container settings ContainerSSH passes through, and timeouts. Immutable; {@link
 * #toBuilder()} derives another.
 */
public final class ContainerSpec {
  /** Keeps a container alive with nothing but a POSIX shell and sleep; ends at once on TERM. */
  public static final List<String> DEFAULT_IDLE_COMMAND =
      List.of("/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done");

  /** Progress of one pull step: layer id, status text, bytes done and total (0 if unknown). */
  public record PullProgress(String layer, String status, long current, long total) {}

  /**
   * A bind mount: {@code source} on the Docker host at {@code target} in the container.
   *
   * @param source absolute path on the Docker host (or a named volume)
   * @param target absolute path in the container
   */
  public record BindMount(String source, String target, boolean readOnly) {}

  /**
   * The Docker Engine API's own settings passed through, as JSON objects (maps, lists,
   * strings, numbers, booleans) with the API's field names: a ContainerConfig ({@code Labels},
   * {@code Env}, {@code Healthcheck}, …), a HostConfig ({@code Ulimits}, {@code ExtraHosts},
   * {@code Dns}, …) and a NetworkingConfig ({@code EndpointsConfig}). Each map is a fresh copy.
   */
  public record Passthrough(Map<String, Object> config, Map<String, Object> hostConfig,
      Map<String, Object> networkingConfig) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Builder b;

  private ContainerSpec(Builder b) {
    this.b = b.copy();
  }

  /** A builder for a container from {@code image} (e.g. {@code alpine:3.20}). */
  public static Builder of(String image) {
    return new Builder(image);
  }

  /** A builder holding this spec's settings. */
  public Builder toBuilder() {
    return b.copy();
  }

  public String image() {
    return b.image;
  }

  /** Credentials given for the image's registry; empty: looked up in {@link #credentials()}. */
  public Optional<RegistryAuth> registryAuth() {
    return Optional.ofNullable(b.registryAuth);
  }

  /** Where credentials are looked up when none are given. */
  public DockerCredentials credentials() {
    return b.credentials;
  }

  public PullPolicy pullPolicy() {
    return b.pullPolicy;
  }

  public List<String> idleCommand() {
    return b.idleCommand;
  }

  /** The command of per-session and per-command containers; empty means the image's CMD. */
  public Optional<List<String>> command() {
    return Optional.ofNullable(b.command);
  }

  public Map<String, String> env() {
    return Map.copyOf(b.env);
  }

  public Map<String, String> labels() {
    return Map.copyOf(b.labels);
  }

  public long memoryBytes() {
    return b.memoryBytes;
  }

  public double cpus() {
    return b.cpus;
  }

  /** The most processes the container may have; 0: the daemon's default. */
  public long pidsLimit() {
    return b.pidsLimit;
  }

  public Optional<String> networkMode() {
    return Optional.ofNullable(b.networkMode);
  }

  public Optional<String> name() {
    return Optional.ofNullable(b.name);
  }

  /** The platform, {@code os/arch[/variant]}, for the pull and the container. */
  public Optional<String> platform() {
    return Optional.ofNullable(b.platform);
  }

  public Optional<String> user() {
    return Optional.ofNullable(b.user);
  }

  public Optional<String> workingDir() {
    return Optional.ofNullable(b.workingDir);
  }

  public Optional<String> hostname() {
    return Optional.ofNullable(b.hostname);
  }

  public boolean readOnlyRootfs() {
    return b.readOnlyRootfs;
  }

  public boolean privileged() {
    return b.privileged;
  }

  public List<BindMount> binds() {
    return List.copyOf(b.binds);
  }

  /** tmpfs mounts: container path to mount options ({@code ""} for the defaults). */
  public Map<String, String> tmpfs() {
    return Map.copyOf(b.tmpfs);
  }

  /** Capabilities dropped, as Docker names them ({@code ALL}, {@code NET_RAW}). */
  public List<String> capDrop() {
    return List.copyOf(b.capDrop);
  }

  /** Capabilities added. */
  public List<String> capAdd() {
    return List.copyOf(b.capAdd);
  }

  /** Applied to docker-java's create command last: anything the typed settings lack. */
  public Consumer<CreateContainerCmd> customizer() {
    return b.customizer;
  }

  /** The Engine API settings passed through; empty maps by default. */
  public Passthrough passthrough() {
    return new Passthrough(map(b.engineConfig), map(b.engineHost), map(b.engineNetwork));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(ObjectNode node) {
    return JSON.convertValue(node, LinkedHashMap.class);
  }

  /** A per-session container's TTY, or none. */
  public boolean tty() {
    return b.tty;
  }

  /** The TTY's width; 0 for the daemon's default. */
  public int columns() {
    return b.columns;
  }

  /** The TTY's height; 0 for the daemon's default. */
  public int rows() {
    return b.rows;
  }

  public Duration startTimeout() {
    return b.startTimeout;
  }

  /** How long closing waits for the container to stop after TERM before KILL. */
  public Duration stopTimeout() {
    return b.stopTimeout;
  }

  /** The most {@link OnDemandContainer#runOnce} waits for the exit; empty: no limit. */
  public Optional<Duration> exitTimeout() {
    return Optional.ofNullable(b.exitTimeout);
  }

  public Duration pullTimeout() {
    return b.pullTimeout;
  }

  public Consumer<PullProgress> pullListener() {
    return b.pullListener;
  }

  /** Collects a container's settings; every setter checks its value at once. */
  public static final class Builder implements Cloneable {
    private final String image;
    private PullPolicy pullPolicy = PullPolicy.IF_NOT_PRESENT;
    private List<String> idleCommand = DEFAULT_IDLE_COMMAND;
    private List<String> command;
    private Map<String, String> env = new LinkedHashMap<>();
    private Map<String, String> labels = new LinkedHashMap<>();
    private long memoryBytes;
    private double cpus;
    private long pidsLimit;
    private String networkMode;
    private String name;
    private String platform;
    private String user;
    private String workingDir;
    private String hostname;
    private boolean readOnlyRootfs;
    private boolean privileged;
    private List<BindMount> binds = new ArrayList<>();
    private Map<String, String> tmpfs = new LinkedHashMap<>();
    private List<String> capDrop = new ArrayList<>();
    private List<String> capAdd = new ArrayList<>();
    private Consumer<CreateContainerCmd> customizer = c -> { };
    // never changed once set (replaced whole), so copies may share them
    private ObjectNode engineConfig = JsonNodeFactory.instance.objectNode();
    private ObjectNode engineHost = JsonNodeFactory.instance.objectNode();
    private ObjectNode engineNetwork = JsonNodeFactory.instance.objectNode();
    private boolean tty;
    private int columns;
    private int rows;
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration stopTimeout = Duration.ofSeconds(10);
    private Duration exitTimeout;
    private Duration pullTimeout = Duration.ofMinutes(10);
    private Consumer<PullProgress> pullListener = p -> { };
    private RegistryAuth registryAuth;
    private DockerCredentials credentials;

    private Builder(String image) {
      Objects.requireNonNull(image, "image");
      if (image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("image name '" + image
            + "' must be non-empty without spaces, e.g. alpine:3.20");
      }
      this.image = image;
    }

    /** A copy whose collections are its own; every other field is immutable or a value. */
    private Builder copy() {
      Builder c;
      try {
        c = (Builder) super.clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
      c.env = new LinkedHashMap<>(env);
      c.labels = new LinkedHashMap<>(labels);
      c.binds = new ArrayList<>(binds);
      c.tmpfs = new LinkedHashMap<>(tmpfs);
      c.capDrop = new ArrayList<>(capDrop);
      c.capAdd = new ArrayList<>(capAdd);
      return c;
    }

    /**
     * Default: {@link PullPolicy#IF_NOT_PRESENT}, which pulls a {@code :latest} or untagged
     * image even when a copy is present.
     */
    public Builder pullPolicy(PullPolicy policy) {
      this.pullPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The command that keeps a per-connection container alive. Default: {@link
     * #DEFAULT_IDLE_COMMAND}, a shell loop that exits on TERM.
     */
    public Builder idleCommand(List<String> command) {
      this.idleCommand = List.copyOf(Checks.arguments("idle command", command));
      return this;
    }

    /** The command of a per-session or per-command container. Default: the image's CMD. */
    public Builder command(String... command) {
      return command(List.of(command));
    }

    /** As {@link #command(String...)}. */
    public Builder command(List<String> command) {
      this.command = List.copyOf(Checks.arguments("command", command));
      return this;
    }

    public Builder env(String name, String value) {
      env.put(Checks.envName(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Adds a label. The two that mark a container as ssh-container's ({@link
     * OnDemandContainer#MANAGED_LABEL}, {@link OnDemandContainer#OWNER_LABEL}) are set by it.
     */
    public Builder label(String key, String value) {
      Objects.requireNonNull(key, "key");
      if (key.equals(OnDemandContainer.MANAGED_LABEL)
          || key.equals(OnDemandContainer.OWNER_LABEL)) {
        throw new IllegalArgumentException("label " + key + " is set by ssh-container");
      }
      labels.put(key, Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Memory limit in bytes. Default: none. */
    public Builder memoryBytes(long bytes) {
      this.memoryBytes = Checks.memoryLimit(bytes);
      return this;
    }

    /** CPU limit in CPUs (e.g. 0.5). Default: none. */
    public Builder cpus(double cpus) {
      this.cpus = Checks.positive("cpus", cpus);
      return this;
    }

    /** The most processes (and threads) the container may have. Default: no limit. */
    public Builder pidsLimit(long limit) {
      this.pidsLimit = Checks.positive("pids limit", limit);
      return this;
    }

    /** Network mode ({@code none}, {@code bridge}, {@code host}, a network name). */
    public Builder networkMode(String mode) {
      this.networkMode = Checks.notBlank("network mode", mode);
      return this;
    }

    /** The container's name. Default: one the daemon makes up. */
    public Builder name(String name) {
      this.name = Checks.containerName(name);
      return this;
    }

    /** {@code os/arch[/variant]}, e.g. {@code linux/arm64}. Default: the daemon's. */
    public Builder platform(String platform) {
      this.platform = Checks.platform(platform);
      return this;
    }

    /** The user (name or uid[:gid]) the container's processes run as. Default: the image's. */
    public Builder user(String user) {
      this.user = Checks.notBlank("user", user);
      return this;
    }

    /** The working directory (absolute). Default: the image's. */
    public Builder workingDir(String dir) {
      this.workingDir = Checks.absolute("working directory", dir);
      return this;
    }

    /** The container's host name. Default: its short id. */
    public Builder hostname(String hostname) {
      this.hostname = Checks.notBlank("hostname", hostname);
      return this;
    }

    /** Mounts the root filesystem read-only. Default: false. */
    public Builder readOnlyRootfs(boolean readOnly) {
      this.readOnlyRootfs = readOnly;
      return this;
    }

    /** Runs privileged (all capabilities, all devices). Default: false; only when asked. */
    public Builder privileged(boolean privileged) {
      this.privileged = privileged;
      return this;
    }

    /** Bind-mounts {@code source} (on the Docker host) at {@code target}. */
    public Builder bind(String source, String target, boolean readOnly) {
      Checks.bind(source, target);
      binds.add(new BindMount(source, target, readOnly));
      return this;
    }

    /** A tmpfs at {@code target}, with mount options such as {@code size=64m,mode=1777}. */
    public Builder tmpfs(String target, String options) {
      tmpfs.put(Checks.absolute("tmpfs target", target),
          Objects.requireNonNull(options, "options"));
      return this;
    }

    /** Drops capabilities ({@code ALL}, {@code NET_RAW}, …). */
    public Builder capDrop(String... capabilities) {
      for (String c : capabilities) {
        capDrop.add(Checks.capability(c));
      }
      return this;
    }

    /** Adds capabilities. */
    public Builder capAdd(String... capabilities) {
      for (String c : capabilities) {
        capAdd.add(Checks.capability(c));
      }
      return this;
    }

    /**
     * Changes docker-java's create command after the typed settings are applied: for anything
     * else the API has (devices, ulimits, DNS, security options, …). Default: nothing.
     */
    public Builder customize(Consumer<CreateContainerCmd> customizer) {
      this.customizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /**
     * The Docker Engine API's own container settings, passed through as ContainerSSH's Docker
     * backend passes them: {@code config} a ContainerConfig, {@code hostConfig} a HostConfig,
     * {@code networkingConfig} a NetworkingConfig, each a JSON object (maps, lists, strings,
     * numbers, booleans) with the API's field names, e.g. {@code Map.of("Ulimits", List.of(
     * Map.of("Name", "nofile", "Soft", 1024, "Hard", 1024)))} for the host. Empty maps for
     * none. Default: none.
     *
     * <p>They are applied first, and this builder's typed settings over them: a typed setting
     * that is set (image, command, memory, cpus, pids limit, network mode, name, user, …) wins
     * on the same field; {@code Privileged} is always {@link #privileged(boolean)}'s;
     * {@code Labels} merge with {@link #label}'s and ssh-container's own, theirs winning on the
     * same key; {@code Env} merges with {@link #env}'s by name, {@link #env}'s winning.
     * Copied; {@link #customize} still runs last.
     *
     * @throws IllegalArgumentException an unknown field or a value of the wrong type, named by
     *     its path ({@code HostConfig.Ulimits[0].Soft}), or HostConfig/NetworkingConfig inside
     *     {@code config}
     */
    public Builder passthrough(Map<String, ?> config, Map<String, ?> hostConfig,
        Map<String, ?> networkingConfig) {
      ObjectNode c = EngineSettings.copy("config", config);
      ObjectNode h = EngineSettings.copy("hostConfig", hostConfig);
      ObjectNode n = EngineSettings.copy("networkingConfig", networkingConfig);
      EngineSettings.check(c, h, n);
      this.engineConfig = c;
      this.engineHost = h;
      this.engineNetwork = n;
      return this;
    }

    /** A per-session container runs on a TTY (stdout and stderr merged). Default: false. */
    public Builder tty(boolean tty) {
      this.tty = tty;
      if (!tty) {
        columns = 0;
        rows = 0;
      }
      return this;
    }

    /** A per-session container runs on a TTY of this size. */
    public Builder tty(int columns, int rows) {
      Checks.terminalSize(columns, rows);
      this.tty = true;
      this.columns = columns;
      this.rows = rows;
      return this;
    }

    /** How long the container may take to be running. Default: 60 s. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Checks.positive("startTimeout", timeout);
      return this;
    }

    /**
     * How long closing waits after TERM (the image's stop signal) before KILL, then the
     * container is removed. Default: 10 s.
     */
    public Builder stopTimeout(Duration timeout) {
      this.stopTimeout = Checks.positive("stopTimeout", timeout);
      return this;
    }

    /** The most {@link OnDemandContainer#runOnce} waits for the exit. Default: no limit. */
    public Builder exitTimeout(Duration timeout) {
      this.exitTimeout = Checks.positive("exitTimeout", timeout);
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
      if (credentials == null) {
        credentials = DockerCredentials.fromEnvironment();
      }
      return new ContainerSpec(this);
    }
  }
}
