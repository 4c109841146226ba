package io.github.sshcontainer.gateway.docker;

import io.github.sshcontainer.docker.ContainerSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link DockerBackend} makes containers, as ContainerSSH's Docker backend is configured:
 * the mode, the container (image, pull policy, idle command, limits, network, timeouts, Docker's
 * own settings passed through: a {@link ContainerSpec}), the shell and the subsystems. Which
 * requests and env names pass is the gateway's policy, the same for every backend
 * ({@code GatewayOptions}). Immutable.
 */
public final class DockerBackendOptions {
  /** One container per connection with an exec per session, or one per session. */
  public enum Mode {
    /**
     * The default: on authentication one container runs the idle command; each session is an
     * exec in it; it is stopped and removed when the connection closes.
     */
    CONNECTION,
    /** Each session channel gets a container of its own running the requested program. */
    SESSION
  }

  /** The shell when none is given: {@code /bin/sh}. */
  public static final List<String> DEFAULT_SHELL = List.of("/bin/sh");

  private final ContainerSpec container;
  private final Mode mode;
  private final List<String> shell;
  private final Map<String, List<String>> subsystems;

  private DockerBackendOptions(Builder b) {
    container = b.container;
    mode = b.mode;
    shell = List.copyOf(b.shell);
    subsystems = Map.copyOf(b.subsystems);
  }

  /**
   * Options for containers like {@code container}: its image, pull policy, idle command,
   * limits, network and timeouts apply to every container the backend makes (labels naming the
   * user, client and connection are added).
   */
  public static Builder builder(ContainerSpec container) {
    return new Builder(container);
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder(container);
    b.mode = mode;
    b.shell = shell;
    b.subsystems.putAll(subsystems);
    return b;
  }

  public ContainerSpec container() {
    return container;
  }

  public Mode mode() {
    return mode;
  }

  /** The shell's argv; an exec runs as {@code shell -c COMMAND}. */
  public List<String> shell() {
    return shell;
  }

  /** Subsystem name to the argv run for it in the container. */
  public Map<String, List<String>> subsystems() {
    return subsystems;
  }

  /** Collects the options; every setter checks its value at once. */
  public static final class Builder {
    private ContainerSpec container;
    private Mode mode = Mode.CONNECTION;
    private List<String> shell = DEFAULT_SHELL;
    private final Map<String, List<String>> subsystems = new LinkedHashMap<>();

    private Builder(ContainerSpec container) {
      this.container = Objects.requireNonNull(container, "container");
    }

    /** Replaces the container every connection gets. */
    public Builder container(ContainerSpec container) {
      this.container = Objects.requireNonNull(container, "container");
      return this;
    }

    /** Default: {@link Mode#CONNECTION}. */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** The shell's argv. Default: {@link #DEFAULT_SHELL}. */
    public Builder shell(List<String> argv) {
      if (Objects.requireNonNull(argv, "shell").isEmpty()
          || argv.stream().anyMatch(a -> a == null || a.isEmpty())) {
        throw new IllegalArgumentException("shell must be a non-empty argv, e.g. [/bin/sh]");
      }
      this.shell = List.copyOf(argv);
      return this;
    }

    /** Runs {@code argv} for subsystem {@code name} ({@code sftp} → sftp-server). */
    public Builder subsystem(String name, List<String> argv) {
      if (Objects.requireNonNull(name, "name").isBlank() || name.contains(" ")) {
        throw new IllegalArgumentException("subsystem name '" + name + "' must be a word");
      }
      if (Objects.requireNonNull(argv, "argv").isEmpty() || !argv.get(0).startsWith("/")) {
        throw new IllegalArgumentException("subsystem " + name + " needs an absolute path to "
            + "run in the container, e.g. /usr/lib/openssh/sftp-server");
      }
      subsystems.put(name, List.copyOf(argv));
      return this;
    }

    public DockerBackendOptions build() {
      return new DockerBackendOptions(this);
    }
  }
}
