package io.github.sshcontainer.cli;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** {@code ssh-container}: entry point of the command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code. */
  /** The arguments this process was started with, for {@code up} to start its background copy. */
  static volatile List<String> arguments = List.of();

  static int run(String[] args) {
    arguments = List.of(args);
    boolean verbose = Arrays.stream(args).takeWhile(a -> !a.equals("--"))
        .anyMatch(a -> a.equals("--verbose") || a.equals("-v"));
    // before any logger exists: the level is read when SLF4J starts
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
    System.setProperty("org.slf4j.simpleLogger.log.io.github.sshcontainer.tunnel.jsch",
        verbose ? "info" : "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    // tunnel --publish-ports says which port goes where
    System.setProperty("org.slf4j.simpleLogger.log.io.github.sshcontainer.docker.PublishedPorts",
        verbose ? "debug" : "info");
    // gRPC asks Netty for SO_KEEPALIVE, which Unix sockets do not have: a harmless warning
    System.setProperty(
        "org.slf4j.simpleLogger.log.io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap", "error");
    CommandLine cl = new CommandLine(new Root());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("ssh-container: error: " + Errors.oneLine(e));
      if (verbose) {
        e.printStackTrace(cmd.getErr());
      } else {
        cmd.getErr().println("(run with --verbose for details)");
      }
      return 1;
    });
    return cl.execute(args);
  }

  @CommandLine.Command(name = "ssh-container", mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Drive a remote Docker daemon or containerd over SSH.",
      subcommands = {TunnelCommand.class, ForwardCommand.class, UpCommand.class,
          DownCommand.class, LsCommand.class, ExecCommand.class, RunCommand.class,
          CtrCommand.class, GatewayCommand.class, CommandLine.HelpCommand.class})
  static final class Root implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getErr());
    }
  }

  /** The version from the jar's manifest, which Maven writes from the pom. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"ssh-container " + (v != null ? v : "(unknown: not run from its jar)")};
    }
  }
}
