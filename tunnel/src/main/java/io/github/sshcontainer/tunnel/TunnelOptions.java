package io.github.sshcontainer.tunnel;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import com.jcraft.jsch.Session;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link SocketTunnel} needs to know: where to log in, how to authenticate, how to
 * trust the host, which remote socket to reach and how, and the timing and flow-control knobs.
 * Immutable and thread-safe; make one with {@link #builder(String)} and derive variants with
 * {@link #toBuilder()}. Every default is documented on its builder method. What depends on the
 * environment ({@code SSH_AUTH_SOCK}, whether {@code ~/.ssh/config} exists) is read once, in
 * {@link Builder#build()}; accessors read nothing. A setting left unset is empty, not a
 * default, where ssh config may still fill it in at open.
 */
public final class TunnelOptions {
  /** connectTimeout when neither the builder nor ssh config sets it: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** keepalive interval when neither the builder nor ssh config sets it: 15 s. */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(15);
  /** unanswered keepalives before the connection counts as dead, unless set: 3. */
  public static final int DEFAULT_KEEPALIVE_MAX_MISSED = 3;

  /** How each local connection reaches the remote socket. */
  public enum Forwarding {
    /** {@code direct-streamlocal@openssh.com} channels; the fast path. */
    STREAM_LOCAL,
    /**
     * One exec channel per connection running the {@link SocketCommand} (Docker's clients:
     * {@code docker system dial-stdio}): works where sshd refuses stream-local forwarding.
     */
    COMMAND,
    /**
     * Stream-local, falling back to the {@link SocketCommand}, if one is set, when the server
     * refuses forwarding (logged once).
     */
    AUTO
  }

  /** The longest Unix socket path the kernel takes (sun_path is 108 bytes with the NUL). */
  public static final int MAX_UNIX_PATH_BYTES = 107;

  private final SshTarget target;
  private final List<Path> identityFiles;
  private final byte[] passphrase;
  private final byte[] password;
  private final boolean useAgent;
  private final Path givenAgentSocket;
  private final Path agentSocket;
  private final HostKeyPolicy hostKeys;
  private final Path givenSshConfig;
  private final boolean readSshConfig;
  private final Path sshConfig;
  private final Duration connectTimeout;
  private final Duration keepaliveInterval;
  private final Integer keepaliveMaxMissed;
  private final RemoteSocket remoteSocket;
  private final Path localSocket;
  private final boolean localTcp;
  private final FlowControl flowControl;
  private final RetryPolicy retry;
  private final boolean readinessCheck;
  private final int spareChannels;
  private final boolean reconnect;
  private final Session session;
  private final List<SshTarget> jumpHosts;
  private final Forwarding forwarding;
  private final SocketCommand socketCommand;

  private TunnelOptions(Builder b) {
    target = b.target;
    identityFiles = List.copyOf(b.identityFiles);
    passphrase = b.passphrase;
    password = b.password;
    useAgent = b.useAgent;
    givenAgentSocket = b.agentSocket;
    agentSocket = !b.useAgent ? null : b.agentSocket != null ? b.agentSocket : envAgentSocket();
    hostKeys = b.hostKeys;
    givenSshConfig = b.sshConfig;
    readSshConfig = b.readSshConfig;
    sshConfig = !b.readSshConfig ? null : b.sshConfig != null ? b.sshConfig : defaultSshConfig();
    connectTimeout = b.connectTimeout;
    keepaliveInterval = b.keepaliveInterval;
    keepaliveMaxMissed = b.keepaliveMaxMissed;
    remoteSocket = b.remoteSocket != null ? b.remoteSocket
        : b.target.socketPath().map(RemoteSocket::at).orElse(null);
    localSocket = b.localSocket;
    localTcp = b.localTcp;
    flowControl = b.flowControl;
    retry = b.retry;
    readinessCheck = b.readinessCheck;
    spareChannels = b.spareChannels;
    reconnect = b.reconnect;
    session = b.session;
    jumpHosts = List.copyOf(b.jumpHosts);
    forwarding = b.forwarding;
    socketCommand = b.socketCommand;
  }

  private static Path envAgentSocket() {
    String env = System.getenv("SSH_AUTH_SOCK");
    return env == null || env.isEmpty() ? null : Path.of(env);
  }

  private static Path defaultSshConfig() {
    Path def = Path.of(System.getProperty("user.home"), ".ssh", "config");
    return Files.isReadable(def) ? def : null;
  }

  /** A builder for a destination in any form {@link SshTarget#parse} takes. */
  public static Builder builder(String destination) {
    return new Builder(SshTarget.parse(destination));
  }

  /** A builder for a parsed destination. */
  public static Builder builder(SshTarget target) {
    return new Builder(Objects.requireNonNull(target, "target"));
  }

  /** A builder holding all of these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  public SshTarget target() {
    return target;
  }

  /** Private key files to offer; empty means: ssh config's, the agent's, or the default keys. */
  public List<Path> identityFiles() {
    return identityFiles;
  }

  /** The passphrase for encrypted identity files (a copy; never logged). */
  public Optional<byte[]> passphrase() {
    return Optional.ofNullable(passphrase).map(byte[]::clone);
  }

  /** The password for password authentication (a copy; never logged). */
  public Optional<byte[]> password() {
    return Optional.ofNullable(password).map(byte[]::clone);
  }

  public boolean useAgent() {
    return useAgent;
  }

  /** The ssh-agent socket: the one given, else {@code SSH_AUTH_SOCK} at build time, if any. */
  public Optional<Path> agentSocket() {
    return Optional.ofNullable(agentSocket);
  }

  /** How the host key is trusted. */
  public HostKeyPolicy hostKeys() {
    return hostKeys;
  }

  /** The OpenSSH client config to read, if any (the default one if it existed at build time). */
  public Optional<Path> sshConfig() {
    return Optional.ofNullable(sshConfig);
  }

  /**
   * Deadline for a TCP connect + SSH handshake, a channel open, and a new local connection
   * waiting through a reconnect. Empty: ssh config's {@code ConnectTimeout}, else {@link
   * #DEFAULT_CONNECT_TIMEOUT}.
   */
  public Optional<Duration> connectTimeout() {
    return Optional.ofNullable(connectTimeout);
  }

  /**
   * Keepalive interval. Empty: ssh config's {@code ServerAliveInterval}, else {@link
   * #DEFAULT_KEEPALIVE_INTERVAL}.
   */
  public Optional<Duration> keepaliveInterval() {
    return Optional.ofNullable(keepaliveInterval);
  }

  /**
   * Unanswered keepalives before the connection counts as dead. Empty: ssh config's {@code
   * ServerAliveCountMax}, else {@link #DEFAULT_KEEPALIVE_MAX_MISSED}.
   */
  public Optional<Integer> keepaliveMaxMissed() {
    return Optional.ofNullable(keepaliveMaxMissed);
  }

  /**
   * The remote socket: given to the builder, or the path of an {@code ssh://host/path}
   * destination. Empty when neither names one: a client module then chooses (Docker's sockets
   * are discovered, containerd's is fixed); a bare {@link SocketTunnel} refuses to open.
   */
  public Optional<RemoteSocket> remoteSocket() {
    return Optional.ofNullable(remoteSocket);
  }

  public Optional<Path> localSocket() {
    return Optional.ofNullable(localSocket);
  }

  public boolean localTcp() {
    return localTcp;
  }

  public FlowControl flowControl() {
    return flowControl;
  }

  public RetryPolicy retry() {
    return retry;
  }

  public boolean readinessCheck() {
    return readinessCheck;
  }

  public int spareChannels() {
    return spareChannels;
  }

  public boolean reconnect() {
    return reconnect;
  }

  /** The caller's own connected JSch session, which the tunnel uses but never closes. */
  public Optional<Session> session() {
    return Optional.ofNullable(session);
  }

  /**
   * Hosts to pass through, in order, before the destination (OpenSSH's ProxyJump). Empty means:
   * ssh config's {@code ProxyJump} for the destination, if any.
   */
  public List<SshTarget> jumpHosts() {
    return jumpHosts;
  }

  public Forwarding forwarding() {
    return forwarding;
  }

  /** The command that reaches the remote socket without stream-local forwarding, if any. */
  public Optional<SocketCommand> socketCommand() {
    return Optional.ofNullable(socketCommand);
  }

  /** Lists the options; secrets show as {@code ***}; unset ones as {@code unset}. */
  @Override
  public String toString() {
    return "TunnelOptions{target=" + target + ", remoteSocket=" + orUnset(remoteSocket)
        + ", identityFiles=" + identityFiles + ", passphrase=" + (passphrase != null ? "***" : "none")
        + ", password=" + (password != null ? "***" : "none") + ", useAgent=" + useAgent
        + ", agentSocket=" + agentSocket + ", hostKeys=" + hostKeys + ", sshConfig=" + sshConfig
        + ", connectTimeout=" + orUnset(connectTimeout) + ", keepaliveInterval="
        + orUnset(keepaliveInterval) + ", keepaliveMaxMissed=" + orUnset(keepaliveMaxMissed)
        + ", localSocket=" + localSocket + ", localTcp=" + localTcp + ", flowControl="
        + flowControl + ", retry=" + retry + ", readinessCheck=" + readinessCheck
        + ", spareChannels=" + spareChannels + ", reconnect=" + reconnect + ", session="
        + (session != null ? "caller's" : "own") + ", jumpHosts=" + jumpHosts + ", forwarding="
        + forwarding + ", socketCommand=" + (socketCommand != null ? "set" : "none") + "}";
  }

  private static String orUnset(Object o) {
    return o == null ? "unset" : o.toString();
  }

  /** Collects and checks options; every setter validates at once and names the bad value. */
  public static final class Builder {
    private SshTarget target;
    private final List<Path> identityFiles = new ArrayList<>();
    private byte[] passphrase;
    private byte[] password;
    private boolean useAgent = true;
    private Path agentSocket;
    private HostKeyPolicy hostKeys = HostKeyPolicy.STRICT;
    private Path sshConfig;
    private boolean readSshConfig = true;
    private Duration connectTimeout;
    private Duration keepaliveInterval;
    private Integer keepaliveMaxMissed;
    private RemoteSocket remoteSocket;
    private Path localSocket;
    private boolean localTcp;
    private FlowControl flowControl = FlowControl.DEFAULT;
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private boolean readinessCheck = true;
    private int spareChannels = 1;
    private boolean reconnect = true;
    private Session session;
    private final List<SshTarget> jumpHosts = new ArrayList<>();
    private Forwarding forwarding = Forwarding.AUTO;
    private SocketCommand socketCommand;

    private Builder(SshTarget target) {
      this.target = target;
    }

    private Builder(TunnelOptions o) {
      target = o.target;
      identityFiles.addAll(o.identityFiles);
      passphrase = o.passphrase;
      password = o.password;
      useAgent = o.useAgent;
      agentSocket = o.givenAgentSocket;
      hostKeys = o.hostKeys;
      sshConfig = o.givenSshConfig;
      readSshConfig = o.readSshConfig;
      connectTimeout = o.connectTimeout;
      keepaliveInterval = o.keepaliveInterval;
      keepaliveMaxMissed = o.keepaliveMaxMissed;
      remoteSocket = o.remoteSocket;
      localSocket = o.localSocket;
      localTcp = o.localTcp;
      flowControl = o.flowControl;
      retry = o.retry;
      readinessCheck = o.readinessCheck;
      spareChannels = o.spareChannels;
      reconnect = o.reconnect;
      session = o.session;
      jumpHosts.addAll(o.jumpHosts);
      forwarding = o.forwarding;
      socketCommand = o.socketCommand;
    }

    /**
     * How connections reach the remote socket. Default: {@link Forwarding#AUTO} (stream-local,
     * falling back to the {@link #socketCommand} when the server refuses forwarding; logged).
     */
    public Builder forwarding(Forwarding mode) {
      this.forwarding = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * The command that reaches the remote socket over an exec channel, for {@link
     * Forwarding#COMMAND} and as {@link Forwarding#AUTO}'s fallback. Default: none (Docker's
     * client sets {@code docker system dial-stdio}).
     */
    public Builder socketCommand(SocketCommand command) {
      this.socketCommand = Objects.requireNonNull(command, "command");
      return this;
    }

    /**
     * Reaches the destination through these hosts, in order, as {@code ssh -J a,b dest} does.
     * Each hop is authenticated with the same keys and verified against the same known_hosts.
     * Default: ssh config's {@code ProxyJump}, else none.
     */
    public Builder jumpHosts(String... destinations) {
      jumpHosts.clear();
      for (String d : destinations) {
        jumpHosts.add(SshTarget.parse(d));
      }
      return this;
    }

    /** Replaces the destination. */
    public Builder target(SshTarget target) {
      this.target = Objects.requireNonNull(target, "target");
      return this;
    }

    /**
     * Adds a private key file (OpenSSH, PEM or PuTTY format). Checked now: it must exist, be
     * readable and parse as a key.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public Builder identityFile(Path privateKey) {
      Objects.requireNonNull(privateKey, "privateKey");
      if (!Files.exists(privateKey)) {
        throw new IllegalArgumentException("identity file " + privateKey + " does not exist");
      }
      if (!Files.isRegularFile(privateKey) || !Files.isReadable(privateKey)) {
        throw new IllegalArgumentException("identity file " + privateKey
            + " is not a readable file: check its permissions (chmod 600 " + privateKey + ")");
      }
      try {
        KeyPair.load(new JSch(), privateKey.toString()).dispose();
      } catch (JSchException e) {
        throw new IllegalArgumentException("identity file " + privateKey
            + " is not a private key JSch can read (" + e.getMessage()
            + "): give an OpenSSH, PEM or PuTTY private key", e);
      }
      identityFiles.add(privateKey);
      return this;
    }

    /** Passphrase of encrypted identity files. Default: none. Never logged or shown. */
    public Builder passphrase(String passphrase) {
      this.passphrase = Objects.requireNonNull(passphrase, "passphrase")
          .getBytes(StandardCharsets.UTF_8);
      return this;
    }

    /** Password for password authentication. Default: none. Never logged or shown. */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password")
          .getBytes(StandardCharsets.UTF_8);
      return this;
    }

    /**
     * Whether to use the ssh-agent at {@code SSH_AUTH_SOCK} when no identity file is given.
     * Default: true.
     */
    public Builder useAgent(boolean useAgent) {
      this.useAgent = useAgent;
      return this;
    }

    /**
     * The ssh-agent socket to ask for keys (used when no identity file is given). Default: the
     * {@code SSH_AUTH_SOCK} environment variable.
     */
    public Builder agentSocket(Path socket) {
      this.agentSocket = Objects.requireNonNull(socket, "socket");
      this.useAgent = true;
      return this;
    }

    /**
     * The known_hosts file to verify the host key against. Default: ssh config's {@code
     * UserKnownHostsFile}, else {@code ~/.ssh/known_hosts}.
     */
    public Builder knownHosts(Path knownHosts) {
      this.hostKeys = hostKeys.withKnownHosts(knownHosts);
      return this;
    }

    /**
     * Trust on first use: a host not in known_hosts is trusted and its key appended to the file
     * (logged at INFO). A changed key is still refused. Default: false (unknown hosts refused).
     */
    public Builder acceptNewHostKeys(boolean accept) {
      this.hostKeys = hostKeys.withAcceptNew(accept);
      return this;
    }

    /**
     * Pins the host key: only a key with this {@code SHA256:…} fingerprint (as {@code ssh-keygen
     * -lf} prints it) is accepted, whatever known_hosts says. Default: none.
     */
    public Builder hostKeyFingerprint(String fingerprint) {
      this.hostKeys = hostKeys.withPinnedFingerprint(fingerprint);
      return this;
    }

    /** The whole host-key policy at once. Default: {@link HostKeyPolicy#STRICT}. */
    public Builder hostKeys(HostKeyPolicy policy) {
      this.hostKeys = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The OpenSSH client config to read aliases from. Default: {@code ~/.ssh/config}. */
    public Builder sshConfig(Path sshConfig) {
      this.sshConfig = Objects.requireNonNull(sshConfig, "sshConfig");
      this.readSshConfig = true;
      return this;
    }

    /** Reads no OpenSSH client config at all. */
    public Builder noSshConfig() {
      this.readSshConfig = false;
      this.sshConfig = null;
      return this;
    }

    /**
     * Deadline for one TCP connect + SSH handshake, for opening one channel, and for a new local
     * connection to wait while the tunnel reconnects. Default: ssh config's {@code
     * ConnectTimeout}, else 10 s. A value set here always wins over ssh config.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * Keepalive: a request every {@code interval} of silence; after {@code maxMissed} unanswered
     * ones the connection counts as dead (and the tunnel reconnects). Default: ssh config's
     * {@code ServerAliveInterval} and {@code ServerAliveCountMax}, else 15 s and 3.
     */
    public Builder keepalive(Duration interval, int maxMissed) {
      this.keepaliveInterval = positive("keepaliveInterval", interval);
      if (maxMissed < 1) {
        throw new IllegalArgumentException("keepalive maxMissed " + maxMissed + " must be >= 1");
      }
      this.keepaliveMaxMissed = maxMissed;
      return this;
    }

    /**
     * The absolute path of the Unix socket on the remote host. Default: the path in an {@code
     * ssh://host/path} destination, else none (see {@link TunnelOptions#remoteSocket()}).
     *
     * @throws IllegalArgumentException if the path is not absolute
     */
    public Builder remoteSocket(String path) {
      this.remoteSocket = RemoteSocket.at(path);
      return this;
    }

    /** The remote socket: a fixed path, or candidates to discover. */
    public Builder remoteSocket(RemoteSocket socket) {
      this.remoteSocket = Objects.requireNonNull(socket, "remoteSocket");
      return this;
    }

    /**
     * Listens on this local socket path instead of a private one in a fresh 0700 directory. A
     * stale socket left there by a crashed run is replaced only if nothing listens on it.
     * Default: a private directory under {@code java.io.tmpdir}.
     */
    public Builder localSocket(Path path) {
      Objects.requireNonNull(path, "localSocket");
      Path abs = path.toAbsolutePath();
      int bytes = abs.toString().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_UNIX_PATH_BYTES) {
        throw new IllegalArgumentException("local socket path " + abs + " is " + bytes
            + " bytes; a Unix socket path must be at most " + MAX_UNIX_PATH_BYTES
            + " bytes: choose a shorter path, e.g. under /tmp");
      }
      this.localSocket = abs;
      this.localTcp = false;
      return this;
    }

    /**
     * Listens on 127.0.0.1 at an ephemeral TCP port instead of a Unix socket, for clients that
     * cannot use Unix sockets. Any local process can connect to it. Default: false.
     */
    public Builder localTcp(boolean tcp) {
      this.localTcp = tcp;
      if (tcp) {
        this.localSocket = null;
      }
      return this;
    }

    /**
     * The largest SSH window per forwarded connection (remote to local), in bytes: the most a
     * stalled local client can hold, and one connection's throughput is at most window /
     * round-trip time. Each window starts at 2 MiB and grows to this while the local client keeps
     * up ({@link FlowControl}). Default: 32 MiB (chosen by the benchmark: 2 MiB, OpenSSH's own,
     * gives 40 MB/s at 20 ms RTT). Range 64 KiB – 64 MiB.
     */
    public Builder windowSize(int bytes) {
      this.flowControl = new FlowControl(bytes, flowControl.packetSize());
      return this;
    }

    /** Largest SSH data packet the server may send us. Default: 64 KiB. Range 4–256 KiB. */
    public Builder packetSize(int bytes) {
      this.flowControl = new FlowControl(flowControl.windowSize(), bytes);
      return this;
    }

    /** Window and packet size at once. Default: {@link FlowControl#DEFAULT}. */
    public Builder flowControl(FlowControl flow) {
      this.flowControl = Objects.requireNonNull(flow, "flowControl");
      return this;
    }

    /**
     * Retry for opening the SSH connection: at most {@code attempts} tries within {@code
     * deadline}, with exponential backoff from {@code initialBackoff} up to {@code maxBackoff}
     * and full jitter. Only transient failures (refused, reset, timed out) are retried, never
     * authentication or host key failures. Default: 5 attempts, 60 s, 200 ms, 5 s.
     */
    public Builder retry(int attempts, Duration deadline, Duration initialBackoff,
        Duration maxBackoff) {
      this.retry = new RetryPolicy(attempts, deadline, initialBackoff, maxBackoff);
      return this;
    }

    /** The retry policy at once. Default: {@link RetryPolicy#DEFAULT}. */
    public Builder retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /**
     * Whether {@code open} first checks that the remote socket accepts a connection, so that a
     * missing socket fails at once. Default: true.
     */
    public Builder readinessCheck(boolean check) {
      this.readinessCheck = check;
      return this;
    }

    /**
     * How many channels to the remote socket to keep opened ahead of time, so that a new local
     * connection costs one round trip instead of two. Each is an idle connection to the remote
     * daemon. Default: 1. Range 0–16.
     */
    public Builder spareChannels(int count) {
      if (count < 0 || count > 16) {
        throw new IllegalArgumentException("spareChannels " + count + " is outside 0-16");
      }
      this.spareChannels = count;
      return this;
    }

    /**
     * Whether a lost SSH connection is re-established in the background (with backoff, until
     * the tunnel is closed). Default: true. Ignored with a caller's session.
     */
    public Builder reconnect(boolean reconnect) {
      this.reconnect = reconnect;
      return this;
    }

    /**
     * Uses the caller's connected JSch session instead of opening one. The tunnel never
     * disconnects it, and cannot reconnect it. Default: none (the tunnel owns its session).
     */
    public Builder session(Session session) {
      Objects.requireNonNull(session, "session");
      if (!session.isConnected()) {
        throw new IllegalArgumentException("the given JSch session is not connected: call "
            + "session.connect() first");
      }
      this.session = session;
      return this;
    }

    /**
     * The options. Reads {@code SSH_AUTH_SOCK} (when the agent is used and no socket was given)
     * and whether {@code ~/.ssh/config} exists (unless another or none was chosen), once, now.
     *
     * @throws IllegalStateException if {@link Forwarding#COMMAND} is chosen without a command
     */
    public TunnelOptions build() {
      if (forwarding == Forwarding.COMMAND && socketCommand == null) {
        throw new IllegalStateException("forwarding COMMAND needs socketCommand(...): the "
            + "command that connects its stdin and stdout to the remote socket");
      }
      return new TunnelOptions(this);
    }

    private static Duration positive(String name, Duration d) {
      return RetryPolicy.positive(name, d);
    }

    @Override
    public String toString() {
      return "TunnelOptions.Builder{" + target + ", identityFiles=" + identityFiles
          + ", secrets=" + Arrays.asList(passphrase != null ? "passphrase=***" : "",
              password != null ? "password=***" : "") + "}";
    }
  }
}
