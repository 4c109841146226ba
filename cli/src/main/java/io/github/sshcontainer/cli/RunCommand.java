package io.github.sshcontainer.cli;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.ExecSession;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.PullPolicy;
import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run a command in a fresh container on the remote host, stream its output "
        + "(with -i its input, with -t on a TTY), remove the container; SIGINT, SIGTERM and "
        + "SIGHUP go to it; the exit code is the container's.")
final class RunCommand implements Callable<Integer> {
  @Mixin
  SshOptions ssh;

  @Parameters(arity = "1..*", paramLabel = "[DEST] IMAGE [-- CMD…]",
      description = "DEST is optional (DOCKER_HOST=ssh://… when omitted).")
  List<String> positional = new ArrayList<>();

  @Option(names = "--pull", paramLabel = "POLICY", defaultValue = "if-not-present",
      description = "always, if-not-present or never (default: ${DEFAULT-VALUE}).")
  String pull;

  @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Environment variable.")
  List<String> env = new ArrayList<>();

  @Option(names = {"-i", "--interactive"}, description = "Send stdin to the container.")
  boolean interactive;

  @Option(names = {"-t", "--tty"}, description = "Give the container a TTY of this "
      + "terminal's size, which follows it.")
  boolean tty;

  @Option(names = "--network", paramLabel = "MODE",
      description = "Network mode (none, bridge, host, a network).")
  String network;

  @Option(names = "--registry-user", paramLabel = "USER",
      description = "Log in to the image's registry as USER for the pull; the password is read "
          + "from the file --registry-password-file names, or from the environment variable "
          + "SSH_CONTAINER_REGISTRY_PASSWORD (never from the command line). Without it, "
          + "credentials come from the Docker config, as `docker pull` finds them.")
  String registryUser;

  @Option(names = "--registry-password-file", paramLabel = "FILE",
      description = "File holding the registry password (its first line).")
  Path registryPasswordFile;

  @Mixin
  DockerSocketOption socket;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private String registryPassword() throws IOException {
    if (registryPasswordFile != null) {
      String text = Files.readString(registryPasswordFile);
      int nl = text.indexOf('\n');
      return nl < 0 ? text : text.substring(0, nl);
    }
    String fromEnv = System.getenv("SSH_CONTAINER_REGISTRY_PASSWORD");
    if (fromEnv == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--registry-user needs a "
          + "password: --registry-password-file FILE, or SSH_CONTAINER_REGISTRY_PASSWORD in "
          + "the environment");
    }
    return fromEnv;
  }

  @Override
  public Integer call() throws Exception {
    Positionals p = Positionals.of(spec, positional);
    if (p.before().isEmpty() || p.before().size() > 2) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "usage: ssh-container run [DEST] IMAGE [-- CMD…]");
    }
    String dest = p.before().size() == 2 ? p.before().get(0) : null;
    String image = p.before().get(p.before().size() - 1);
    PullPolicy policy;
    try {
      policy = PullPolicy.valueOf(pull.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--pull takes always, "
          + "if-not-present or never, got " + pull);
    }
    ContainerSpec.Builder c = ContainerSpec.of(image).pullPolicy(policy).pullListener(
        progress -> System.err.println("pull: " + progress.layer() + " " + progress.status()
            + (progress.total() > 0 ? " " + progress.current() + "/" + progress.total() : "")));
    for (String kv : env) {
      String[] parts = kv.split("=", 2);
      if (parts.length != 2) {
        throw new CommandLine.ParameterException(spec.commandLine(), "-e takes K=V, got " + kv);
      }
      c.env(parts[0], parts[1]);
    }
    if (network != null) {
      c.networkMode(network);
    }
    if (registryUser != null) {
      c.registryAuth(RegistryAuth.basic(registryUser, registryPassword()));
    } else if (registryPasswordFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--registry-password-file needs --registry-user");
    }
    if (!p.after().isEmpty()) {
      c.command(p.after().toArray(String[]::new));
    }
    var b = socket.apply(ssh.builder(dest, null));
    // docker run pulls with the client's credentials; so does this
    c.credentials(DockerCredentials.fromEnvironment());
    Terminal terminal = tty ? Terminal.current() : null;
    if (terminal != null) {
      c.tty(terminal.columns(), terminal.rows());
    } else if (tty) {
      c.tty(true);
    }
    try (DockerClient docker = SshDocker.connect(b.build())) {
      if (terminal != null && interactive) {
        terminal.raw();
      }
      // a container per session: attached before it starts, removed when it has ended
      try (ExecSession session = OnDemandContainer.start(docker, c.build(),
          interactive ? System.in : InputStream.nullInputStream(), System.out, System.err);
          Foreground foreground = Foreground.of(session, terminal)) {
        return foreground.awaitExit();
      } finally {
        if (terminal != null) {
          terminal.restore();
        }
      }
    }
  }
}
