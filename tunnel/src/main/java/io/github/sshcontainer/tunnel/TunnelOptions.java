package io.github.sshcontainer.tunnel;

import com.jcraft.jsch.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link SocketTunnel} needs to know: where to log in, how to authenticate, how to
 * trust the host, which remote socket to reach and how, and the timing and flow-control knobs.
 * Immutable and thread-safe; make one with {@link #builder(String)} and derive variants with
 * {@link #toBuilder()}. Every default is documented on its builder method. Related settings are
 * value types ({@link Authentication}, {@link HostKeyPolicy}, {@link Keepalive}, {@link
 * RetryPolicy}, {@link LocalEndpoint}, {@link FlowControl}) that the builder sets whole or one
 * field at a time. What depends on the environment ({@code SSH_AUTH_SOCK}, whether {@code
 * ~/.ssh/config} exists) is read once, in {@link Builder#build()}; accessors read nothing. A
 * setting left unset is empty, not a default, where ssh config may still fill it in at open.
 */
public final class TunnelOptions {
  /** connectTimeout when neither the builder nor ssh config sets it: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** keepalive interval when neither the builder nor ssh config sets it: 15 s. */
  public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Keepalive.DEFAULT.interval();
  /** unanswered keepalives before the connection counts as dead, unless set: 3. */
  public static final int DEFAULT_KEEPALIVE_MAX_MISSED = Keepalive.DEFAULT.maxMissed();

  /** How each local connection reaches the remote socket. */
  public enum Forwarding {
    /** {@code direct-streamlocal@openssh.com} channels; the fast path. */
    STREAM_LOCAL,
    /** An exec channel per connection running the {@link SocketCommand}: no forwarding needed. */
    COMMAND,
    /** Stream-local; the {@link SocketCommand}, if set, once the server refuses (logged once). */
    AUTO
  }

  /** The settings as the builder held them; what build() resolved is in the fields below. */
  private final Builder given;
  private final List<SshTarget> jumpHosts;
  /** The agent socket in use: the one given, else SSH_AUTH_SOCK when built; null: none. */
  private final Path agentSocket;
  /** The ssh config in use: the one given, else ~/.ssh/config if it existed when built. */
  private final Path sshConfig;
  private final RemoteSocket remoteSocket;

  private TunnelOptions(Builder b) {
    given = new Builder(b);
    jumpHosts = List.copyOf(b.jumpHosts);
    agentSocket = !b.authentication.useAgent() ? null
        : b.authentication.agentSocket().orElseGet(TunnelOptions::envAgentSocket);
    sshConfig = !b.readSshConfig ? null : b.sshConfig != null ? b.sshConfig : defaultSshConfig();
    remoteSocket = b.remoteSocket != null ? b.remoteSocket
        : b.target.socketPath().map(RemoteSocket::at).orElse(null);
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
    return new Builder(given);
  }

  public SshTarget target() {
    return given.target;
  }

  /** Hosts to pass through first (ProxyJump); empty: ssh config's {@code ProxyJump}, if any. */
  public List<SshTarget> jumpHosts() {
    return jumpHosts;
  }

  /** How the tunnel logs in, as given (the agent socket in use is {@link #agentSocket()}). */
  public Authentication authentication() {
    return given.authentication;
  }





  /** The ssh-agent socket: the one given, else {@code SSH_AUTH_SOCK} at build time, if any. */
  public Optional<Path> agentSocket() {
    return Optional.ofNullable(agentSocket);
  }

  /** How the host key is trusted. */
  public HostKeyPolicy hostKeys() {
    return given.hostKeys;
  }

  /** The OpenSSH client config to read, if any (the default one if it existed at build time). */
  public Optional<Path> sshConfig() {
    return Optional.ofNullable(sshConfig);
  }

  /** The connect timeout set here; empty: ssh config's, else {@link #DEFAULT_CONNECT_TIMEOUT}. */
  public Optional<Duration> connectTimeout() {
    return Optional.ofNullable(given.connectTimeout);
  }

  /** The keepalive set here; empty: ssh config's, else {@link Keepalive#DEFAULT}'s. */
  public Optional<Keepalive> keepalive() {
    return Optional.ofNullable(given.keepalive);
  }



  public RetryPolicy retry() {
    return given.retry;
  }

  public boolean reconnect() {
    return given.reconnect;
  }

  /** The caller's own connected JSch session, which the tunnel uses but never closes. */
  public Optional<Session> session() {
    return Optional.ofNullable(given.session);
  }

  /**
   * The remote socket: given, or the path of an {@code ssh://host/path} destination. Empty: a
   * client module chooses (Docker's are discovered); a bare {@link SocketTunnel} refuses to open.
   */
  public Optional<RemoteSocket> remoteSocket() {
    return Optional.ofNullable(remoteSocket);
  }

  public Forwarding forwarding() {
    return given.forwarding;
  }

  /** The command that reaches the remote socket without stream-local forwarding, if any. */
  public Optional<SocketCommand> socketCommand() {
    return Optional.ofNullable(given.socketCommand);
  }

  public boolean readinessCheck() {
    return given.readinessCheck;
  }

  public int spareChannels() {
    return given.spareChannels;
  }

  /** Where the tunnel listens for local clients. */
  public LocalEndpoint localEndpoint() {
    return given.localEndpoint;
  }



  public FlowControl flowControl() {
    return given.flowControl;
  }

  /** Lists the options; secrets show as {@code ***}; unset ones as {@code unset}. */
  @Override
  public String toString() {
    Builder b = given;
    return "TunnelOptions{target=" + b.target + ", remoteSocket=" + orUnset(remoteSocket)
        + ", authentication=" + b.authentication + ", agentSocket=" + agentSocket
        + ", hostKeys=" + b.hostKeys + ", sshConfig=" + sshConfig + ", connectTimeout="
        + orUnset(b.connectTimeout) + ", keepalive=" + orUnset(b.keepalive) + ", localEndpoint="
        + b.localEndpoint + ", flowControl=" + b.flowControl + ", retry=" + b.retry
        + ", readinessCheck=" + b.readinessCheck + ", spareChannels=" + b.spareChannels
        + ", reconnect=" + b.reconnect + ", session=" + (b.session != null ? "caller's" : "own")
        + ", jumpHosts=" + jumpHosts + ", forwarding=" + b.forwarding + ", socketCommand="
        + (b.socketCommand != null ? "set" : "none") + "}";
  }

  private static String orUnset(Object o) {
    return o == null ? "unset" : o.toString();
  }

  /** Collects and checks options; every setter validates at once and names the bad value. */
  public static final class Builder {
    private SshTarget target;
    private final List<SshTarget> jumpHosts = new ArrayList<>();
    private Authentication authentication = Authentication.DEFAULT;
    private HostKeyPolicy hostKeys = HostKeyPolicy.STRICT;
    private Path sshConfig;
    private boolean readSshConfig = true;
    private Duration connectTimeout;
    private Keepalive keepalive;
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private boolean reconnect = true;
    private Session session;
    private RemoteSocket remoteSocket;
    private Forwarding forwarding = Forwarding.AUTO;
    private SocketCommand socketCommand;
    private boolean readinessCheck = true;
    private int spareChannels = 1;
    private LocalEndpoint localEndpoint = LocalEndpoint.PRIVATE_SOCKET;
    private FlowControl flowControl = FlowControl.DEFAULT;

    private Builder(SshTarget target) {
      this.target = target;
    }

    private Builder(Builder o) {
      target = o.target;
      jumpHosts.addAll(o.jumpHosts);
      authentication = o.authentication;
      hostKeys = o.hostKeys;
      sshConfig = o.sshConfig;
      readSshConfig = o.readSshConfig;
      connectTimeout = o.connectTimeout;
      keepalive = o.keepalive;
      retry = o.retry;
      reconnect = o.reconnect;
      session = o.session;
      remoteSocket = o.remoteSocket;
      forwarding = o.forwarding;
      socketCommand = o.socketCommand;
      readinessCheck = o.readinessCheck;
      spareChannels = o.spareChannels;
      localEndpoint = o.localEndpoint;
      flowControl = o.flowControl;
    }

    /** How connections reach the remote socket. Default: {@link Forwarding#AUTO}. */
    public Builder forwarding(Forwarding mode) {
      this.forwarding = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** The command {@link Forwarding#COMMAND} and {@code AUTO} run. Default: none. */
    public Builder socketCommand(SocketCommand command) {
      this.socketCommand = Objects.requireNonNull(command, "command");
      return this;
    }

    /**
     * Passes through these hosts, in order, as {@code ssh -J a,b dest} does, with the same keys
     * and known_hosts. Default: ssh config's {@code ProxyJump}, else none.
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

    /** Adds a key file, checked now: {@link Authentication#withIdentityFile}. Default: none. */
    public Builder identityFile(Path privateKey) {
      authentication = authentication.withIdentityFile(privateKey);
      return this;
    }

    /** Passphrase of encrypted identity files. Default: none. Never logged or shown. */
    public Builder passphrase(String passphrase) {
      authentication = authentication.withPassphrase(passphrase);
      return this;
    }

    /** Password for password authentication. Default: none. Never logged or shown. */
    public Builder password(String password) {
      authentication = authentication.withPassword(password);
      return this;
    }

    /** Whether to ask the ssh-agent when no identity file is given. Default: true. */
    public Builder useAgent(boolean useAgent) {
      authentication = authentication.withAgent(useAgent);
      return this;
    }

    /** The ssh-agent socket to ask. Default: the {@code SSH_AUTH_SOCK} environment variable. */
    public Builder agentSocket(Path socket) {
      authentication = authentication.withAgentSocket(socket);
      return this;
    }

    /** The whole authentication at once. Default: {@link Authentication#DEFAULT}. */
    public Builder authentication(Authentication authentication) {
      this.authentication = Objects.requireNonNull(authentication, "authentication");
      return this;
    }

    /** The known_hosts file: {@link HostKeyPolicy#withKnownHosts}. Default: see there. */
    public Builder knownHosts(Path knownHosts) {
      this.hostKeys = hostKeys.withKnownHosts(knownHosts);
      return this;
    }

    /** Trust on first use: {@link HostKeyPolicy#withAcceptNew}. Default: false. */
    public Builder acceptNewHostKeys(boolean accept) {
      this.hostKeys = hostKeys.withAcceptNew(accept);
      return this;
    }

    /** Pins the host key: {@link HostKeyPolicy#withPinnedFingerprint}. Default: none. */
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
     * Deadline for a TCP connect + SSH handshake, a channel open, and a new local connection
     * waiting through a reconnect. Default: ssh config's {@code ConnectTimeout}, else 10 s.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = RetryPolicy.positive("connectTimeout", timeout);
      return this;
    }

    /** As {@link #keepalive(Keepalive)} with a new {@link Keepalive}. */
    public Builder keepalive(Duration interval, int maxMissed) {
      return keepalive(new Keepalive(interval, maxMissed));
    }

    /**
     * The {@link Keepalive}. Default: ssh config's {@code ServerAliveInterval} and {@code
     * ServerAliveCountMax}, else {@link Keepalive#DEFAULT} (15 s and 3).
     */
    public Builder keepalive(Keepalive keepalive) {
      this.keepalive = Objects.requireNonNull(keepalive, "keepalive");
      return this;
    }

    /**
     * The absolute path of the remote Unix socket ({@link RemoteSocket#at}). Default: an {@code
     * ssh://host/path} destination's path, else none (see {@link TunnelOptions#remoteSocket()}).
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

    /** Listens at this path: {@link LocalEndpoint#socket}. Default: a private socket. */
    public Builder localSocket(Path path) {
      this.localEndpoint = LocalEndpoint.socket(path);
      return this;
    }

    /** Listens on 127.0.0.1 ({@link LocalEndpoint#tcp}) if true. Default: false. */
    public Builder localTcp(boolean tcp) {
      if (tcp) {
        this.localEndpoint = LocalEndpoint.tcp();
      } else if (localEndpoint.isTcp()) {
        this.localEndpoint = LocalEndpoint.PRIVATE_SOCKET;
      }
      return this;
    }

    /** Where to listen, at once. Default: {@link LocalEndpoint#PRIVATE_SOCKET}. */
    public Builder localEndpoint(LocalEndpoint endpoint) {
      this.localEndpoint = Objects.requireNonNull(endpoint, "localEndpoint");
      return this;
    }

    /**
     * The largest SSH window per connection, {@link FlowControl#windowSize()}. Default: 32 MiB
     * (chosen by the benchmark: 2 MiB, OpenSSH's own, gives 40 MB/s at 20 ms RTT).
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

    /** As {@link #retry(RetryPolicy)} with a new {@link RetryPolicy}. */
    public Builder retry(int attempts, Duration deadline, Duration initialBackoff,
        Duration maxBackoff) {
      this.retry = new RetryPolicy(attempts, deadline, initialBackoff, maxBackoff);
      return this;
    }

    /** How connecting is retried. Default: {@link RetryPolicy#DEFAULT} (5 tries in 60 s). */
    public Builder retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /** Whether {@code open} first checks that the remote socket answers. Default: true. */
    public Builder readinessCheck(boolean check) {
      this.readinessCheck = check;
      return this;
    }

    /**
     * Channels to the remote socket kept open ahead, so a new local connection costs one round
     * trip instead of two; each is an idle connection to the daemon. Default: 1. Range 0–16.
     */
    public Builder spareChannels(int count) {
      if (count < 0 || count > 16) {
        throw new IllegalArgumentException("spareChannels " + count + " is outside 0-16");
      }
      this.spareChannels = count;
      return this;
    }

    /** Whether a lost SSH connection is re-established (with backoff). Default: true. */
    public Builder reconnect(boolean reconnect) {
      this.reconnect = reconnect;
      return this;
    }

    /** Uses the caller's connected JSch session, never disconnected here. Default: none. */
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
     * The options; reads {@code SSH_AUTH_SOCK} and whether {@code ~/.ssh/config} exists, now.
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

    @Override
    public String toString() {
      return "TunnelOptions.Builder{" + target + ", " + authentication + "}";
    }
  }
}
