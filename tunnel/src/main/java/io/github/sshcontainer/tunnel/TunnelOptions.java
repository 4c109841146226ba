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
 * trust the host, which remote socket to reach, and the timing and flow-control knobs. Immutable
 * and thread-safe; make one with {@link #builder(String)} and derive variants with {@link
 * #toBuilder()}. Every default is documented on its builder method.
 */
public final class TunnelOptions {
  /** Docker's socket; the default remote socket. */
  public static final String DOCKER_SOCKET = "/var/run/docker.sock";
  /**
   * Where Docker's socket is looked for when none is given, in order: the remote login
   * environment's DOCKER_HOST, rootless Docker, the system socket, rootless and system Podman.
   * For {@link Builder#remoteSocketCandidates}.
   */
  public static final List<String> DOCKER_SOCKET_CANDIDATES = List.of("$DOCKER_HOST",
      "/run/user/${uid}/docker.sock", DOCKER_SOCKET,
      "/run/user/${uid}/podman/podman.sock", "/run/podman/podman.sock");

  /** containerd's socket. */
  public static final String CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
  /** How each local connection reaches the remote socket. */
  public enum Forwarding {
    /** {@code direct-streamlocal@openssh.com} channels; the fast path. */
    STREAM_LOCAL,
    /**
     * One exec channel per connection running {@code docker system dial-stdio}, as the Docker CLI
     * does: works where sshd refuses stream-local forwarding, needs the docker CLI remotely.
     */
    DIAL_STDIO,
    /** Stream-local, falling back to dial-stdio when the server refuses forwarding. */
    AUTO
  }

  /** The longest Unix socket path the kernel takes (sun_path is 108 bytes with the NUL). */
  public static final int MAX_UNIX_PATH_BYTES = 107;

  private final SshTarget target;
  private final List<Path> identityFiles;
  private final byte[] passphrase;
  private final byte[] password;
  private final boolean useAgent;
  private final Path agentSocket;
  private final Path knownHosts;
  private final boolean acceptNewHostKeys;
  private final String hostKeyFingerprint;
  private final Path sshConfig;
  private final boolean readSshConfig;
  private final Duration connectTimeout;
  private final Duration keepaliveInterval;
  private final int keepaliveMaxMissed;
  private final String remoteSocket;
  private final Path localSocket;
  private final boolean localTcp;
  private final int windowSize;
  private final int packetSize;
  private final int connectAttempts;
  private final Duration retryDeadline;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final boolean readinessCheck;
  private final int spareChannels;
  private final boolean reconnect;
  private final Session session;
  private final List<SshTarget> jumpHosts;
  private final Forwarding forwarding;
  private final boolean remoteSocketGiven;
  private final List<String> remoteSocketCandidates;

  private TunnelOptions(Builder b) {
    target = b.target;
    identityFiles = List.copyOf(b.identityFiles);
    passphrase = b.passphrase;
    password = b.password;
    useAgent = b.useAgent;
    agentSocket = b.agentSocket;
    knownHosts = b.knownHosts;
    acceptNewHostKeys = b.acceptNewHostKeys;
    hostKeyFingerprint = b.hostKeyFingerprint;
    sshConfig = b.sshConfig;
    readSshConfig = b.readSshConfig;
    connectTimeout = b.connectTimeout;
    keepaliveInterval = b.keepaliveInterval;
    keepaliveMaxMissed = b.keepaliveMaxMissed;
    remoteSocket = b.remoteSocket != null ? b.remoteSocket
        : b.target.socketPath().orElse(DOCKER_SOCKET);
    localSocket = b.localSocket;
    localTcp = b.localTcp;
    windowSize = b.windowSize;
    packetSize = b.packetSize;
    connectAttempts = b.connectAttempts;
    retryDeadline = b.retryDeadline;
    initialBackoff = b.initialBackoff;
    maxBackoff = b.maxBackoff;
    readinessCheck = b.readinessCheck;
    spareChannels = b.spareChannels;
    reconnect = b.reconnect;
    session = b.session;
    jumpHosts = List.copyOf(b.jumpHosts);
    forwarding = b.forwarding;
    remoteSocketGiven = b.remoteSocket != null || b.target.socketPath().isPresent();
    remoteSocketCandidates = List.copyOf(b.remoteSocketCandidates);
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

  /** The ssh-agent socket: the one given, else {@code SSH_AUTH_SOCK}, if any. */
  public Optional<Path> agentSocket() {
    if (agentSocket != null) {
      return Optional.of(agentSocket);
    }
    String env = System.getenv("SSH_AUTH_SOCK");
    return env == null || env.isEmpty() ? Optional.empty() : Optional.of(Path.of(env));
  }

  /** The known_hosts file; empty means ssh config's {@code UserKnownHostsFile} or the default. */
  public Optional<Path> knownHosts() {
    return Optional.ofNullable(knownHosts);
  }

  public boolean acceptNewHostKeys() {
    return acceptNewHostKeys;
  }

  public Optional<String> hostKeyFingerprint() {
    return Optional.ofNullable(hostKeyFingerprint);
  }

  /** The OpenSSH client config to read, if any. */
  public Optional<Path> sshConfig() {
    if (!readSshConfig) {
      return Optional.empty();
    }
    if (sshConfig != null) {
      return Optional.of(sshConfig);
    }
    Path def = Path.of(System.getProperty("user.home"), ".ssh", "config");
    return Files.isReadable(def) ? Optional.of(def) : Optional.empty();
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration keepaliveInterval() {
    return keepaliveInterval;
  }

  public int keepaliveMaxMissed() {
    return keepaliveMaxMissed;
  }

  public String remoteSocket() {
    return remoteSocket;
  }

  public Optional<Path> localSocket() {
    return Optional.ofNullable(localSocket);
  }

  public boolean localTcp() {
    return localTcp;
  }

  public int windowSize() {
    return windowSize;
  }

  public int packetSize() {
    return packetSize;
  }

  public int connectAttempts() {
    return connectAttempts;
  }

  public Duration retryDeadline() {
    return retryDeadline;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public Duration maxBackoff() {
    return maxBackoff;
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

  /** Whether the caller named the remote socket (builder or {@code ssh://host/path}). */
  public boolean remoteSocketGiven() {
    return remoteSocketGiven;
  }

  /** Candidate remote sockets to discover from; empty means use {@link #remoteSocket()}. */
  public List<String> remoteSocketCandidates() {
    return remoteSocketCandidates;
  }

  /** Lists the options; secrets show as {@code ***}. */
  @Override
  public String toString() {
    return "TunnelOptions{target=" + target + ", remoteSocket=" + remoteSocket
        + ", identityFiles=" + identityFiles + ", passphrase=" + (passphrase != null ? "***" : "none")
        + ", password=" + (password != null ? "***" : "none") + ", useAgent=" + useAgent
        + ", knownHosts=" + knownHosts + ", acceptNewHostKeys=" + acceptNewHostKeys
        + ", hostKeyFingerprint=" + hostKeyFingerprint + ", connectTimeout=" + connectTimeout
        + ", keepaliveInterval=" + keepaliveInterval + ", keepaliveMaxMissed="
        + keepaliveMaxMissed + ", localSocket=" + localSocket + ", localTcp=" + localTcp
        + ", windowSize=" + windowSize + ", packetSize=" + packetSize + ", connectAttempts="
        + connectAttempts + ", retryDeadline=" + retryDeadline + ", readinessCheck="
        + readinessCheck + ", spareChannels=" + spareChannels + ", reconnect=" + reconnect
        + ", session=" + (session != null ? "caller's" : "own") + ", agentSocket=" + agentSocket
        + ", jumpHosts=" + jumpHosts + ", forwarding=" + forwarding
        + ", remoteSocketCandidates=" + remoteSocketCandidates + "}";
  }

  /** Collects and checks options; every setter validates at once and names the bad value. */
  public static final class Builder {
    private SshTarget target;
    private final List<Path> identityFiles = new ArrayList<>();
    private byte[] passphrase;
    private byte[] password;
    private boolean useAgent = true;
    private Path agentSocket;
    private Path knownHosts;
    private boolean acceptNewHostKeys;
    private String hostKeyFingerprint;
    private Path sshConfig;
    private boolean readSshConfig = true;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration keepaliveInterval = Duration.ofSeconds(15);
    private int keepaliveMaxMissed = 3;
    private String remoteSocket;
    private Path localSocket;
    private boolean localTcp;
    private int windowSize = 32 << 20;
    private int packetSize = 64 << 10;
    private int connectAttempts = 5;
    private Duration retryDeadline = Duration.ofSeconds(60);
    private Duration initialBackoff = Duration.ofMillis(200);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private boolean readinessCheck = true;
    private int spareChannels = 1;
    private boolean reconnect = true;
    private Session session;
    private final List<SshTarget> jumpHosts = new ArrayList<>();
    private Forwarding forwarding = Forwarding.AUTO;
    private final List<String> remoteSocketCandidates = new ArrayList<>();

    private Builder(SshTarget target) {
      this.target = target;
    }

    private Builder(TunnelOptions o) {
      target = o.target;
      identityFiles.addAll(o.identityFiles);
      passphrase = o.passphrase;
      password = o.password;
      useAgent = o.useAgent;
      agentSocket = o.agentSocket;
      knownHosts = o.knownHosts;
      acceptNewHostKeys = o.acceptNewHostKeys;
      hostKeyFingerprint = o.hostKeyFingerprint;
      sshConfig = o.sshConfig;
      readSshConfig = o.readSshConfig;
      connectTimeout = o.connectTimeout;
      keepaliveInterval = o.keepaliveInterval;
      keepaliveMaxMissed = o.keepaliveMaxMissed;
      localSocket = o.localSocket;
      localTcp = o.localTcp;
      windowSize = o.windowSize;
      packetSize = o.packetSize;
      connectAttempts = o.connectAttempts;
      retryDeadline = o.retryDeadline;
      initialBackoff = o.initialBackoff;
      maxBackoff = o.maxBackoff;
      readinessCheck = o.readinessCheck;
      spareChannels = o.spareChannels;
      reconnect = o.reconnect;
      session = o.session;
      jumpHosts.addAll(o.jumpHosts);
      forwarding = o.forwarding;
      remoteSocketCandidates.addAll(o.remoteSocketCandidates);
      if (o.remoteSocketGiven) {
        remoteSocket = o.remoteSocket;
      }
    }

    /**
     * Finds the remote socket on the remote host instead: the first of these paths that accepts
     * a connection, tried in order, is used (and logged). {@code $DOCKER_HOST} stands for the
     * remote login environment's DOCKER_HOST (if it is unix://), {@code ${uid}} for the remote
     * user's id. Ignored when a remote socket is given. Default: none.
     */
    public Builder remoteSocketCandidates(String... paths) {
      remoteSocketCandidates.clear();
      for (String p : paths) {
        if (!p.startsWith("/") && !p.equals("$DOCKER_HOST")) {
          throw new IllegalArgumentException("socket candidate '" + p
              + "' must be an absolute path or $DOCKER_HOST");
        }
        remoteSocketCandidates.add(p);
      }
      return this;
    }

    /**
     * How connections reach the remote socket. Default: {@link Forwarding#AUTO} (stream-local,
     * dial-stdio when the server refuses forwarding; the choice is logged).
     */
    public Builder forwarding(Forwarding mode) {
      this.forwarding = Objects.requireNonNull(mode, "mode");
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
      this.knownHosts = Objects.requireNonNull(knownHosts, "knownHosts");
      return this;
    }

    /**
     * Trust on first use: a host not in known_hosts is trusted and its key appended to the file
     * (logged at INFO). A changed key is still refused. Default: false (unknown hosts refused).
     */
    public Builder acceptNewHostKeys(boolean accept) {
      this.acceptNewHostKeys = accept;
      return this;
    }

    /**
     * Pins the host key: only a key with this {@code SHA256:…} fingerprint (as {@code ssh-keygen
     * -lf} prints it) is accepted, whatever known_hosts says. Default: none.
     */
    public Builder hostKeyFingerprint(String fingerprint) {
      Objects.requireNonNull(fingerprint, "fingerprint");
      if (!fingerprint.matches("SHA256:[A-Za-z0-9+/]{43}=?")) {
        throw new IllegalArgumentException("host key fingerprint '" + fingerprint
            + "' is not of the form SHA256:<43 base64 characters>, as `ssh-keygen -lf KEY` prints");
      }
      this.hostKeyFingerprint = fingerprint.endsWith("=")
          ? fingerprint.substring(0, fingerprint.length() - 1) : fingerprint;
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
     * connection to wait while the tunnel reconnects. Default: 10 s (ssh config's {@code
     * ConnectTimeout} when set there and not here).
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * Keepalive: a request every {@code interval} of silence; after {@code maxMissed} unanswered
     * ones the connection counts as dead (and the tunnel reconnects). Default: 15 s, 3.
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
     * ssh://host/path} destination, else {@value #DOCKER_SOCKET}.
     */
    public Builder remoteSocket(String path) {
      Objects.requireNonNull(path, "remoteSocket");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("remote socket path '" + path
            + "' is relative: give an absolute path such as " + DOCKER_SOCKET);
      }
      this.remoteSocket = path;
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
     * SSH flow-control window per forwarded connection (remote to local), in bytes: the most
     * data in flight on one connection. Throughput is at most window / round-trip time; the
     * tunnel itself buffers none of it (bytes go straight to the local socket), but the remote
     * sshd may read that far ahead. Default: 32 MiB (chosen by the benchmark: 2 MiB, OpenSSH's
     * own, gives 40 MB/s at 20 ms RTT). Range 64 KiB – 64 MiB.
     */
    public Builder windowSize(int bytes) {
      if (bytes < (64 << 10) || bytes > (64 << 20)) {
        throw new IllegalArgumentException("windowSize " + bytes + " is outside 64 KiB-64 MiB");
      }
      this.windowSize = bytes;
      return this;
    }

    /** Largest SSH data packet the server may send us. Default: 64 KiB. Range 4–256 KiB. */
    public Builder packetSize(int bytes) {
      if (bytes < (4 << 10) || bytes > (256 << 10)) {
        throw new IllegalArgumentException("packetSize " + bytes + " is outside 4-256 KiB");
      }
      this.packetSize = bytes;
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
      if (attempts < 1) {
        throw new IllegalArgumentException("retry attempts " + attempts + " must be >= 1");
      }
      this.connectAttempts = attempts;
      this.retryDeadline = positive("retry deadline", deadline);
      this.initialBackoff = positive("initialBackoff", initialBackoff);
      this.maxBackoff = positive("maxBackoff", maxBackoff);
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("maxBackoff " + maxBackoff
            + " is shorter than initialBackoff " + initialBackoff);
      }
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

    public TunnelOptions build() {
      if (acceptNewHostKeys && hostKeyFingerprint != null) {
        throw new IllegalStateException("acceptNewHostKeys and hostKeyFingerprint exclude each "
            + "other: a pinned key is never replaced by a new one");
      }
      return new TunnelOptions(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " " + d + " must be positive");
      }
      return d;
    }

    @Override
    public String toString() {
      return "TunnelOptions.Builder{" + target + ", identityFiles=" + identityFiles
          + ", secrets=" + Arrays.asList(passphrase != null ? "passphrase=***" : "",
              password != null ? "password=***" : "") + "}";
    }
  }
}
