package io.github.sshcontainer.cli;

import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TcpForward;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "forward", mixinStandardHelpOptions = true,
    description = {"Forward local TCP ports over SSH to hosts and ports the remote host reaches,"
        + " as 'ssh -N -L' does.",
        "[LOCAL:]REMOTE_HOST:REMOTE_PORT listens on 127.0.0.1:LOCAL (the remote port's number "
            + "when omitted, 0 for any free port). It prints one line per forward, "
            + "'127.0.0.1:LOCAL -> REMOTE_HOST:REMOTE_PORT', then runs as 'tunnel' does."})
final class ForwardCommand implements Callable<Integer> {
  @Mixin
  SshOptions ssh;

  @Parameters(arity = "2..*", paramLabel = "DEST [LOCAL:]REMOTE_HOST:REMOTE_PORT…",
      description = "ssh://user@host[:port], user@host, or an ssh config alias; then one or "
          + "more forwards.")
  List<String> positional = new ArrayList<>();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  record Spec(int localPort, String host, int port) {}

  /** Parses {@code [LOCAL:]HOST:PORT}; an IPv6 host goes in brackets. */
  static Spec parse(String s) {
    String rest = s;
    Integer local = null;
    int firstColon = rest.indexOf(':');
    if (firstColon > 0 && rest.substring(0, firstColon).matches("\\d+")
        && rest.indexOf(':', firstColon + 1) > 0) {
      local = Integer.valueOf(rest.substring(0, firstColon));
      rest = rest.substring(firstColon + 1);
    }
    int last = rest.lastIndexOf(':');
    if (last <= 0 || !rest.substring(last + 1).matches("\\d{1,5}")) {
      throw new IllegalArgumentException("forward '" + s + "' must be [LOCAL:]HOST:PORT, e.g. "
          + "8080:127.0.0.1:80 or db.internal:5432");
    }
    String host = rest.substring(0, last);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = Integer.parseInt(rest.substring(last + 1));
    if (port < 1 || port > 65535 || (local != null && local > 65535)) {
      throw new IllegalArgumentException("forward '" + s + "': ports are 1..65535 (local 0 "
          + "for any free one)");
    }
    return new Spec(local != null ? local : port, host, port);
  }

  @Override
  public Integer call() throws Exception {
    List<Spec> specs = new ArrayList<>();
    for (String s : positional.subList(1, positional.size())) {
      try {
        specs.add(parse(s));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    TunnelOptions.Builder b = ssh.builder(positional.get(0), null)
        .remoteSocket(RemoteSocket.none());
    try (SocketTunnel tunnel = SocketTunnel.open(b.build())) {
      for (Spec s : specs) {
        TcpForward f = tunnel.forwardTcp(s.localPort(), s.host(), s.port());
        System.out.println("127.0.0.1:" + f.localAddress().getPort() + " -> " + s.host() + ":"
            + s.port());
      }
      System.out.flush();
      TunnelCommand.runUntilEnded(); // SIGINT/SIGTERM end the JVM; the hook closes the tunnel
      return 0;
    }
  }
}
