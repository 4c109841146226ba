package io.github.sshcontainer.cli;

import io.github.sshcontainer.containerd.ContainerdClient;
import io.github.sshcontainer.containerd.ExecSpec;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.PullOptions;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.RunningTask;
import io.github.sshcontainer.containerd.SshContainerd;
import io.github.sshcontainer.containerd.TaskIo;
import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.ListContainersRequest;
import io.github.sshcontainer.containerd.api.images.ImagesGrpc;
import io.github.sshcontainer.containerd.api.images.ListImagesRequest;
import io.github.sshcontainer.containerd.api.namespaces.ListNamespacesRequest;
import io.github.sshcontainer.containerd.api.namespaces.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.tasks.ListTasksRequest;
import io.github.sshcontainer.containerd.api.tasks.TasksGrpc;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "ctr", mixinStandardHelpOptions = true,
    description = {"containerd on the remote host: version, namespaces, images, import an "
        + "image archive, run and exec with live I/O, tasks and containers.",
        "  ctr [DEST] version | namespaces | images | import FILE | pull REF [--platform P]",
        "  ctr [DEST] run [-i] [-t] IMAGE [-- CMD…]      (output streamed; exit code is the "
            + "task's)",
        "  ctr [DEST] exec [-i] [-t] CONTAINER -- CMD…",
        "  ctr [DEST] tasks ls | tasks kill CONTAINER [--signal N] | containers ls | "
            + "containers rm ID"})
final class CtrCommand implements Callable<Integer> {
  private static final Set<String> ACTIONS = Set.of("version", "namespaces", "images", "import",
      "run", "exec", "tasks", "containers", "pull");

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

  @Option(names = {"-i", "--interactive"}, description = "run/exec: send stdin to the process.")
  boolean interactive;

  @Option(names = {"-t", "--tty"}, description = "run/exec: on a terminal of this terminal's "
      + "size (80x24 when not on one).")
  boolean tty;

  @Option(names = {"-s", "--signal"}, defaultValue = "15",
      description = "tasks kill: the signal number (default: ${DEFAULT-VALUE}).")
  int signal;

  @Option(names = "--platform", paramLabel = "OS/ARCH",
      description = "pull: the platform to pick from a multi-platform image (default: the "
          + "remote host's).")
  String platform;

  @Option(names = "--user", paramLabel = "USER", description = "pull: the registry user; the "
      + "password comes from the file --password-file names, or from "
      + "SSH_CONTAINER_REGISTRY_PASSWORD.")
  String registryUser;

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "pull: a file holding the registry password (its first line).")
  Path passwordFile;

  @Option(names = "--plain-http", description = "pull: talk plain HTTP to the registry (the "
      + "default only for localhost and 127.0.0.0/8).")
  boolean plainHttp;

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
        case "namespaces" -> ctr.stub(NamespacesGrpc::newBlockingStub)
            .list(ListNamespacesRequest.getDefaultInstance())
            .getNamespacesList().forEach(n -> System.out.println(n.getName()));
        case "images" -> ctr.stub(ImagesGrpc::newBlockingStub)
            .list(ListImagesRequest.getDefaultInstance())
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
                "usage: ssh-container ctr [DEST] run [-i] [-t] IMAGE [-- CMD…]");
          }
          RunSpec.Builder r = RunSpec.of(words.get(0)).live();
          if (!p.after().isEmpty()) {
            r.args(p.after().toArray(String[]::new));
          }
          Terminal terminal = tty ? Terminal.current() : null;
          if (interactive) {
            r.stdin();
          }
          if (tty) {
            r.tty(terminal != null ? terminal.columns() : 80, terminal != null
                ? terminal.rows() : 24);
          }
          try (RunningTask task = ctr.start(r.build())) {
            return stream(task, terminal);
          }
        }
        case "exec" -> {
          if (words.size() != 1 || p.after().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] exec [-i] [-t] CONTAINER -- CMD…");
          }
          ExecSpec.Builder e = ExecSpec.of(p.after().toArray(String[]::new));
          Terminal terminal = tty ? Terminal.current() : null;
          if (interactive) {
            e.stdin();
          }
          if (tty) {
            e.tty(terminal != null ? terminal.columns() : 80, terminal != null
                ? terminal.rows() : 24);
          }
          try (RunningTask process = ctr.exec(words.get(0), e.build())) {
            return stream(process, terminal);
          }
        }
        case "pull" -> {
          if (words.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] pull REF [--platform OS/ARCH] [--user U]");
          }
          long started = System.nanoTime();
          PullOptions.Builder o = PullOptions.builder().progress(pr -> System.err.printf(
              Locale.ROOT, "\rlayer %d/%d %s: %.1f / %.1f MiB, %.1f MiB/s   ",
              pr.layer(), pr.layers(), pr.digest().substring(0, Math.min(19,
                  pr.digest().length())), pr.done() / 1048576.0, pr.size() / 1048576.0,
              pr.done() / 1048576.0 / Math.max(1e-3, (System.nanoTime() - started) / 1e9)));
          if (platform != null) {
            o.platform(platform);
          }
          if (plainHttp) {
            o.plainHttp(true);
          }
          if (registryUser != null) {
            o.basicAuth(registryUser, registryPassword());
          }
          long t0 = System.nanoTime();
          ImportedImage img = ctr.pull(words.get(0), o.build());
          System.err.printf(Locale.ROOT, "%npulled in %.1f s%n",
              (System.nanoTime() - t0) / 1e9);
          System.out.println(img.name() + "\t" + img.manifestDigest());
        }
        case "tasks" -> {
          if (words.equals(List.of("ls"))) {
            System.out.println("CONTAINER\tPID\tSTATUS");
            ctr.stub(TasksGrpc::newBlockingStub).list(ListTasksRequest.getDefaultInstance())
                .getTasksList()
                // containerd 1.6 fills the process's id, not its container_id, here
                .forEach(t -> System.out.println((t.getContainerId().isEmpty() ? t.getId()
                    : t.getContainerId()) + "\t" + t.getPid()
                    + "\t" + t.getStatus().name().replace("STATUS_", "")
                        .toLowerCase(Locale.ROOT)));
          } else if (words.size() == 2 && words.get(0).equals("kill")) {
            ctr.killTask(words.get(1), signal, false);
          } else {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] tasks ls | tasks kill CONTAINER [-s N]");
          }
        }
        case "containers" -> {
          if (words.equals(List.of("ls"))) {
            System.out.println("CONTAINER\tIMAGE\tRUNTIME");
            ctr.stub(ContainersGrpc::newBlockingStub)
                .list(ListContainersRequest.getDefaultInstance()).getContainersList()
                .forEach(c -> System.out.println(c.getId() + "\t" + c.getImage() + "\t"
                    + c.getRuntime().getName()));
          } else if (words.size() == 2 && words.get(0).equals("rm")) {
            ctr.removeContainer(words.get(1));
          } else {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "usage: ssh-container ctr [DEST] containers ls | containers rm ID");
          }
        }
        default -> throw new IllegalStateException(action);
      }
    }
    return 0;
  }

  private String registryPassword() throws IOException {
    if (passwordFile != null) {
      String text = Files.readString(passwordFile);
      int nl = text.indexOf('\n');
      return nl < 0 ? text : text.substring(0, nl);
    }
    String env = System.getenv("SSH_CONTAINER_REGISTRY_PASSWORD");
    if (env == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--user needs a password: "
          + "--password-file FILE, or SSH_CONTAINER_REGISTRY_PASSWORD in the environment");
    }
    return env;
  }

  /**
   * Copies the process's stdout and stderr here as they come, and this stdin there (to its
   * end) with -i; returns the exit status once the output has ended too.
   */
  private int stream(RunningTask task, Terminal terminal) throws Exception {
    TaskIo io = task.io().orElseThrow();
    Thread out = copy(io.stdout(), System.out, "stdout");
    Thread err = copy(io.stderr(), System.err, "stderr");
    if (interactive) {
      Thread in = new Thread(() -> {
        try (OutputStream to = io.stdin()) {
          System.in.transferTo(to);
        } catch (IOException ended) {
          // the process is gone
        }
      }, "ssh-container-ctr-stdin");
      in.setDaemon(true);
      in.start();
    }
    if (terminal != null && interactive) {
      terminal.raw();
    }
    try {
      int status = task.await(Duration.ofDays(365)).exitStatus();
      out.join(10_000);
      err.join(10_000);
      System.out.flush();
      return status;
    } finally {
      if (terminal != null) {
        terminal.restore();
      }
    }
  }

  private static Thread copy(InputStream from, PrintStream to, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = from.read(buf)) >= 0; ) {
          to.write(buf, 0, n);
          to.flush();
        }
      } catch (IOException ended) {
        // the stream closed with the task
      }
    }, "ssh-container-ctr-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
