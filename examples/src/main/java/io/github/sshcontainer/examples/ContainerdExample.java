package io.github.sshcontainer.examples;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.containerd.TaskResult;
import io.github.sshcontainer.containerd.api.images.ImagesGrpc;
import io.github.sshcontainer.containerd.api.images.ListImagesRequest;
import io.github.sshcontainer.containerd.api.namespaces.ListNamespacesRequest;
import io.github.sshcontainer.containerd.api.namespaces.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.version.VersionGrpc;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;

/**
 * Asks a remote containerd its version, lists namespaces and images, imports an image archive
 * from this machine, runs a task from it and prints its output and exit status.
 */
public final class ContainerdExample {
  public static void main(String[] args) throws Exception {
    run(DemoSettings.from(args, System.getenv()), System.out);
  }

  public static void run(DemoSettings s, PrintStream out) throws Exception {
    TunnelOptions.Builder options = TunnelOptions.builder(s.destination())
        .remoteSocket(s.containerdSocket());
    if (s.key() != null) {
      options.identityFile(s.key());
    }
    if (s.knownHosts() != null) {
      options.knownHosts(s.knownHosts());
    }
    try (ContainerdClient ctr = SshContainerd.connect(options.build(), "examples")) {
      out.println("containerd " + ctr.stub(VersionGrpc::newBlockingStub)
          .version(Empty.getDefaultInstance())
          .getVersion());
      ctr.stub(NamespacesGrpc::newBlockingStub)
          .list(ListNamespacesRequest.getDefaultInstance()).getNamespacesList()
          .forEach(n -> out.println("namespace: " + n.getName()));
      String image = null;
      if (s.imageTar() != null) {
        try (InputStream tar = Files.newInputStream(s.imageTar())) {
          for (ImportedImage i : ctr.importImage(tar)) {
            out.println("imported: " + i.name());
            image = i.name();
          }
        }
      }
      ctr.stub(ImagesGrpc::newBlockingStub)
          .list(ListImagesRequest.getDefaultInstance()).getImagesList()
          .forEach(i -> out.println("image: " + i.getName()));
      if (image != null) {
        TaskResult r = ctr.run(RunSpec.of(image).args("sh", "-c", "echo hello from a task; "
            + "exit 4").build());
        out.print(r.output());
        out.println("exit status: " + r.exitStatus());
      }
    }
  }
}
