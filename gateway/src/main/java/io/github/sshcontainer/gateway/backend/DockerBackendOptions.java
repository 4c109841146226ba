package io.github.sshcontainer.gateway.backend;

import io.github.sshcontainer.docker.ContainerSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link DockerBackend} makes containers, as ContainerSSH's Docker backend is configured:
 * the mode, the container (image, pull policy, idle command, limits, network, timeouts: a
 * {@link ContainerSpec}), the shell, the subsystems, which env names pass, and which requests
 * are refused. Immutable.
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
  private final List<String> envAllow;
  private final List<Pattern> envPatterns;
  private final boolean disableCommand;
  private final boolean disableShell;
  private final boolean disableSubsystems;

  private DockerBackendOptions(Builder b) {
    container = b.container;
    mode = b.mode;
    shell = List.copyOf(b.shell);
    subsystems = Map.copyOf(b.subsystems);
    envAllow = List.copyOf(b.envAllow);
    List<Pattern> patterns = new ArrayList<>();
    for (String glob : envAllow) {
      patterns.add(glob(glob));
    }
    envPatterns = List.copyOf(patterns);
    disableCommand = b.disableCommand;
    disableShell = b.disableShell;
    disableSubsystems = b.disableSubsystems;
  }

  /**
   * Options for containers like {@code container}: its image, pull policy, idle command,
   * limits, network and timeouts apply to every container the backend makes (labels naming the
   * user, client and connection are added).
   */
  public static Builder builder(ContainerSpec container) {
    return new Builder(container);
  }

  public Builder toBuilder() {
    Builder b = new Builder(container);
    b.mode = mode;
    b.shell = shell;
    b.subsystems.putAll(subsystems);
    b.envAllow = new ArrayList<>(envAllow);
    b.envAllowSet = true;
    b.disableCommand = disableCommand;
    b.disableShell = disableShell;
    b.disableSubsystems = disableSubsystems;
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

  /** The env name patterns that pass ({@code *} matches any run of characters). */
  public List<String> envAllow() {
    return envAllow;
  }

  /** True if an env variable of this name reaches the program. */
  public boolean envAllowed(String name) {
    for (Pattern p : envPatterns) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }

  public boolean disableCommand() {
    return disableCommand;
  }

  public boolean disableShell() {
    return disableShell;
  }

  public boolean disableSubsystems() {
    return disableSubsystems;
  }

  private static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(re.toString());
  }

  /** Collects the options; every setter checks its value at once. */
  public static final class Builder {
    private final ContainerSpec container;
    private Mode mode = Mode.CONNECTION;
    private List<String> shell = DEFAULT_SHELL;
    private final Map<String, List<String>> subsystems = new LinkedHashMap<>();
    private List<String> envAllow = new ArrayList<>(List.of("*"));
    private boolean envAllowSet;
    private boolean disableCommand;
    private boolean disableShell;
    private boolean disableSubsystems;

    private Builder(ContainerSpec container) {
      this.container = Objects.requireNonNull(container, "container");
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

    /**
     * Lets env variables whose name matches {@code pattern} ({@code LC_*}) reach the program,
     * as sshd's AcceptEnv. The first call replaces the default, which passes all ({@code *}).
     */
    public Builder envAllow(String pattern) {
      if (Objects.requireNonNull(pattern, "pattern").isEmpty() || pattern.contains("=")) {
        throw new IllegalArgumentException("env pattern '" + pattern + "' must be a name or a "
            + "pattern such as LC_*");
      }
      if (!envAllowSet) {
        envAllow.clear();
        envAllowSet = true;
      }
      envAllow.add(pattern);
      return this;
    }

    /** Refuses exec requests. Default: false. */
    public Builder disableCommand(boolean disable) {
      this.disableCommand = disable;
      return this;
    }

    /** Refuses shell requests. Default: false. */
    public Builder disableShell(boolean disable) {
      this.disableShell = disable;
      return this;
    }

    /** Refuses every subsystem request. Default: false. */
    public Builder disableSubsystems(boolean disable) {
      this.disableSubsystems = disable;
      return this;
    }

    public DockerBackendOptions build() {
      return new DockerBackendOptions(this);
    }
  }
}
