package io.github.sshcontainer.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How the gateway's SSH server listens, authenticates and limits, and its request policy:
 * sshd's settings for a server whose every login lands in a container. The policy (which
 * requests run, which env names pass) applies to every backend alike. Authentication is by
 * public key only; forwarding, agent and X11 requests are refused. Immutable; {@link
 * #toBuilder()} for a changed copy, as a reload makes.
 */
public final class GatewayOptions {
  private final String host;
  private final int port;
  private final Path hostKey;
  private final Path authorizedKeys;
  private final Path authorizedKeysDir;
  private final int maxConnections;
  private final int maxConnectionsPerUser;
  private final int maxUnauthenticated;
  private final int maxSessionsPerConnection;
  private final int maxUnauthenticatedPerSource;
  private final int earlyDropStart;
  private final int earlyDropRate;
  private final Duration identificationTimeout;
  private final boolean perSourcePenalties;
  private final Duration penaltyMin;
  private final Duration penaltyMax;
  private final Duration loginGraceTime;
  private final Duration idleTimeout;
  private final List<String> envAllow;
  private final List<Pattern> envPatterns;
  private final boolean disableCommand;
  private final boolean disableShell;
  private final boolean disableSubsystems;
  private final boolean legacyAlgorithms;
  private final Path auditDir;
  private final boolean auditInput;
  private final long auditMaxBytes;
  private final boolean auditRequired;
  private final Path trustedUserCaKeys;
  private final Path authorizedPrincipalsDir;
  private final Path revokedKeys;
  private final Webhook.Options authWebhook;
  private final boolean passwordAuth;
  private final WebOptions web;

  private GatewayOptions(Builder b) {
    host = b.host;
    port = b.port;
    hostKey = b.hostKey;
    authorizedKeys = b.authorizedKeys;
    authorizedKeysDir = b.authorizedKeysDir;
    maxConnections = b.maxConnections;
    maxConnectionsPerUser = b.maxConnectionsPerUser;
    maxUnauthenticated = b.maxUnauthenticated;
    maxSessionsPerConnection = b.maxSessionsPerConnection;
    maxUnauthenticatedPerSource = b.maxUnauthenticatedPerSource;
    earlyDropStart = b.earlyDropStart;
    earlyDropRate = b.earlyDropRate;
    identificationTimeout = b.identificationTimeout;
    perSourcePenalties = b.perSourcePenalties;
    penaltyMin = b.penaltyMin;
    penaltyMax = b.penaltyMax;
    loginGraceTime = b.loginGraceTime;
    idleTimeout = b.idleTimeout;
    envAllow = List.copyOf(b.envAllow);
    List<Pattern> patterns = new ArrayList<>();
    for (String glob : envAllow) {
      patterns.add(glob(glob));
    }
    envPatterns = List.copyOf(patterns);
    disableCommand = b.disableCommand;
    disableShell = b.disableShell;
    disableSubsystems = b.disableSubsystems;
    legacyAlgorithms = b.legacyAlgorithms;
    auditDir = b.auditDir;
    auditInput = b.auditInput;
    auditMaxBytes = b.auditMaxBytes;
    auditRequired = b.auditRequired;
    trustedUserCaKeys = b.trustedUserCaKeys;
    authorizedPrincipalsDir = b.authorizedPrincipalsDir;
    revokedKeys = b.revokedKeys;
    authWebhook = b.authWebhook;
    passwordAuth = b.passwordAuth;
    web = b.web;
  }

  /**
   * A builder: the host key is read from {@code hostKey}, or generated there (ed25519, mode
   * 0600) on first start and reused afterwards, so that clients' known_hosts stay valid.
   */
  public static Builder builder(Path hostKey) {
    return new Builder(hostKey);
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder(hostKey);
    b.host = host;
    b.port = port;
    b.authorizedKeys = authorizedKeys;
    b.authorizedKeysDir = authorizedKeysDir;
    b.maxConnections = maxConnections;
    b.maxConnectionsPerUser = maxConnectionsPerUser;
    b.maxUnauthenticated = maxUnauthenticated;
    b.maxSessionsPerConnection = maxSessionsPerConnection;
    b.maxUnauthenticatedPerSource = maxUnauthenticatedPerSource;
    b.earlyDropStart = earlyDropStart;
    b.earlyDropRate = earlyDropRate;
    b.identificationTimeout = identificationTimeout;
    b.perSourcePenalties = perSourcePenalties;
    b.penaltyMin = penaltyMin;
    b.penaltyMax = penaltyMax;
    b.loginGraceTime = loginGraceTime;
    b.idleTimeout = idleTimeout;
    b.envAllow = new ArrayList<>(envAllow);
    b.envAllowSet = true;
    b.disableCommand = disableCommand;
    b.disableShell = disableShell;
    b.disableSubsystems = disableSubsystems;
    b.legacyAlgorithms = legacyAlgorithms;
    b.auditDir = auditDir;
    b.auditInput = auditInput;
    b.auditMaxBytes = auditMaxBytes;
    b.auditRequired = auditRequired;
    b.trustedUserCaKeys = trustedUserCaKeys;
    b.authorizedPrincipalsDir = authorizedPrincipalsDir;
    b.revokedKeys = revokedKeys;
    b.authWebhook = authWebhook;
    b.passwordAuth = passwordAuth;
    b.web = web;
    return b;
  }

  /** The web terminal, if it is on. */
  public Optional<WebOptions> web() {
    return Optional.ofNullable(web);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Path hostKey() {
    return hostKey;
  }

  /** One authorized_keys file for every user name. */
  public Optional<Path> authorizedKeys() {
    return Optional.ofNullable(authorizedKeys);
  }

  /** A directory holding one authorized_keys file per user, named as the user. */
  public Optional<Path> authorizedKeysDir() {
    return Optional.ofNullable(authorizedKeysDir);
  }

  /** The CA keys whose user certificates are admitted (sshd's TrustedUserCAKeys). */
  public Optional<Path> trustedUserCaKeys() {
    return Optional.ofNullable(trustedUserCaKeys);
  }

  /** {@code DIR/USER} lists the principals a certificate may have to log in as USER. */
  public Optional<Path> authorizedPrincipalsDir() {
    return Optional.ofNullable(authorizedPrincipalsDir);
  }

  /** Keys and certificates never admitted (sshd's RevokedKeys, text form). */
  public Optional<Path> revokedKeys() {
    return Optional.ofNullable(revokedKeys);
  }

  /** The webhook asked about each key (and password) a client offers. */
  public Optional<Webhook.Options> authWebhook() {
    return Optional.ofNullable(authWebhook);
  }

  /** Whether password authentication is offered (decided by the auth webhook). */
  public boolean passwordAuth() {
    return passwordAuth;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public int maxConnectionsPerUser() {
    return maxConnectionsPerUser;
  }

  public int maxUnauthenticated() {
    return maxUnauthenticated;
  }

  /** Connections of one address not yet authenticated (sshd's PerSourceMaxStartups). */
  public int maxUnauthenticatedPerSource() {
    return maxUnauthenticatedPerSource;
  }

  /** Above this many unauthenticated connections, new ones are dropped at random. */
  public int earlyDropStart() {
    return Math.min(earlyDropStart, maxUnauthenticated);
  }

  /** The chance, in percent, of that drop just above {@link #earlyDropStart()}. */
  public int earlyDropRate() {
    return earlyDropRate;
  }

  /** How long a client may take to send its identification line. */
  public Duration identificationTimeout() {
    return identificationTimeout;
  }

  /** Whether an address whose connections keep failing is refused for a while. */
  public boolean perSourcePenalties() {
    return perSourcePenalties;
  }

  /** The first penalty, and the score that earns it. */
  public Duration penaltyMin() {
    return penaltyMin;
  }

  /** The longest penalty. */
  public Duration penaltyMax() {
    return penaltyMax;
  }

  public int maxSessionsPerConnection() {
    return maxSessionsPerConnection;
  }

  public Duration loginGraceTime() {
    return loginGraceTime;
  }

  /** Zero: none. */
  public Duration idleTimeout() {
    return idleTimeout;
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

  /** Exec requests are refused. */
  public boolean disableCommand() {
    return disableCommand;
  }

  /** Shell requests are refused. */
  public boolean disableShell() {
    return disableShell;
  }

  /** Subsystem requests are refused. */
  public boolean disableSubsystems() {
    return disableSubsystems;
  }

  /** MINA SSHD's wider default algorithms instead of the modern set. */
  public boolean legacyAlgorithms() {
    return legacyAlgorithms;
  }

  /** Where the audit log and the session recordings go; empty: no audit. */
  public Optional<Path> auditDir() {
    return Optional.ofNullable(auditDir);
  }

  /** Recordings hold what the client typed too. */
  public boolean auditInput() {
    return auditInput;
  }

  /** The size at which one session's recording stops. */
  public long auditMaxBytes() {
    return auditMaxBytes;
  }

  /** Sessions are refused while the audit log cannot be written. */
  public boolean auditRequired() {
    return auditRequired;
  }

  private static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(re.toString());
  }

  @Override
  public String toString() {
    return "GatewayOptions[" + host + ":" + port + ", hostKey=" + hostKey + ", "
        + (authorizedKeys != null ? "authorizedKeys=" + authorizedKeys + ", "
            : authorizedKeysDir != null ? "authorizedKeysDir=" + authorizedKeysDir + ", " : "")
        + (trustedUserCaKeys != null ? "trustedUserCaKeys=" + trustedUserCaKeys + ", " : "")
        + (authWebhook != null ? "authWebhook=" + authWebhook.url() + ", " : "")
        + (passwordAuth ? "passwordAuth, " : "") + "maxConnections=" + maxConnections
        + ", perUser=" + maxConnectionsPerUser + ", maxUnauthenticated=" + maxUnauthenticated
        + ", maxSessionsPerConnection=" + maxSessionsPerConnection
        + ", loginGraceTime=" + loginGraceTime + ", idleTimeout=" + idleTimeout
        + ", envAllow=" + envAllow + (disableCommand ? ", disableCommand" : "")
        + (disableShell ? ", disableShell" : "")
        + (disableSubsystems ? ", disableSubsystems" : "")
        + (auditDir != null ? ", auditDir=" + auditDir + ", auditMaxBytes=" + auditMaxBytes
            + (auditInput ? ", auditInput" : "") + (auditRequired ? ", auditRequired" : "")
            : "") + (web != null ? ", web=" + web : "") + "]";
  }

  /** Collects the options; every setter checks its value at once. */
  public static final class Builder {
    private Path hostKey;
    private String host = "127.0.0.1";
    private int port = 2022;
    private Path authorizedKeys;
    private Path authorizedKeysDir;
    private int maxConnections = 200;
    private int maxConnectionsPerUser = 10;
    private int maxUnauthenticated = 100;
    private int maxUnauthenticatedPerSource = 10;
    private int earlyDropStart = 50;
    private int earlyDropRate = 30;
    private Duration identificationTimeout = Duration.ofSeconds(10);
    private boolean perSourcePenalties = true;
    private Duration penaltyMin = Duration.ofSeconds(15);
    private Duration penaltyMax = Duration.ofMinutes(10);
    private int maxSessionsPerConnection = 10;
    private Duration loginGraceTime = Duration.ofMinutes(2);
    private Duration idleTimeout = Duration.ofHours(1);
    private List<String> envAllow = new ArrayList<>(List.of("*"));
    private boolean envAllowSet;
    private boolean disableCommand;
    private boolean disableShell;
    private boolean disableSubsystems;
    private boolean legacyAlgorithms;
    private Path auditDir;
    private boolean auditInput;
    private long auditMaxBytes = 64L << 20;
    private boolean auditRequired;
    private Path trustedUserCaKeys;
    private Path authorizedPrincipalsDir;
    private Path revokedKeys;
    private Webhook.Options authWebhook;
    private boolean passwordAuth;
    private WebOptions web;

    private Builder(Path hostKey) {
      this.hostKey = Objects.requireNonNull(hostKey, "hostKey");
    }

    /** Where the host key is read from, or generated on first start. */
    public Builder hostKey(Path hostKey) {
      this.hostKey = Objects.requireNonNull(hostKey, "hostKey");
      return this;
    }

    /**
     * Where to listen. Default: 127.0.0.1:2022, this machine only; {@code 0.0.0.0} serves
     * every address. Port 0: any free one ({@link GatewayServer#port()} tells).
     */
    public Builder listen(String host, int port) {
      if (Objects.requireNonNull(host, "host").isBlank()) {
        throw new IllegalArgumentException("listen host must not be blank (0.0.0.0 for all)");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("listen port " + port + " must be 0..65535");
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /** One authorized_keys file (OpenSSH format) for every user name. */
    public Builder authorizedKeys(Path file) {
      this.authorizedKeys = Objects.requireNonNull(file, "file");
      this.authorizedKeysDir = null;
      return this;
    }

    /** A directory with one authorized_keys file per user: {@code DIR/USER}. */
    public Builder authorizedKeysDir(Path dir) {
      this.authorizedKeysDir = Objects.requireNonNull(dir, "dir");
      this.authorizedKeys = null;
      return this;
    }

    /** Connections at once, authenticated or not. Default: 200. */
    public Builder maxConnections(int max) {
      this.maxConnections = positive("maxConnections", max);
      return this;
    }

    /** Authenticated connections of one user at once. Default: 10. */
    public Builder maxConnectionsPerUser(int max) {
      this.maxConnectionsPerUser = positive("maxConnectionsPerUser", max);
      return this;
    }

    /**
     * Connections not yet authenticated at once (the full mark of sshd's MaxStartups): more are
     * dropped before the key exchange. Default: 100.
     */
    public Builder maxUnauthenticated(int max) {
      this.maxUnauthenticated = positive("maxUnauthenticated", max);
      return this;
    }

    /**
     * Connections of one address not yet authenticated at once (sshd's PerSourceMaxStartups):
     * more from it are dropped at once, so one address cannot hold every slot. Default: 10;
     * raise it for many logins at once from one machine (a CI runner).
     */
    public Builder maxUnauthenticatedPerSource(int max) {
      this.maxUnauthenticatedPerSource = positive("maxUnauthenticatedPerSource", max);
      return this;
    }

    /**
     * Random early drop, as sshd's MaxStartups {@code start:rate:full}: above {@code start}
     * unauthenticated connections a new one is dropped with a chance of {@code rate} percent,
     * growing to 100% at {@link #maxUnauthenticated(int) full}. Default: 50 and 30 (a class of
     * fifty logging in at one moment is never dropped at random).
     */
    public Builder earlyDrop(int start, int rate) {
      this.earlyDropStart = positive("earlyDrop start", start);
      if (rate < 0 || rate > 100) {
        throw new IllegalArgumentException("earlyDrop rate " + rate + " must be 0..100 "
            + "(percent)");
      }
      this.earlyDropRate = rate;
      return this;
    }

    /**
     * How long a client may take to send its identification line ({@code SSH-2.0-…}) and
     * finish the first key exchange, before the login grace time matters: a connection that
     * says nothing, or garbage after its banner, holds a slot no longer. Default: 10 s.
     */
    public Builder identificationTimeout(Duration d) {
      Objects.requireNonNull(d, "identificationTimeout");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("identificationTimeout " + d + " must be positive");
      }
      this.identificationTimeout = d;
      return this;
    }

    /**
     * Penalties per address, as sshd's PerSourcePenalties: a connection that fails
     * authentication (and never succeeds) costs its address 5 s, one that breaks the protocol
     * 10 s; the cost leaks away at one second per second, and an address whose cost reaches
     * {@code min} is refused for {@code min}, doubling with each repeat up to {@code max}.
     * Default: on, 15 s and 10 min.
     */
    public Builder perSourcePenalties(boolean on, Duration min, Duration max) {
      Objects.requireNonNull(min, "penalty min");
      Objects.requireNonNull(max, "penalty max");
      if (min.toSeconds() < 1 || max.compareTo(min) < 0) {
        throw new IllegalArgumentException("penalties need 1 s <= min <= max, got " + min
            + " and " + max);
      }
      this.perSourcePenalties = on;
      this.penaltyMin = min;
      this.penaltyMax = max;
      return this;
    }

    /**
     * Session channels open at once on one connection (sshd's MaxSessions): each is a process
     * in the user's container and a stream to the Docker host, so one login cannot open
     * thousands. One more is refused at its channel open ("administratively prohibited",
     * with a message that names the limit); the connection and its sessions go on. Default: 10.
     */
    public Builder maxSessionsPerConnection(int max) {
      this.maxSessionsPerConnection = positive("maxSessionsPerConnection", max);
      return this;
    }

    /** How long a client may take to authenticate (sshd's LoginGraceTime). Default: 2 min. */
    public Builder loginGraceTime(Duration d) {
      Objects.requireNonNull(d, "loginGraceTime");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("loginGraceTime " + d + " must be positive");
      }
      this.loginGraceTime = d;
      return this;
    }

    /** A connection with no traffic this long is closed; zero for never. Default: 1 hour. */
    public Builder idleTimeout(Duration d) {
      Objects.requireNonNull(d, "idleTimeout");
      if (d.isNegative()) {
        throw new IllegalArgumentException("idleTimeout " + d + " must not be negative");
      }
      this.idleTimeout = d;
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

    /**
     * Offers MINA SSHD's wider defaults (NIST-curve key exchange, SHA-1 and encrypt-and-MAC
     * MACs, {@code ssh-rsa} signatures) for clients too old for the modern set, which is:
     * key exchange mlkem768x25519-sha256, sntrup761x25519-sha512, curve25519-sha256,
     * diffie-hellman-group16/18-sha512 and group exchange over SHA-256; ciphers
     * chacha20-poly1305, AES-GCM and AES-CTR; MACs hmac-sha2-512/256-etm; host key signatures
     * ssh-ed25519 and rsa-sha2-512/256. Default: false; true logs a WARN at start.
     */
    public Builder legacyAlgorithms(boolean legacy) {
      this.legacyAlgorithms = legacy;
      return this;
    }

    /**
     * Writes an audit log of every connection ({@code DIR/CONNECTION.jsonl}: connect, keys
     * tried, requests, refusals, exits, containers, disconnect) and a recording of every shell
     * and exec session's output ({@code DIR/CONNECTION-CHANNEL.cast}, asciicast v2) in {@code
     * dir}, made 0700 if missing, each file 0600. Default: none.
     */
    public Builder auditDir(Path dir) {
      this.auditDir = Objects.requireNonNull(dir, "auditDir");
      return this;
    }

    /**
     * Recordings hold the client's input too: what users type, passwords in the container
     * included. Default: false.
     */
    public Builder auditInput(boolean input) {
      this.auditInput = input;
      return this;
    }

    /**
     * A recording stops at this size (the session goes on; the audit log says it was
     * truncated). Default: 64 MiB.
     */
    public Builder auditMaxBytes(long max) {
      if (max < 1024) {
        throw new IllegalArgumentException("auditMaxBytes " + max + " must be at least 1024");
      }
      this.auditMaxBytes = max;
      return this;
    }

    /**
     * Refuses new sessions while the audit log cannot be written (each client is told why);
     * without it they go on unrecorded. Either way an ERROR line says so, once. Default: false.
     */
    public Builder auditRequired(boolean required) {
      this.auditRequired = required;
      return this;
    }

    /**
     * Admits OpenSSH user certificates signed by a CA whose public key is listed in {@code
     * file} (one a line, as sshd's TrustedUserCAKeys), for a user name among their principals
     * (or, with {@link #authorizedPrincipalsDir}, listed there). Their validity window,
     * source-address and force-command are enforced; an unknown critical option refuses. The
     * file is read at start and on {@link GatewayServer#reconfigure}. Default: none.
     */
    public Builder trustedUserCaKeys(Path file) {
      this.trustedUserCaKeys = Objects.requireNonNull(file, "trustedUserCaKeys");
      return this;
    }

    /**
     * With {@link #trustedUserCaKeys}: a certificate admits USER when one of its principals is
     * a line of {@code DIR/USER} (sshd's AuthorizedPrincipalsFile), and no file means no
     * certificate admits USER. Default: none (USER must be a principal).
     */
    public Builder authorizedPrincipalsDir(Path dir) {
      this.authorizedPrincipalsDir = Objects.requireNonNull(dir, "authorizedPrincipalsDir");
      return this;
    }

    /**
     * Refuses the keys and certificates listed in {@code file} (OpenSSH public key lines; a
     * certificate's own key is revoked with its certificates), whatever else would admit
     * them. Reread when it changes. Default: none.
     */
    public Builder revokedKeys(Path file) {
      this.revokedKeys = Objects.requireNonNull(file, "revokedKeys");
      return this;
    }

    /**
     * Asks {@code webhook} (POST, JSON) about each public key a client offers that nothing
     * else admitted, and about each password with {@link #passwordAuth}; admitted only when
     * it answers {@code {"success": true}} within its timeout. Default: none.
     */
    public Builder authWebhook(Webhook.Options webhook) {
      this.authWebhook = Objects.requireNonNull(webhook, "authWebhook");
      return this;
    }

    /** Offers password authentication, decided by the auth webhook only. Default: false. */
    public Builder passwordAuth(boolean on) {
      this.passwordAuth = on;
      return this;
    }

    /**
     * Serves a terminal in the browser as {@code web} says: a page whose sessions are this
     * gateway's like an SSH connection's, reached with a login link ({@code ssh -s web-link}).
     * Default: none.
     */
    public Builder web(WebOptions web) {
      this.web = Objects.requireNonNull(web, "web");
      return this;
    }

    /** No web terminal, the default: undoes {@link #web}. */
    public Builder noWeb() {
      this.web = null;
      return this;
    }

    private static int positive(String what, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " " + n + " must be at least 1");
      }
      return n;
    }

    /**
     * @throws IllegalStateException with no way to log in (authorized keys, trusted CA keys
     *     or an auth webhook), or password authentication without the auth webhook
     */
    public GatewayOptions build() {
      if (authorizedKeys == null && authorizedKeysDir == null && trustedUserCaKeys == null
          && authWebhook == null) {
        throw new IllegalStateException("nobody could log in: give authorizedKeys(FILE), "
            + "authorizedKeysDir(DIR), trustedUserCaKeys(FILE) or authWebhook(URL)");
      }
      if (passwordAuth && authWebhook == null) {
        throw new IllegalStateException("password authentication is decided by the auth "
            + "webhook only: give authWebhook(URL) with passwordAuth(true)");
      }
      if (authorizedPrincipalsDir != null && trustedUserCaKeys == null) {
        throw new IllegalStateException("authorizedPrincipalsDir applies to certificates: give "
            + "trustedUserCaKeys(FILE) too");
      }
      return new GatewayOptions(this);
    }
  }
}
