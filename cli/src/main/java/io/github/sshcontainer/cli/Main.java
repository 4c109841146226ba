package io.github.sshcontainer.cli;

import io.github.sshcontainer.cli.log.Logs;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
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
    // before any logger exists (see Logs for the levels and their overrides)
    List<String> options = Arrays.stream(args).takeWhile(a -> !a.equals("--")).toList();
    boolean gateway = options.stream().filter(a -> !a.startsWith("-")).findFirst()
        .filter(a -> a.equals("gateway")).isPresent();
    try {
      Logs.configure(verbose, gateway);
    } catch (IllegalArgumentException e) {
      System.err.println("ssh-container: error: " + e.getMessage());
      return 2;
    }
    if (gateway) {
      // gateway --log-format: picocli reads it later, and reports a wrong value then
      logFormat(options).ifPresent(Logs::format);
    }
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

  /** The value of {@code --log-format F} or {@code --log-format=F}, if it is a format. */
  private static Optional<Logs.Format> logFormat(List<String> options) {
    String value = null;
    for (int i = 0; i < options.size(); i++) {
      String a = options.get(i);
      if (a.equals("--log-format") && i + 1 < options.size()) {
        value = options.get(i + 1);
      } else if (a.startsWith("--log-format=")) {
        value = a.substring("--log-format=".length());
      }
    }
    try {
      return value == null ? Optional.empty() : Optional.of(Logs.Format.of(value));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
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
