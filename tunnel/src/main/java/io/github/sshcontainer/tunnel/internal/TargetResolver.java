package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.ConfigRepository;
import com.jcraft.jsch.OpenSSHConfig;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.Keepalive;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the connection really uses, for the destination and each jump host: the OpenSSH client
 * config (parsed once, here) fills in what the options left unset (HostName, User, Port,
 * IdentityFile, UserKnownHostsFile, ConnectTimeout, ServerAlive*, ProxyJump), then the documented
 * defaults. A value set in the options always wins.
 */
final class TargetResolver {
  private final TunnelOptions options;
  /** The parsed ssh config; null when none is read. */
  private final OpenSSHConfig config;

  /** @throws IllegalArgumentException if the ssh config cannot be read */
  TargetResolver(TunnelOptions options) {
    this.options = options;
    Path file = options.sshConfig().orElse(null);
    try {
      this.config = file == null ? null : OpenSSHConfig.parseFile(file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read ssh config " + file + ": " + e, e);
    }
  }

  /** The destination. */
  ResolvedTarget destination() {
    return resolve(options.target());
  }

  /** The jump hosts: the options', else ssh config's {@code ProxyJump} for the destination. */
  List<ResolvedTarget> jumps() {
    List<SshTarget> hosts = new ArrayList<>(options.jumpHosts());
    if (hosts.isEmpty() && config != null) {
      String jump = config.getConfig(options.target().host()).getValue("ProxyJump");
      if (jump != null && !jump.isBlank() && !jump.trim().equalsIgnoreCase("none")) {
        for (String hop : jump.split(",")) {
          hosts.add(SshTarget.parse(hop.trim()));
        }
      }
    }
    List<ResolvedTarget> out = new ArrayList<>();
    for (SshTarget hop : hosts) {
      out.add(resolve(hop)); // a hop may be an alias with its own HostName, User, Port and keys
    }
    return List.copyOf(out);
  }

  /** A caller's connected session: what it is connected to, and the options' timings. */
  static ResolvedTarget of(Session s, TunnelOptions o) {
    Keepalive k = o.keepalive().orElse(Keepalive.DEFAULT);
    return new ResolvedTarget(s.getHost(), s.getUserName(), s.getHost(), s.getPort(), List.of(),
        Path.of(""), o.connectTimeout().orElse(TunnelOptions.DEFAULT_CONNECT_TIMEOUT),
        k.interval(), k.maxMissed());
  }

  /** Applies ssh config for {@code t}'s host under the explicit options, then the defaults. */
  private ResolvedTarget resolve(SshTarget t) {
    String alias = t.host();
    ConfigRepository.Config cfg = config == null ? null : config.getConfig(alias);
    String host = alias;
    String user = t.user().orElse(null);
    int port = t.port();
    List<Path> keys = new ArrayList<>(options.authentication().identityFiles());
    Path knownHosts = options.hostKeys().knownHosts().orElse(null);
    // unset settings are empty: ssh config fills them in, else the documented defaults
    Duration connectTimeout = options.connectTimeout().orElse(null);
    Keepalive given = options.keepalive().orElse(null);
    Duration keepalive = given == null ? null : given.interval();
    Integer maxMissed = given == null ? null : given.maxMissed();
    if (cfg != null) {
      if (cfg.getHostname() != null) {
        host = cfg.getHostname();
      }
      if (user == null && cfg.getUser() != null) {
        user = cfg.getUser();
      }
      if (port == 0 && cfg.getPort() > 0) {
        port = cfg.getPort();
      }
      if (keys.isEmpty() && cfg.getValues("IdentityFile") != null) {
        for (String f : cfg.getValues("IdentityFile")) {
          Path p = expandHome(f);
          if (Files.isReadable(p)) {
            keys.add(p);
          }
        }
      }
      if (knownHosts == null && cfg.getValue("UserKnownHostsFile") != null) {
        knownHosts = expandHome(cfg.getValue("UserKnownHostsFile").trim().split("\\s+")[0]);
      }
      // JSch's OpenSSHConfig hands these two back in milliseconds (seconds x 1000)
      if (connectTimeout == null) {
        connectTimeout = positiveMillis(cfg.getValue("ConnectTimeout"));
      }
      if (keepalive == null) {
        keepalive = positiveMillis(cfg.getValue("ServerAliveInterval"));
      }
      if (maxMissed == null && cfg.getValue("ServerAliveCountMax") != null) {
        maxMissed = Math.max(1, parseInt(cfg.getValue("ServerAliveCountMax"),
            Keepalive.DEFAULT.maxMissed()));
      }
    }
    return new ResolvedTarget(alias,
        user != null ? user : System.getProperty("user.name"), host, port != 0 ? port : 22,
        List.copyOf(keys), knownHosts != null ? knownHosts
            : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"),
        connectTimeout != null ? connectTimeout : TunnelOptions.DEFAULT_CONNECT_TIMEOUT,
        keepalive != null ? keepalive : Keepalive.DEFAULT.interval(),
        maxMissed != null ? maxMissed : Keepalive.DEFAULT.maxMissed());
  }

  private static Duration positiveMillis(String value) {
    int ms = value == null ? 0 : parseInt(value, 0);
    return ms > 0 ? Duration.ofMillis(ms) : null;
  }

  private static int parseInt(String s, int fallback) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static Path expandHome(String p) {
    String s = p.trim();
    if (s.startsWith("~/")) {
      return Path.of(System.getProperty("user.home"), s.substring(2));
    }
    return Path.of(s);
  }
}
