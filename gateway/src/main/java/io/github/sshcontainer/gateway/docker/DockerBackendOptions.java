package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import io.github.sshcontainer.docker.ContainerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * How {@link DockerBackend} makes containers, as ContainerSSH's Docker backend is configured:
 * the mode, the container (image, pull policy, idle command, limits, network, timeouts, Docker's
 * own settings passed through: a {@link ContainerSpec}), the shell, the subsystems and whom the
 * sessions run as ({@link UserMapping}). Which requests and env names pass is the gateway's
 * policy, the same for every backend ({@code GatewayOptions}). Immutable.
 */
public final class DockerBackendOptions {
  /** One container per connection, per session, or per user across connections. */
  public enum Mode {
    /**
     * The default: on authentication one container runs the idle command; each session is an
     * exec in it; it is stopped and removed when the connection closes.
     */
    CONNECTION,
    /** Each session channel gets a container of its own running the requested program. */
    SESSION,
    /**
     * All connections of one user name share one container running the idle command, made at
     * the first and used by the next, whether they overlap or follow each other; each session
     * is an exec in it. It is removed {@link Builder#userIdleTimeout} after the user's last
     * connection ended. A backend that starts adopts the user containers a stopped or killed
     * gateway of this host left, and their idle time starts again.
     */
    USER
  }

  /** How long a user's container stays after their last connection by default: 15 minutes. */
  public static final Duration DEFAULT_USER_IDLE_TIMEOUT = Duration.ofMinutes(15);
  /** The most containers {@link Builder#warm} keeps ready. */
  public static final int MAX_WARM = 256;

  /**
   * What a login keeps of root's capabilities by default, and why each: {@code CHOWN},
   * {@code DAC_OVERRIDE}, {@code FOWNER} and {@code FSETID}, so that root in the container
   * manages its files as on any machine (sftp's chown and chmod, tar keeping modes); {@code
   * KILL}, to signal its own processes whatever their user; {@code SETUID} and {@code SETGID},
   * so that root can become another user ({@code su alice}, a daemon dropping privileges).
   * Docker's default set also has {@code NET_RAW} (raw sockets: ping, packet forging), {@code
   * MKNOD}, {@code SYS_CHROOT}, {@code SETPCAP}, {@code SETFCAP}, {@code NET_BIND_SERVICE} and
   * {@code AUDIT_WRITE}, which no login needs.
   */
  public static final Set<String> LOGIN_CAPABILITIES = Set.of("CHOWN", "DAC_OVERRIDE",
      "FOWNER", "FSETID", "KILL", "SETUID", "SETGID");

  /** The shell when none is given: {@code /bin/sh}. */
  public static final List<String> DEFAULT_SHELL = List.of("/bin/sh");

  private final ContainerSpec container;
  private final Mode mode;
  private final List<String> shell;
  private final Map<String, List<String>> subsystems;
  private final Set<String> capabilities;
  private final boolean noNewPrivileges;
  private final String containerName;
  private final UserMapping userMapping;
  private final String homeVolume;
  private final int warm;
  private final Duration userIdleTimeout;

  private DockerBackendOptions(Builder b) {
    container = b.container;
    mode = b.mode;
    shell = List.copyOf(b.shell);
    subsystems = Map.copyOf(b.subsystems);
    capabilities = Collections.unmodifiableSet(new TreeSet<>(b.capabilities));
    noNewPrivileges = b.noNewPrivileges;
    containerName = b.containerName;
    userMapping = b.userMapping;
    homeVolume = b.homeVolume;
    warm = b.warm;
    userIdleTimeout = b.userIdleTimeout;
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
    b.capabilities = new TreeSet<>(capabilities);
    b.noNewPrivileges = noNewPrivileges;
    b.containerName = containerName;
    b.userMapping = userMapping;
    b.homeVolume = homeVolume;
    b.warm = warm;
    b.userIdleTimeout = userIdleTimeout;
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

  /** The capabilities a container keeps (every other one is dropped); sorted. */
  public Set<String> capabilities() {
    return capabilities;
  }

  /** The containers' name template ({@code {user}}, {@code {connection}}), or null. */
  public String containerName() {
    return containerName;
  }

  /**
   * The name of the container of {@code user}'s connection {@code connectionId} (session mode:
   * of its session {@code session}, 1 and up; 0 in connection mode), or null for Docker's own.
   * A character Docker does not take in a name becomes {@code _}.
   */
  String containerNameFor(String user, String connectionId, int session) {
    if (containerName == null) {
      return null;
    }
    String name = containerName.replace("{user}", user).replace("{connection}", connectionId)
        + (session > 0 ? "-" + session : "");
    return name.replaceAll("[^a-zA-Z0-9_.-]", "_");
  }

  /**
   * The name a warm container takes when a connection gets it and no template is set: {@code
   * ssh-USER-CONNECTION}, so that {@code docker ps} shows whose it is.
   */
  String defaultContainerName(String user, String connectionId) {
    return ("ssh-" + user + "-" + connectionId).replaceAll("[^a-zA-Z0-9_.-]", "_");
  }

  /** Whom the sessions run as in their container. */
  public UserMapping userMapping() {
    return userMapping;
  }

  /** Where each user's home volume is mounted in their containers, if anywhere. */
  public java.util.Optional<String> homeVolume() {
    return java.util.Optional.ofNullable(homeVolume);
  }

  /** How many started containers are kept ready for connection-mode logins; 0 for none. */
  public int warm() {
    return warm;
  }

  /** How long a user's container stays after their last connection ({@link Mode#USER}). */
  public Duration userIdleTimeout() {
    return userIdleTimeout;
  }

  /** Whether no process in a container may gain privileges (setuid binaries, file caps). */
  public boolean noNewPrivileges() {
    return noNewPrivileges;
  }

  /**
   * {@code spec} with these options' confinement: every capability dropped but {@link
   * #capabilities()}, and Docker's {@code no-new-privileges} security option, added to what the
   * spec's own customizer does. A privileged container is left as it is (it has them all).
   */
  ContainerSpec.Builder confine(ContainerSpec.Builder spec) {
    if (container.privileged()) {
      return spec;
    }
    spec.capDrop("ALL");
    if (!capabilities.isEmpty()) {
      spec.capAdd(capabilities.toArray(String[]::new));
    }
    if (noNewPrivileges) {
      Consumer<CreateContainerCmd> theirs = container.customizer();
      spec.customize(cmd -> {
        theirs.accept(cmd);
        HostConfig host = cmd.getHostConfig();
        List<String> opts = new ArrayList<>(host.getSecurityOpts() == null ? List.of()
            : host.getSecurityOpts());
        if (!opts.contains("no-new-privileges") && !opts.contains("no-new-privileges:true")) {
          opts.add("no-new-privileges");
        }
        host.withSecurityOpts(opts);
      });
    }
    return spec;
  }

  /** Collects the options; every setter checks its value at once. */
  public static final class Builder {
    private ContainerSpec container;
    private Mode mode = Mode.CONNECTION;
    private List<String> shell = DEFAULT_SHELL;
    private final Map<String, List<String>> subsystems = new LinkedHashMap<>();
    private Set<String> capabilities = new TreeSet<>(LOGIN_CAPABILITIES);
    private boolean noNewPrivileges = true;
    private String containerName;
    private UserMapping userMapping = UserMapping.IMAGE;
    private String homeVolume;
    private int warm;
    private Duration userIdleTimeout = DEFAULT_USER_IDLE_TIMEOUT;

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

    /**
     * The capabilities containers keep; every other one is dropped. Default: {@link
     * #LOGIN_CAPABILITIES}. Names as Docker's {@code --cap-add} takes them, without {@code
     * CAP_}.
     */
    public Builder capabilities(Set<String> names) {
      TreeSet<String> set = new TreeSet<>();
      for (String n : Objects.requireNonNull(names, "capabilities")) {
        set.add(capability(n));
      }
      this.capabilities = set;
      return this;
    }

    /** Keeps capability {@code name} too (Docker's {@code --cap-add}). */
    public Builder capAdd(String name) {
      capabilities.add(capability(name));
      return this;
    }

    /** Drops capability {@code name} from the kept set; {@code ALL} drops them all. */
    public Builder capDrop(String name) {
      String c = capability(name);
      if (c.equals("ALL")) {
        capabilities.clear();
      } else {
        capabilities.remove(c);
      }
      return this;
    }

    /**
     * Whether processes may gain privileges through setuid binaries or file capabilities.
     * Default: true, they may not (Docker's {@code no-new-privileges}).
     */
    public Builder noNewPrivileges(boolean on) {
      this.noNewPrivileges = on;
      return this;
    }

    /**
     * Names each container after this template, as ContainerSSH's {@code ContainerName} but per
     * connection: {@code {user}} and {@code {connection}} are replaced by the login's user name
     * and the gateway's connection id (unique while the gateway runs), so that {@code docker ps}
     * shows whose container it is; in session mode {@code -N} (the session's number) follows.
     * Default: none, Docker's own names.
     *
     * @throws IllegalArgumentException for a template without {@code {connection}}: two
     *     connections would ask for one name
     */
    public Builder containerName(String template) {
      if (template != null && !template.contains("{connection}")) {
        throw new IllegalArgumentException("container-name '" + template + "' must hold "
            + "{connection}, so that each connection's container has a name of its own, e.g. "
            + "ssh-{user}-{connection}");
      }
      this.containerName = template;
      return this;
    }

    /**
     * Whom the sessions run as: the login's user of the image, the image's user, or root.
     * Default: {@link UserMapping#IMAGE}. The container's explicit user ({@link
     * ContainerSpec.Builder#user}) goes with {@code IMAGE} only: it is the image mode's user.
     */
    public Builder userMapping(UserMapping mapping) {
      this.userMapping = Objects.requireNonNull(mapping, "userMapping");
      return this;
    }

    /**
     * Gives each user a Docker named volume, {@code sshcontainer-home-USER} (labelled {@link
     * DockerBackend#HOME_LABEL}{@code =USER}), mounted at {@code path} in each of their
     * containers, in every mode: what they keep there outlives the container and reaches the
     * next. The gateway never removes these volumes ({@code docker volume ls --filter
     * label=io.github.sshcontainer.gateway.home} lists them). A login whose name cannot name a
     * volume (letters, digits, {@code .}, {@code _}, {@code -}) is refused. Default: none.
     *
     * @throws IllegalArgumentException when {@code path} is not absolute, is {@code /}, or
     *     holds {@code :}
     */
    public Builder homeVolume(String path) {
      Objects.requireNonNull(path, "homeVolume");
      if (!path.startsWith("/") || path.equals("/") || path.contains(":")) {
        throw new IllegalArgumentException("home-volume '" + path + "' must be an absolute "
            + "path below / without ':', such as /home");
      }
      this.homeVolume = path;
      return this;
    }

    /**
     * Keeps {@code n} containers of these options created and started, running the idle
     * command, so that a connection-mode login takes one instead of waiting for a create and a
     * start; the pool refills in the background. A login whose options differ from these (a
     * match block, a config webhook's answer, a home volume, which names its user) gets a
     * container of its own as without a pool. Default: 0, none.
     *
     * @throws IllegalArgumentException below 0 or above {@link #MAX_WARM}
     */
    public Builder warm(int n) {
      if (n < 0 || n > MAX_WARM) {
        throw new IllegalArgumentException("warm " + n + " must be between 0 and " + MAX_WARM);
      }
      this.warm = n;
      return this;
    }

    /**
     * How long a user's container stays after their last connection ended, in {@link
     * Mode#USER}. Default: {@link #DEFAULT_USER_IDLE_TIMEOUT}.
     *
     * @throws IllegalArgumentException below one second
     */
    public Builder userIdleTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "userIdleTimeout").compareTo(Duration.ofSeconds(1))
          < 0) {
        throw new IllegalArgumentException("user-idle-timeout " + timeout + " must be at least "
            + "1s, e.g. 15m");
      }
      this.userIdleTimeout = timeout;
      return this;
    }

    private static String capability(String name) {
      String c = Objects.requireNonNull(name, "capability").trim().toUpperCase(Locale.ROOT);
      if (c.startsWith("CAP_")) {
        c = c.substring(4);
      }
      try {
        Capability.valueOf(c);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("capability '" + name + "' is not one Docker knows "
            + "(e.g. NET_RAW, SYS_PTRACE, ALL)");
      }
      return c;
    }

    /**
     * @throws IllegalArgumentException for a container with an explicit user under a mapping
     *     other than {@link UserMapping#IMAGE}: which of the two would the sessions run as?
     *     Also for {@link #warm} outside connection mode or with a {@link #homeVolume}
     */
    public DockerBackendOptions build() {
      if (userMapping != UserMapping.IMAGE && container.user().isPresent()) {
        throw new IllegalArgumentException("the container's user '" + container.user().get()
            + "' and user mapping " + userMapping.name().toLowerCase(Locale.ROOT) + " name two "
            + "users: set the user for user mapping image only, or drop it");
      }
      if (warm > 0 && mode != Mode.CONNECTION) {
        throw new IllegalArgumentException("warm containers are for connection mode; mode "
            + mode.name().toLowerCase(Locale.ROOT) + " makes its containers as it needs them: "
            + "drop warm, or use connection mode");
      }
      if (warm > 0 && homeVolume != null) {
        throw new IllegalArgumentException("a warm container is made before its user is known, "
            + "so it cannot mount their home volume: drop warm or home-volume");
      }
      return new DockerBackendOptions(this);
    }
  }
}
