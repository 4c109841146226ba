package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the remote socket among a {@link RemoteSocket}'s candidates, on the remote host, before
 * the tunnel listens: {@code $NAME} from the login environment, {@code ${uid}} from {@code id -u},
 * then the first path that accepts a channel. Knows nothing of what serves the socket.
 */
final class SocketDiscovery {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");

  private SocketDiscovery() {}

  /**
   * Tries the candidate sockets in order and keeps the first that accepts a connection. One
   * exec asks the remote login environment for the variables the candidates name and the
   * user's id.
   */
  static void find(String id, RemoteSocket remote, RemoteChannels channels, Session s,
      ResolvedTarget target) {
    List<String> vars = remote.candidates().stream().filter(c -> c.startsWith("$"))
        .map(c -> c.substring(1)).distinct().toList();
    Map<String, String> env = new HashMap<>();
    String uid = "";
    StringBuilder ask = new StringBuilder("printf '%s\\n'");
    vars.forEach(v -> ask.append(" \"$").append(v).append('"'));
    ask.append("; id -u");
    try {
      String[] lines = channels.run(s, ask.toString()).split("\n", -1);
      for (int i = 0; i < vars.size() && i < lines.length; i++) {
        env.put(vars.get(i), lines[i].trim());
      }
      uid = lines.length > vars.size() ? lines[vars.size()].trim() : "";
    } catch (TunnelException e) {
      log.info("tunnel {}: cannot read {} and the user id on {} ({}); trying the fixed "
          + "candidates", id, vars, target.display(), e.getMessage());
    }
    List<String> tried = new ArrayList<>();
    for (String c : remote.candidates()) {
      String path = c;
      if (c.startsWith("$")) {
        String value = env.getOrDefault(c.substring(1), "");
        path = value.startsWith("unix://") ? value.substring("unix://".length()) : value;
        if (!path.startsWith("/")) {
          continue;
        }
      }
      if (path.contains("${uid}")) {
        if (!uid.matches("\\d+")) {
          continue;
        }
        path = path.replace("${uid}", uid);
      }
      if (tried.contains(path)) {
        continue;
      }
      tried.add(path);
      channels.retarget(path);
      try {
        channels.open(s).discard();
        log.info("tunnel {}: found the remote socket {} on {} (tried {})", id, path,
            target.display(), tried);
        return;
      } catch (TunnelException e) {
        log.debug("tunnel {}: candidate {} does not answer: {}", id, path, e.getMessage());
      }
    }
    StringBuilder seen = new StringBuilder();
    vars.forEach(v -> seen.append(seen.length() == 0 ? "" : ", ").append(v).append('=')
        .append(env.getOrDefault(v, "").isEmpty() ? "unset" : env.get(v)));
    throw new TunnelException(Reason.REMOTE_SOCKET_UNAVAILABLE, "no remote socket answers on "
        + target.display() + "; tried " + tried + (vars.isEmpty() ? "" : " (remote " + seen
        + ")") + ". Name it with remoteSocket(...) or ssh://host/path/to.sock");
  }
}
