package io.github.sshcontainer.tunnel;

import java.nio.file.Path;

/**
 * Child-JVM main for {@link LeakTest}: opens a tunnel (args: destination, key, known_hosts,
 * remote socket), prints its local socket, and waits to be killed with SIGKILL.
 */
public final class KilledTunnel {
  private KilledTunnel() {}

  public static void main(String[] a) throws Exception {
    SocketTunnel t = SocketTunnel.open(TunnelOptions.builder(a[0]).identityFile(Path.of(a[1]))
        .knownHosts(Path.of(a[2])).noSshConfig().useAgent(false).remoteSocket(a[3]).build());
    System.out.println("socket " + t.localSocket().orElseThrow());
    System.out.flush();
    Thread.sleep(300_000);
  }
}
