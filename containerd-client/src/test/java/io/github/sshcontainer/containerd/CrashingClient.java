package io.github.sshcontainer.containerd;

import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Path;

/**
 * A client that starts a live task and then waits to be killed (by {@code LiveTaskTest}, with
 * SIGKILL): args are destination, key, known_hosts, containerd socket, namespace, task id,
 * FIFO directory.
 */
public final class CrashingClient {
  private CrashingClient() {}

  public static void main(String[] a) throws Exception {
    ContainerdClient ctr = SshContainerd.connect(TunnelOptions.builder(a[0])
        .identityFile(Path.of(a[1])).knownHosts(Path.of(a[2])).noSshConfig().useAgent(false)
        .remoteSocket(a[3]).build(), a[4]);
    RunningTask task = ctr.start(RunSpec.of(ContainerdClientTest.IMAGE).id(a[5]).logDir(a[6])
        .args("sleep", "300").stdin().build());
    System.out.println("started " + task.id());
    System.out.flush();
    Thread.sleep(300_000);
  }
}
