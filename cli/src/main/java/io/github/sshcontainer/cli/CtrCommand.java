package io.github.sshcontainer.cli;

import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.containerd.api.images.ListImagesRequest;
import io.github.sshcontainer.containerd.api.namespaces.ListNamespacesRequest;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ctr", mixinStandardHelpOptions = true,
    description = {"containerd on the remote host: version, namespaces, images, import an "
        + "image archive, run a task.",
        "  ctr [DEST] version | namespaces | images | import FILE | run IMAGE [-- CMD…]"})
final class CtrCommand implements Callable<Integer> {
  private static final Set<String> ACTIONS = Set.of("version", "namespaces", "images", "import",
      "run");

  @Mixin
  SshOptions ssh;

  @Parameters(arity = "1..*", paramLabel = "[DEST] ACTION [ARGS]")
  List<String> positional = new ArrayList<>();

  @Option(names = {"-n", "--namespace"}, defaultValue = "default",
      description = "containerd namespace (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--remote-socket", paramLabel = "PATH",
      description = "Remote containerd socket (default: /run/containerd/containerd.sock).")
  String remoteSocket;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Positionals p = Positionals.of(spec, positional);
    List<String> words = new ArrayList<>(p.before());
    String dest = null;
    if (!words.isEmpty() && !ACTIONS.contains(words.get(0))) {
      dest = words.remove(0);
    }
    if (words.isEmpty() || !ACTIONS.contains(words.get(0))) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "expected one of " + ACTIONS + " after DEST");
    }
    String action = words.remove(0);
    TunnelOptions.Builder b = ssh.builder(dest, null);
    b.remoteSocket(remoteSocket != null ? remoteSocket : SshContainerd.CONTAINERD_SOCKET);
    try (ContainerdClient ctr = SshContainerd.connect(b.build(), namespace)) {
      switch (action) {
        case "version" -> System.out.println(ctr.serverVersion());
        case "namespaces" -> ctr.namespaces().list(ListNamespacesRequest.getDefaultInstance())
            .getNamespacesList().forEach(n -> System.out.println(n.getName()));
        case "images" -> ctr.images().list(ListImagesRequest.getDefaultInstance())
            .getImagesList().forEach(i -> System.out.println(i.getName() + "\t"
                + i.getTarget().getDigest()));
        case "import" -> {
          if (words.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] import FILE");
          }
          Path file = Path.of(words.get(0));
          try (InputStream in = Progress.reading(Files.newInputStream(file), Files.size(file),
              "import", System.err)) {
            for (ImportedImage img : ctr.importImage(in)) {
              System.out.println(img.name() + "\t" + img.manifestDigest());
            }
          }
        }
        case "run" -> {
          if (words.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] run IMAGE [-- CMD…]");
          }
          RunSpec.Builder r = RunSpec.of(words.get(0));
          if (!p.after().isEmpty()) {
            r.args(p.after().toArray(String[]::new));
          }
          var result = ctr.run(r.build());
          System.out.print(result.output());
          System.out.flush();
          return result.exitStatus();
        }
        default -> throw new IllegalStateException(action);
      }
    }
    return 0;
  }
}
