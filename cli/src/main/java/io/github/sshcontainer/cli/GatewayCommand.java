package io.github.sshcontainer.cli;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.cli.log.Logs;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.DockerEndpoint;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.GatewayServer;
import io.github.sshcontainer.gateway.WebOptions;
import io.github.sshcontainer.gateway.Webhook;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.docker.DockerBackend;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.UserMapping;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "gateway", mixinStandardHelpOptions = true,
    subcommands = GatewayWebLinkCommand.class,
    description = "An SSH server that lands every connection in a container made on demand on "
        + "the Docker host DEST (ssh://…, an ssh config alias, unix:///path or tcp://host:port "
        + "with TLS). Public keys only; forwarding refused; nothing runs on this host. Runs "
        + "until SIGINT or SIGTERM (after --drain-timeout); SIGHUP reloads --config and the "
        + "authorized keys. The first line is `listening on HOST:PORT`.")
final class GatewayCommand implements Callable<Integer> {
  /** A duration as {@link #duration} takes it; {@link GatewayConfigFile} checks with it. */
  static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");
  /** A size as {@link #bytes} takes it. */
  static final Pattern BYTES = Pattern.compile("(\\d+)([kmgKMG])?[bB]?");

  @Mixin
  SshOptions ssh;

  @Mixin
  DockerSocketOption socket;

  @Parameters(arity = "0..1", paramLabel = "DEST",
      description = "The Docker host (default: DOCKER_HOST=ssh://… or the current context).")
  String dest;

  @Option(names = "--listen", paramLabel = "[HOST:]PORT", defaultValue = "127.0.0.1:2022",
      description = "Where to listen (default: ${DEFAULT-VALUE}; 0.0.0.0:PORT for every "
          + "address, port 0 for any free one).")
  String listen;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A YAML file of options: every long option is a key without the dashes "
          + "(image: busybox, max-connections: 200, env-allow: [LANG]), plus docker: "
          + "{config, host, network, platform} passed to Docker; an option on the command "
          + "line wins over the file.")
  Path config;

  @Option(names = "--check-config",
      description = "Check the configuration, print it in effect (YAML, secrets as ***) and "
          + "exit: 0 if valid, 2 if not. Connects to nothing.")
  boolean checkConfig;

  // required, checked in call(): it may come from the --config file
  @Option(names = "--image", paramLabel = "IMAGE",
      description = "The image of every container (required, here or in the --config file).")
  String image;

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = "connection",
      description = "connection (one container per connection, an exec per session; the "
          + "default), session (a container per session) or user (one container per user name, "
          + "shared by all their connections, removed --user-idle-timeout after the last).")
  String mode;

  @Option(names = "--warm", paramLabel = "N", defaultValue = "0",
      description = "Keep N containers created and started for the next connection-mode "
          + "logins, refilled in the background; a login with settings of its own (a match "
          + "block, the config webhook, --home-volume) makes its own (default: 0, none).")
  int warm;

  @Option(names = "--user-idle-timeout", paramLabel = "DURATION", defaultValue = "15m",
      description = "In user mode, how long a user's container stays after their last "
          + "connection ended (default: 15m).")
  String userIdleTimeout;

  @Option(names = "--host-key", paramLabel = "FILE",
      description = "The host key, generated (ed25519) on first start and reused (default: "
          + "$SSH_CONTAINER_STATE_DIR/gateway_host_ed25519_key, else "
          + "~/.ssh-container/gateway_host_ed25519_key).")
  Path hostKey;

  @Option(names = "--authorized-keys", paramLabel = "FILE",
      description = "authorized_keys (OpenSSH format) for every user name.")
  Path authorizedKeys;

  @Option(names = "--authorized-keys-dir", paramLabel = "DIR",
      description = "One authorized_keys file per user: DIR/USER.")
  Path authorizedKeysDir;

  @Option(names = "--shell", paramLabel = "CMD", defaultValue = "/bin/sh",
      description = "The shell (words split on spaces); exec runs SHELL -c COMMAND "
          + "(default: ${DEFAULT-VALUE}).")
  String shell;

  @Option(names = "--idle-command", paramLabel = "CMD",
      description = "What keeps a connection's container alive (words split on spaces; "
          + "default: a shell loop that exits on TERM).")
  String idleCommand;

  @Option(names = "--subsystem", paramLabel = "NAME=PATH",
      description = "Run PATH in the container for subsystem NAME, e.g. "
          + "sftp=/usr/lib/openssh/sftp-server (repeatable).")
  List<String> subsystems = new ArrayList<>();

  @Option(names = "--env", paramLabel = "NAME=VALUE",
      description = "Set NAME to VALUE in every container (repeatable; a match block or the "
          + "config webhook may add names or give others values).")
  List<String> env = new ArrayList<>();

  @Option(names = "--env-allow", paramLabel = "NAME",
      description = "Env variables (SendEnv/SetEnv) that pass, * as a wildcard (repeatable; "
          + "default: all).")
  List<String> envAllow = new ArrayList<>();

  @Option(names = "--disable-command", description = "Refuse exec requests.")
  boolean disableCommand;

  @Option(names = "--disable-shell", description = "Refuse shell requests.")
  boolean disableShell;

  @Option(names = "--disable-subsystems", description = "Refuse subsystem requests.")
  boolean disableSubsystems;

  @Option(names = "--pull", paramLabel = "POLICY", defaultValue = "if-not-present",
      description = "always, if-not-present (a :latest or untagged image is pulled anyway) or "
          + "never (default: ${DEFAULT-VALUE}).")
  String pull;

  @Option(names = "--network", paramLabel = "MODE", defaultValue = "none",
      description = "The containers' network (default: ${DEFAULT-VALUE}).")
  String network;

  @Option(names = "--memory", paramLabel = "BYTES", description = "Memory limit (512m, 2g).")
  String memory;

  @Option(names = "--cpus", paramLabel = "N", description = "CPU limit (0.5, 2).")
  Double cpus;

  @Option(names = "--pids-limit", paramLabel = "N", defaultValue = "256",
      description = "The most processes per container (default: ${DEFAULT-VALUE}).")
  long pidsLimit;

  @Option(names = "--privileged", description = "Run privileged containers (never by default).")
  boolean privileged;

  @Option(names = "--max-connections", paramLabel = "N", defaultValue = "200",
      description = "Connections at once (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--max-connections-per-user", paramLabel = "N", defaultValue = "10",
      description = "Connections of one user at once (default: ${DEFAULT-VALUE}).")
  int maxPerUser;

  @Option(names = "--max-unauthenticated", paramLabel = "N", defaultValue = "100",
      description = "Connections not yet authenticated, from everyone (the full mark of "
          + "sshd's MaxStartups; default: ${DEFAULT-VALUE}).")
  int maxUnauthenticated;

  @Option(names = "--max-unauthenticated-per-source", paramLabel = "N", defaultValue = "10",
      description = "Connections not yet authenticated from one address (sshd's "
          + "PerSourceMaxStartups; default: ${DEFAULT-VALUE}).")
  int maxUnauthenticatedPerSource;

  @Option(names = "--early-drop", paramLabel = "START:RATE", defaultValue = "50:30",
      description = "Above START connections not yet authenticated, drop a new one with a "
          + "chance of RATE percent, growing to 100 at --max-unauthenticated (sshd's "
          + "MaxStartups; default: ${DEFAULT-VALUE}).")
  String earlyDrop;

  @Option(names = "--identification-timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "Time a client has to send its SSH identification line (default: "
          + "${DEFAULT-VALUE}).")
  String identificationTimeout;

  @Option(names = "--no-penalties",
      description = "Do not refuse, for a growing time, an address whose connections keep "
          + "failing authentication or the protocol (sshd's PerSourcePenalties; on by "
          + "default).")
  boolean noPenalties;

  @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "10",
      description = "Sessions open at once on one connection (sshd's MaxSessions; default: "
          + "${DEFAULT-VALUE}).")
  int maxSessions;

  @Option(names = "--login-grace-time", paramLabel = "DURATION", defaultValue = "2m",
      description = "Time to authenticate (default: ${DEFAULT-VALUE}).")
  String loginGrace;

  @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "1h",
      description = "Close a connection without traffic this long; 0 for never (default: "
          + "${DEFAULT-VALUE}).")
  String idleTimeout;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
      description = "Time a container may take to start (default: ${DEFAULT-VALUE}).")
  String startTimeout;

  @Option(names = "--stop-timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "After TERM, time before KILL when a container stops (default: "
          + "${DEFAULT-VALUE}).")
  String stopTimeout;

  @Option(names = "--metrics", paramLabel = "[HOST:]PORT",
      description = "Serve GET /metrics (Prometheus) and GET /health over plain HTTP there "
          + "(HOST defaults to 127.0.0.1; port 0 for any free one; default: off). The second "
          + "line is then `metrics on HOST:PORT`.")
  String metrics;

  @Option(names = "--web", paramLabel = "[HOST:]PORT",
      description = "Serve a terminal in the browser there (HOST defaults to 127.0.0.1; "
          + "default: off). A user gets a login link with `ssh -s web-link`, an operator with "
          + "`gateway web-link USER`. Plain HTTP only on loopback unless --web-insecure.")
  String web;

  @Option(names = "--web-reconnect", paramLabel = "DURATION", defaultValue = "2m",
      description = "How long a web session's shell waits for a page that dropped (default: "
          + "${DEFAULT-VALUE}).")
  String webReconnect;

  @Option(names = "--web-link-ttl", paramLabel = "DURATION", defaultValue = "2m",
      description = "How long a login link is valid, once (default: ${DEFAULT-VALUE}).")
  String webLinkTtl;

  @Option(names = "--web-tls-cert", paramLabel = "FILE",
      description = "Serve the web terminal with TLS: this PEM certificate chain.")
  Path webTlsCert;

  @Option(names = "--web-tls-key", paramLabel = "FILE",
      description = "The PEM private key of --web-tls-cert.")
  Path webTlsKey;

  @Option(names = "--web-insecure",
      description = "Let the web terminal serve plain HTTP on a network address (anyone on "
          + "the way reads links and keystrokes).")
  boolean webInsecure;

  @Option(names = "--web-url", paramLabel = "URL",
      description = "The web terminal's address as users reach it, behind a proxy "
          + "(https://terminal.example.org/): links point there and its origin is admitted.")
  String webUrl;

  @Option(names = "--tlscacert", paramLabel = "FILE", description = "tcp:// DEST: the CA.")
  Path tlsCa;

  @Option(names = "--tlscert", paramLabel = "FILE",
      description = "tcp:// DEST: the client certificate.")
  Path tlsCert;

  @Option(names = "--tlskey", paramLabel = "FILE", description = "tcp:// DEST: its key.")
  Path tlsKey;

  @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
      description = "text ([thread] LEVEL logger - message; the default) or json (one object "
          + "per line: time, level, logger, thread, message, connection, user, client, event, "
          + "error), one line per event on stderr.")
  String logFormat;

  @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "0s",
      description = "On SIGTERM or SIGINT: stop accepting, then give the sessions open this "
          + "long to end by themselves before their containers are stopped and removed "
          + "(default: ${DEFAULT-VALUE}, at once).")
  String drainTimeout;

  @Option(names = "--legacy-algorithms",
      description = "Also offer MINA SSHD's older algorithms (NIST-curve key exchange, SHA-1 "
          + "MACs, ssh-rsa signatures) for clients too old for the modern set; logs a WARN.")
  boolean legacyAlgorithms;

  @Option(names = "--cap-add", paramLabel = "CAP",
      description = "Keep this capability in the containers too (repeatable; the default set "
          + "is CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID).")
  List<String> capAdd = new ArrayList<>();

  @Option(names = "--cap-drop", paramLabel = "CAP",
      description = "Drop this capability from the containers' set too; ALL drops them all "
          + "(repeatable).")
  List<String> capDrop = new ArrayList<>();

  @Option(names = "--new-privileges",
      description = "Let setuid binaries and file capabilities raise a process's privileges "
          + "(off by default: Docker's no-new-privileges).")
  boolean newPrivileges;

  @Option(names = "--user", paramLabel = "USER[:GROUP]",
      description = "Run every login's processes as this user of the image (default: the "
          + "image's USER); with --user-mapping image only.")
  String user;

  @Option(names = "--user-mapping", paramLabel = "MAPPING", defaultValue = "image",
      description = "Whom a login runs as in its container: login (the image's user of the "
          + "login's name, from its /etc/passwd, in that user's home; a name the image lacks "
          + "is refused), image (the image's USER, or --user; the default) or root.")
  String userMapping;

  @Option(names = "--home-volume", paramLabel = "PATH",
      description = "Give each user a Docker named volume, sshcontainer-home-USER, mounted at "
          + "PATH in their containers: files there outlive the container (never removed by the "
          + "gateway; default: none).")
  String homeVolume;

  @Option(names = "--container-name", paramLabel = "TEMPLATE",
      description = "Name each container after this template: {user} and {connection} are the "
          + "login's user and the connection's id (it must hold {connection}); session mode "
          + "adds -N (default: Docker's own names).")
  String containerName;

  @Option(names = "--read-only",
      description = "A read-only root filesystem, with tmpfs at /tmp, /root and /home.")
  boolean readOnly;

  @Option(names = "--audit-dir", paramLabel = "DIR",
      description = "Write an audit log of every connection (DIR/CONNECTION.jsonl) and a "
          + "recording of every shell and exec session (DIR/CONNECTION-CHANNEL.cast, asciicast "
          + "v2) here; made 0700 if missing, every file 0600 (default: none).")
  Path auditDir;

  @Option(names = "--audit-input",
      description = "Recordings hold what the client types too (passwords typed in the "
          + "container included).")
  boolean auditInput;

  @Option(names = "--audit-max-bytes", paramLabel = "BYTES", defaultValue = "64m",
      description = "A recording stops at this size, the session goes on (default: "
          + "${DEFAULT-VALUE}).")
  String auditMaxBytes;

  @Option(names = "--audit-required",
      description = "Refuse new sessions while the audit log cannot be written (default: they "
          + "go on unrecorded); either way one ERROR line says so.")
  boolean auditRequired;

  @Option(names = "--trusted-user-ca-keys", paramLabel = "FILE",
      description = "Admit OpenSSH user certificates signed by a CA key listed here (one "
          + "public key a line, as sshd's TrustedUserCAKeys) for the names among their "
          + "principals.")
  Path trustedUserCaKeys;

  @Option(names = "--authorized-principals-dir", paramLabel = "DIR",
      description = "With --trusted-user-ca-keys: a certificate admits USER when one of its "
          + "principals is listed in DIR/USER (as sshd's AuthorizedPrincipalsFile), instead of "
          + "when USER is a principal.")
  Path authorizedPrincipalsDir;

  @Option(names = "--revoked-keys", paramLabel = "FILE",
      description = "Refuse the public keys and certificates listed here (one a line, "
          + "OpenSSH's public key form), whatever else would admit them.")
  Path revokedKeys;

  @Option(names = "--auth-webhook", paramLabel = "URL",
      description = "Ask this URL (POST, JSON) whether to admit each public key a client "
          + "offers; with --password-auth, each password too.")
  String authWebhook;

  @Option(names = "--password-auth",
      description = "Offer password authentication, decided by --auth-webhook (never by this "
          + "host's accounts).")
  boolean passwordAuth;

  @Option(names = "--config-webhook", paramLabel = "URL",
      description = "After authentication, ask this URL (POST, JSON) for the login's "
          + "container settings, merged over the file's.")
  String configWebhook;

  @Option(names = "--config-webhook-allow", paramLabel = "KEY",
      description = "A container key the configuration webhook may set beyond the plain ones "
          + "(privileged, docker.host, ...; none by default). Repeatable.")
  List<String> configWebhookAllow = new ArrayList<>();

  @Option(names = "--webhook-timeout", paramLabel = "DURATION", defaultValue = "5s",
      description = "Each webhook call's deadline; past it the login is refused (default: "
          + "${DEFAULT-VALUE}).")
  String webhookTimeout;

  @Option(names = "--webhook-ca", paramLabel = "FILE",
      description = "https webhooks: trust the CA certificates in this PEM file (default: the "
          + "JDK's).")
  Path webhookCa;

  @Option(names = "--webhook-cert", paramLabel = "FILE",
      description = "https webhooks: present this PEM client certificate (mutual TLS).")
  Path webhookCert;

  @Option(names = "--webhook-key", paramLabel = "FILE",
      description = "https webhooks: the PEM private key of --webhook-cert.")
  Path webhookKey;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The gateway's own log, where its INFO lines show. */
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  /** What a reload keeps: settings of the listener, the Docker host, metrics and logs. */
  private static final Set<String> RESTART_ONLY = Set.of("listen", "host-key", "metrics",
      "log-format", "identity", "known-hosts", "remote-socket", "tlscacert", "tlscert",
      "tlskey", "drain-timeout", "legacy-algorithms", "accept-new", "passphrase-env",
      "password-env", "connect-timeout", "audit-dir", "audit-input", "audit-max-bytes",
      "audit-required", "web", "web-reconnect", "web-link-ttl", "web-tls-cert", "web-tls-key",
      "web-insecure", "web-url");

  /** The webhook at {@code url} with the shared --webhook-* settings. */
  Webhook.Options webhookOptions(String option, String url) {
    try {
      return new Webhook.Options(java.net.URI.create(url), duration("--webhook-timeout",
          webhookTimeout, false), Optional.ofNullable(webhookCa),
          Optional.ofNullable(webhookCert), Optional.ofNullable(webhookKey));
    } catch (IllegalArgumentException e) {
      throw usage(option + ": " + e.getMessage());
    }
  }

  /**
   * What {@link #call} runs with, made from the options before anything connects; {@code
   * perUser} owns the config webhook's client.
   */
  private record Configured(DockerBackendOptions backend, PerUserSettings perUser,
      GatewayOptions gateway, InetSocketAddress metricsAt) {}

  @Override
  public Integer call() throws Exception {
    GatewayConfigFile file = null;
    Configured configured;
    try {
      if (config != null) {
        file = GatewayConfigFile.read(config, spec);
        file.applyTo(spec);
      }
      try {
        Logs.format(Logs.Format.of(logFormat));
      } catch (IllegalArgumentException e) {
        throw usage("--log-format takes text or json, got " + logFormat);
      }
      configured = configure(file);
    } catch (GatewayConfigFile.Invalid e) {
      spec.commandLine().getErr().println("ssh-container: error: " + e.getMessage());
      return 2;
    } catch (CommandLine.ParameterException e) {
      if (file == null) {
        throw e;
      }
      // with a file, a usage error is one line too, at the key when the value came from it
      String msg = e.getMessage();
      String key = msg.startsWith("--") ? msg.substring(2).split("[ =]", 2)[0] : "";
      spec.commandLine().getErr().println("ssh-container: error: " + (file.keys().contains(key)
          && !spec.commandLine().getParseResult().hasMatchedOption("--" + key)
          ? file.where(key) + ": key '" + key + "'" : file.file()) + ": " + msg);
      return 2;
    }
    if (checkConfig) {
      configured.perUser().close();
      System.out.print(GatewayConfigFile.yaml(GatewayConfigFile.effective(spec, file)));
      System.out.flush();
      return 0;
    }
    return run(configured, file);
  }

  /**
   * The containers' options from this command's container keys (image, limits, shell, ...)
   * and Docker's own settings {@code docker}: the top level's, or a match block's over it.
   *
   * @throws CommandLine.ParameterException a value that cannot be used, naming its option
   */
  DockerBackendOptions backendOptions(GatewayConfigFile.DockerSections docker) {
    DockerBackendOptions.Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
      case "connection" -> DockerBackendOptions.Mode.CONNECTION;
      case "session" -> DockerBackendOptions.Mode.SESSION;
      case "user" -> DockerBackendOptions.Mode.USER;
      default -> throw usage("--mode takes connection, session or user, got " + mode);
    };
    PullPolicy policy;
    try {
      policy = PullPolicy.valueOf(pull.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw usage("--pull takes always, if-not-present or never, got " + pull);
    }
    ContainerSpec.Builder c;
    try {
      c = ContainerSpec.of(image);
    } catch (IllegalArgumentException e) {
      throw usage("--image: " + e.getMessage());
    }
    c.pullPolicy(policy).networkMode(network).pidsLimit(pidsLimit).privileged(privileged)
        .startTimeout(duration("--start-timeout", startTimeout, false))
        .stopTimeout(duration("--stop-timeout", stopTimeout, false));
    if (idleCommand != null) {
      c.idleCommand(words(idleCommand));
    }
    if (memory != null) {
      c.memoryBytes(bytes("--memory", memory));
    }
    if (cpus != null) {
      c.cpus(cpus);
    }
    if (!docker.isEmpty()) {
      c.passthrough(docker.config(), docker.host(), docker.network());
      if (docker.platform() != null) {
        c.platform(docker.platform());
      }
    }
    for (String e : env) {
      String[] kv = e.split("=", 2);
      if (kv.length != 2) {
        throw usage("--env takes NAME=VALUE, got " + e);
      }
      try {
        c.env(kv[0], kv[1]);
      } catch (IllegalArgumentException bad) {
        throw usage("--env " + e + ": " + bad.getMessage());
      }
    }
    if (user != null) {
      c.user(user);
    }
    if (readOnly) {
      c.readOnlyRootfs(true);
      for (String dir : List.of("/tmp", "/root", "/home")) {
        if (!dir.equals(homeVolume)) { // the home volume is mounted there instead
          c.tmpfs(dir, "rw,nosuid,nodev,size=64m");
        }
      }
    }
    UserMapping mapping = switch (userMapping.toLowerCase(Locale.ROOT)) {
      case "login" -> UserMapping.LOGIN;
      case "image" -> UserMapping.IMAGE;
      case "root" -> UserMapping.ROOT;
      default -> throw usage("--user-mapping takes login, image or root, got " + userMapping);
    };
    if (user != null && mapping != UserMapping.IMAGE) {
      throw usage("--user " + user + " and --user-mapping " + userMapping + " name two users: "
          + "--user is the user of --user-mapping image; drop one of them");
    }
    DockerBackendOptions.Builder o = DockerBackendOptions.builder(c.build()).mode(m)
        .shell(words(shell)).noNewPrivileges(!newPrivileges).userMapping(mapping);
    try {
      o.containerName(containerName);
      // a match block's mode other than connection takes no warm containers (the pool is the
      // top level's); the top level's own mode is checked in configure
      o.warm(m == DockerBackendOptions.Mode.CONNECTION ? warm : 0);
      o.userIdleTimeout(duration("--user-idle-timeout", userIdleTimeout, false));
      if (homeVolume != null) {
        o.homeVolume(homeVolume);
      }
      capDrop.forEach(o::capDrop);
      capAdd.forEach(o::capAdd);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    for (String s : subsystems) {
      String[] kv = s.split("=", 2);
      if (kv.length != 2) {
        throw usage("--subsystem takes NAME=PATH, got " + s);
      }
      try {
        o.subsystem(kv[0], words(kv[1]));
      } catch (IllegalArgumentException e) {
        throw usage("--subsystem " + s + ": " + e.getMessage());
      }
    }
    try {
      return o.build();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private Configured configure(GatewayConfigFile file) {
    if (image == null) {
      throw usage("Missing required option: '--image=IMAGE' (or the key image: in the "
          + "--config file)");
    }
    if (authorizedKeys != null && authorizedKeysDir != null) {
      throw usage("give one of --authorized-keys FILE and --authorized-keys-dir DIR, not both");
    }
    if (authorizedKeys == null && authorizedKeysDir == null && trustedUserCaKeys == null
        && authWebhook == null) {
      throw usage("nobody could log in: give --authorized-keys FILE, --authorized-keys-dir "
          + "DIR, --trusted-user-ca-keys FILE or --auth-webhook URL");
    }
    if (passwordAuth && authWebhook == null) {
      throw usage("--password-auth needs --auth-webhook URL: passwords are decided by the "
          + "webhook only");
    }
    if (authorizedPrincipalsDir != null && trustedUserCaKeys == null) {
      throw usage("--authorized-principals-dir needs --trusted-user-ca-keys FILE");
    }
    if (warm > 0 && !mode.equalsIgnoreCase("connection")) {
      throw usage("--warm is for --mode connection: mode " + mode + " makes its containers as "
          + "it needs them; drop --warm, or use connection mode");
    }
    DockerBackendOptions backend = backendOptions(file == null
        ? GatewayConfigFile.DockerSections.NONE : file.docker());
    GatewayOptions.Builder g = GatewayOptions.builder(hostKey != null ? hostKey
        : defaultHostKey()).disableCommand(disableCommand).disableShell(disableShell)
        .disableSubsystems(disableSubsystems).legacyAlgorithms(legacyAlgorithms)
        .maxConnections(maxConnections)
        .maxConnectionsPerUser(maxPerUser)
        .maxUnauthenticated(maxUnauthenticated)
        .maxUnauthenticatedPerSource(maxUnauthenticatedPerSource)
        .identificationTimeout(duration("--identification-timeout", identificationTimeout,
            false))
        .perSourcePenalties(!noPenalties, Duration.ofSeconds(15), Duration.ofMinutes(10))
        .maxSessionsPerConnection(maxSessions)
        .loginGraceTime(duration("--login-grace-time", loginGrace, false))
        .idleTimeout(duration("--idle-timeout", idleTimeout, true));
    for (String e : envAllow) {
      g.envAllow(e);
    }
    String[] drop = earlyDrop.split(":", 2);
    try {
      g.earlyDrop(Integer.parseInt(drop[0].trim()), Integer.parseInt(drop[1].trim()));
    } catch (RuntimeException e) {
      throw usage("--early-drop takes START:RATE such as 50:30, got " + earlyDrop);
    }
    if (auditDir != null) {
      long max = bytes("--audit-max-bytes", auditMaxBytes);
      if (max < 1024) {
        throw usage("--audit-max-bytes must be at least 1k, got " + auditMaxBytes);
      }
      g.auditDir(auditDir).auditInput(auditInput).auditMaxBytes(max)
          .auditRequired(auditRequired);
    }
    listen(g);
    if (authorizedKeys != null) {
      g.authorizedKeys(authorizedKeys);
    } else if (authorizedKeysDir != null) {
      g.authorizedKeysDir(authorizedKeysDir);
    }
    if (trustedUserCaKeys != null) {
      g.trustedUserCaKeys(trustedUserCaKeys);
    }
    if (authorizedPrincipalsDir != null) {
      g.authorizedPrincipalsDir(authorizedPrincipalsDir);
    }
    if (revokedKeys != null) {
      g.revokedKeys(revokedKeys);
    }
    if (authWebhook != null) {
      g.authWebhook(webhookOptions("--auth-webhook", authWebhook));
    }
    g.passwordAuth(passwordAuth);
    WebOptions w = webOptions();
    if (w != null) {
      g.web(w);
    }
    InetSocketAddress metricsAt = metrics == null ? null : hostPort("--metrics", metrics);
    GatewayOptions gateway = g.build();
    if (!checkConfig) { // --check-config shows the configuration; the files are read at start
      try {
        GatewayServer.check(gateway);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
    // last: with a config webhook it starts a client's threads
    PerUserSettings perUser = PerUserSettings.load(this, file, backend);
    return new Configured(backend, perUser, gateway, metricsAt);
  }

  private int run(Configured configured, GatewayConfigFile file) throws Exception {
    // one listener for the server and the backend: every event counted once
    GatewayMetrics events = new GatewayMetrics(BackendEvents.NONE);
    Duration drain = duration("--drain-timeout", drainTimeout, true);
    // SIGINT and SIGTERM end the wait below, so that the closing runs in order on this thread:
    // connections and their containers first, the Docker client (and its tunnel) last.
    // Shutdown hooks would run beside the tunnel's own hook, which closes the tunnel while the
    // containers are still being removed through it. The hook stays for a JVM without signal
    // handling, and for an exit from elsewhere. SIGHUP reloads, on a thread of its own.
    CountDownLatch stop = new CountDownLatch(1);
    AtomicReference<GatewayHttp> http = new AtomicReference<>();
    ExecutorService reloads = Executors.newSingleThreadExecutor(body -> {
      Thread t = new Thread(body, "ssh-container-gateway-reload");
      t.setDaemon(true);
      return t;
    });
    try (Signals signals = new Signals(); DockerClient docker = connect()) {
      for (String name : List.of("INT", "TERM")) {
        signals.on(name, () -> {
          shuttingDown(http.get()); // /health says so from the signal on
          stop.countDown();
        });
      }
      DockerBackend backend = DockerBackend.create(docker, configured.backend(),
          configured.perUser().choice(), events);
      GatewayServer server = GatewayServer.start(configured.gateway(), backend, events);
      Reload reload = new Reload(server, backend, GatewayConfigFile.effective(spec, file),
          configured.perUser());
      signals.on("HUP", () -> {
        try {
          reloads.execute(reload);
        } catch (RejectedExecutionException closing) {
          // shutting down: nothing to reload
        }
      });
      Thread hook = new Thread(() -> {
        shuttingDown(http.get());
        server.close();
        backend.close();
        closeHttp(http.get());
      }, "ssh-container-gateway-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      System.out.println("listening on " + configured.gateway().host() + ":" + server.port());
      if (configured.metricsAt() != null) {
        http.set(GatewayHttp.start(configured.metricsAt(), events.registry(),
            () -> docker.pingCmd().exec()));
        System.out.println("metrics on " + configured.metricsAt().getHostString() + ":"
            + http.get().port());
      }
      System.out.flush();
      TunnelCommand.runUntilEnded(stop);
      shuttingDown(http.get());
      reloads.shutdownNow();
      server.drain(drain);
      backend.close();
      reload.closeSettings();
      closeHttp(http.get());
      return 0;
    } finally {
      reloads.shutdownNow();
    }
  }

  /**
   * SIGHUP, as sshd takes it: the config file and the authorized keys read again, new logins
   * get the new keys, limits, policy and container settings, connections open now keep theirs.
   * A file that no longer validates is refused with one ERROR line and the running
   * configuration stays; what only a restart changes (where it listens, its host key, the
   * Docker host, metrics, the log format) is kept, with a WARN naming it.
   */
  private final class Reload implements Runnable {
    private final GatewayServer server;
    private final DockerBackend backend;
    private Map<String, Object> running;
    private PerUserSettings perUser;

    Reload(GatewayServer server, DockerBackend backend, Map<String, Object> running,
        PerUserSettings perUser) {
      this.server = server;
      this.backend = backend;
      this.running = running;
      this.perUser = perUser;
    }

    @Override
    public synchronized void run() {
      PerUserSettings made = null;
      try {
        GatewayConfigFile file = null;
        if (config != null) {
          file = GatewayConfigFile.read(config, spec);
          file.applyTo(spec);
        }
        Configured next = configure(file);
        made = next.perUser();
        Map<String, Object> now = GatewayConfigFile.effective(spec, file);
        List<String> changed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (String key : union(running.keySet(), now.keySet())) {
          if (!Objects.equals(running.get(key), now.get(key))) {
            (RESTART_ONLY.contains(key) ? kept : changed).add(key);
          }
        }
        GatewayOptions current = server.options();
        GatewayOptions.Builder keep = next.gateway().toBuilder().hostKey(current.hostKey())
            .listen(current.host(), current.port());
        // the web terminal is started once, at start: its settings stay as they were, off
        // included (a reload that turns it on keeps it off, with the WARN below)
        current.web().ifPresentOrElse(keep::web, keep::noWeb);
        // the audit log is opened once, at start: the options say what is in force
        current.auditDir().ifPresent(d -> keep.auditDir(d).auditInput(current.auditInput())
            .auditMaxBytes(current.auditMaxBytes()).auditRequired(current.auditRequired()));
        GatewayOptions gateway = keep.build();
        server.reconfigure(gateway);
        backend.reconfigure(next.backend(), made.choice());
        perUser.closeLater(); // logins waiting on its webhook get their answer first
        perUser = made;
        made = null;
        for (String key : kept) {
          now.put(key, running.get(key));
        }
        running = now;
        if (!kept.isEmpty()) {
          log.warn("gateway: reload kept {} as they were: they change only with a restart",
              String.join(", ", kept));
        }
        log.info("gateway: reloaded{}: {}; authorized keys, CA keys and revoked keys read again",
            config == null ? "" : " " + config, changed.isEmpty() ? "no setting changed"
                : "new logins get the new " + String.join(", ", changed));
      } catch (GatewayConfigFile.Invalid | CommandLine.ParameterException
          | IllegalArgumentException | IllegalStateException e) {
        log.error("gateway: reload refused, the running configuration stays: {}",
            e.getMessage());
      } catch (RuntimeException e) {
        log.error("gateway: reload failed, the running configuration stays: {}", e.toString());
      } finally {
        if (made != null) {
          made.close(); // not in force: the running configuration stays
        }
      }
    }

    /** Closes the per-user settings in force (their webhook client), at shutdown. */
    synchronized void closeSettings() {
      perUser.close();
    }
  }

  private static List<String> union(Set<String> a, Set<String> b) {
    TreeSet<String> all = new TreeSet<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  private DockerClient connect() {
    String lower = dest == null ? "" : dest.toLowerCase(Locale.ROOT);
    if (lower.startsWith("unix://") || lower.startsWith("tcp://")) {
      DockerEndpoint.Builder b = DockerEndpoint.forHost(dest);
      if (tlsCa != null || tlsCert != null || tlsKey != null) {
        if (tlsCa == null || tlsCert == null || tlsKey == null) {
          throw usage("TLS needs all three: --tlscacert, --tlscert and --tlskey");
        }
        b.tlsFiles(tlsCa, tlsCert, tlsKey);
      }
      return b.connect();
    }
    return SshDocker.connect(socket.apply(ssh.builder(dest, null)).build());
  }

  private static void shuttingDown(GatewayHttp http) {
    if (http != null) {
      http.shuttingDown();
    }
  }

  private static void closeHttp(GatewayHttp http) {
    if (http != null) {
      http.close();
    }
  }

  /** {@code [HOST:]PORT} (HOST: 127.0.0.1; {@code [::1]:PORT} for IPv6). */
  private InetSocketAddress hostPort(String option, String text) {
    int colon = text.lastIndexOf(':');
    String host = colon < 0 ? "127.0.0.1" : text.substring(0, colon);
    String port = colon < 0 ? text : text.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      int p = Integer.parseInt(port);
      if (p < 0 || p > 65535 || host.isEmpty()) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(host, p);
    } catch (NumberFormatException e) {
      throw usage(option + " takes [HOST:]PORT, got " + text);
    }
  }

  private void listen(GatewayOptions.Builder g) {
    int colon = listen.lastIndexOf(':');
    String host = colon < 0 ? "127.0.0.1" : listen.substring(0, colon);
    String port = colon < 0 ? listen : listen.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      g.listen(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw usage("--listen takes [HOST:]PORT, got " + listen);
    }
  }

  /** The host key the gateway runs with: --host-key, else the state directory's. */
  Path hostKeyInForce() {
    return hostKey != null ? hostKey : defaultHostKey();
  }

  /**
   * The web terminal's options from --web and its companions; null without --web.
   *
   * @throws CommandLine.ParameterException a value that cannot be used, naming its option
   */
  WebOptions webOptions() {
    if (web == null) {
      if (webTlsCert != null || webTlsKey != null || webInsecure || webUrl != null) {
        throw usage("--web-tls-cert, --web-tls-key, --web-insecure and --web-url need --web "
            + "[HOST:]PORT");
      }
      return null;
    }
    if ((webTlsCert == null) != (webTlsKey == null)) {
      throw usage("--web-tls-cert FILE and --web-tls-key FILE go together");
    }
    InetSocketAddress at = hostPort("--web", web);
    try {
      WebOptions.Builder b = WebOptions.listen(at.getHostString(), at.getPort())
          .reconnect(duration("--web-reconnect", webReconnect, false))
          .linkTtl(duration("--web-link-ttl", webLinkTtl, false))
          .insecure(webInsecure);
      if (webTlsCert != null) {
        b.tls(webTlsCert, webTlsKey);
      }
      if (webUrl != null) {
        b.url(java.net.URI.create(webUrl));
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private static Path defaultHostKey() {
    String state = System.getenv("SSH_CONTAINER_STATE_DIR");
    Path dir = state != null && !state.isBlank() ? Path.of(state)
        : Path.of(System.getProperty("user.home"), ".ssh-container");
    return dir.resolve("gateway_host_ed25519_key");
  }

  private static List<String> words(String s) {
    List<String> w = new ArrayList<>(Arrays.asList(s.trim().split("\\s+")));
    w.removeIf(String::isEmpty);
    return w;
  }

  /** {@code 10s}, {@code 2m}, {@code 1h}, {@code 500ms}; a bare number is seconds. */
  Duration duration(String option, String text, boolean zeroOk) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw usage(option + " takes a duration such as 10s, 2m or 1h, got " + text);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    Duration d = switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    if (d.isZero() && !zeroOk) {
      throw usage(option + " must be more than 0, got " + text);
    }
    return d;
  }

  private long bytes(String option, String text) {
    Matcher m = BYTES.matcher(text.trim());
    if (!m.matches()) {
      throw usage(option + " takes bytes such as 536870912, 512m or 2g, got " + text);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
