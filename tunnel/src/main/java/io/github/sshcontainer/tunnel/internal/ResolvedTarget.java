package io.github.sshcontainer.tunnel.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A destination after ssh config and defaults were applied: what the connection really uses.
 *
 * @param alias the host as the user wrote it (an ssh config alias, or the host itself)
 */
record ResolvedTarget(String alias, String user, String host, int port,
    List<Path> identityFiles, Path knownHosts, Duration connectTimeout, Duration keepalive,
    int keepaliveMaxMissed) {

  /** {@code user@host:port}, IPv6 in brackets. */
  public String display() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return user + "@" + h + ":" + port;
  }

  /** The host as known_hosts names it: {@code host} on port 22, else {@code [host]:port}. */
  public String knownHostsName() {
    return port == 22 ? host : "[" + host + "]:" + port;
  }
}
