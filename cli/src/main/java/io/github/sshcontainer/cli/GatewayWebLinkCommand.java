package io.github.sshcontainer.cli;

import io.github.sshcontainer.gateway.GatewayServer;
import io.github.sshcontainer.gateway.WebOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ssh-container gateway web-link USER --config FILE [--ttl D]}: a login link to the web
 * terminal of the gateway that runs with that configuration, for USER, without USER's key
 * (for a class: one per student). It is signed with the running gateway's link key (made
 * beside its host key at its first start with --web), so this needs to read that file; the
 * running gateway spends the link at its first use.
 */
@Command(name = "web-link", mixinStandardHelpOptions = true,
    description = "Print a login link to the web terminal for USER (valid once, for --ttl), "
        + "signed with the key of the gateway that runs with --config.")
final class GatewayWebLinkCommand implements Callable<Integer> {
  @ParentCommand
  GatewayCommand gateway;

  @Parameters(index = "0", paramLabel = "USER", description = "Whom the link logs in.")
  String user;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The gateway's configuration file (its web and host-key keys).")
  Path config;

  @Option(names = "--ttl", paramLabel = "DURATION",
      description = "How long the link is valid (default: the configuration's web-link-ttl).")
  String ttl;

  @Override
  public Integer call() {
    try {
      if (config != null) {
        GatewayConfigFile.read(config, gateway.spec).applyTo(gateway.spec);
      }
      WebOptions web = gateway.webOptions();
      if (web == null) {
        throw new CommandLine.ParameterException(gateway.spec.commandLine(), "the web terminal "
            + "is off in " + (config == null ? "this configuration" : config) + ": give web: "
            + "[HOST:]PORT (--web)");
      }
      Duration valid = web.linkTtl();
      if (ttl != null) {
        valid = gateway.duration("--ttl", ttl, false);
      }
      System.out.println(GatewayServer.webLink(gateway.hostKeyInForce(), web, user, valid));
      return 0;
    } catch (GatewayConfigFile.Invalid | CommandLine.ParameterException
        | IllegalArgumentException e) {
      System.err.println("ssh-container: error: " + e.getMessage());
      return 2;
    } catch (IllegalStateException e) {
      System.err.println("ssh-container: error: " + e.getMessage());
      return 1;
    }
  }
}
