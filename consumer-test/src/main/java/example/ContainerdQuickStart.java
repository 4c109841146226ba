// README:begin containerd
package example;

import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.containerd.TaskResult;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Imports an image archive and runs a task in it: ContainerdQuickStart HOST IMAGE.tar. */
public class ContainerdQuickStart {
  public static void main(String[] args) throws Exception {
    TunnelOptions options = TunnelOptions.builder(args[0]) // "ssh://me@build-host", an alias
        // .remoteSocket("/run/k3s/containerd/containerd.sock")
        //                                  default: /run/containerd/containerd.sock
        .build();
    try (ContainerdClient ctr = SshContainerd.connect(options, "default"); // the namespace
         InputStream archive = Files.newInputStream(Path.of(args[1]))) {   // `docker save` output
      String image = ctr.importImage(archive).get(0).name();
      TaskResult result = ctr.run(RunSpec.of(image).args("sh", "-c", "echo hi; exit 3").build());
      System.out.print(result.output() + "exit " + result.exitStatus() + "\n");
    } // task, container, snapshot and log file are gone; channel and tunnel closed
  }
}
// README:end containerd
