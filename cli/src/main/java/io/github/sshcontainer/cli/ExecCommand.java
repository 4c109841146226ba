package io.github.sshcontainer.cli;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.DockerExec;
import io.github.sshcontainer.docker.ExecSession;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.SshDocker;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "exec", mixinStandardHelpOptions = true,
    description = "Run a command in a running container with live stdin/stdout/stderr; "
        + "SIGINT, SIGTERM and SIGHUP go to it, a TTY follows this terminal's size, and the "
        + "exit code is the command's.")
final class ExecCommand implements Callable<Integer> {
  @Mixin
  SshOptions ssh;

  @Parameters(arity = "1..*", paramLabel = "[DEST] CONTAINER -- CMD…",
      description = "DEST is optional (DOCKER_HOST=ssh://… when omitted).")
  List<String> positional = new ArrayList<>();

  @Option(names = {"-i", "--interactive"}, description = "Send stdin to the command.")
  boolean interactive;

  @Option(names = {"-t", "--tty"}, description = "Allocate a TTY of this terminal's size.")
  boolean tty;

  @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Environment variable.")
  List<String> env = new ArrayList<>();

  @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory.")
  String workdir;

  @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "User (name or uid).")
  String user;

  @Mixin
  DockerSocketOption socket;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Positionals p = Positionals.of(spec, positional);
    if (p.after().isEmpty() || p.before().isEmpty() || p.before().size() > 2) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "usage: ssh-container exec [DEST] CONTAINER -- CMD…");
    }
    String dest = p.before().size() == 2 ? p.before().get(0) : null;
    String container = p.before().get(p.before().size() - 1);
    var b = socket.apply(ssh.builder(dest, null));
    ExecSpec.Builder e = ExecSpec.of(p.after()).stdout(System.out).stderr(System.err);
    for (String kv : env) {
      String[] parts = kv.split("=", 2);
      if (parts.length != 2) {
        throw new CommandLine.ParameterException(spec.commandLine(), "-e takes K=V, got " + kv);
      }
      e.env(parts[0], parts[1]);
    }
    if (workdir != null) {
      e.workingDir(workdir);
    }
    if (user != null) {
      e.user(user);
    }
    // without -i the command has no input, as docker exec without -i
    e.stdin(interactive ? System.in : InputStream.nullInputStream());
    Terminal terminal = tty ? Terminal.current() : null;
    if (terminal != null) {
      e.tty(terminal.columns(), terminal.rows());
    } else if (tty) {
      e.tty(true);
    }
    try (DockerClient docker = SshDocker.connect(b.build())) {
      if (terminal != null && interactive) {
        terminal.raw();
      }
      try (ExecSession session = DockerExec.start(docker, container, e.build());
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
