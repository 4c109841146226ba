package io.github.sshcontainer.cli;

import io.github.sshcontainer.docker.SshDocker;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How to reach and trust the remote host; shared by every command. */
final class SshOptions {
  @Option(names = "--identity", paramLabel = "KEY", description = "Private key file "
      + "(default: ssh config, ssh-agent, or ~/.ssh/id_*).")
  Path identity;

  @Option(names = "--known-hosts", paramLabel = "FILE",
      description = "known_hosts file (default: ~/.ssh/known_hosts).")
  Path knownHosts;

  @Option(names = "--accept-new", description = "Trust an unknown host key on first use and "
      + "record it (a changed key is always refused).")
  boolean acceptNew;

  @Option(names = "--passphrase-env", paramLabel = "VAR",
      description = "Read the key's passphrase from environment variable VAR.")
  String passphraseEnv;

  @Option(names = "--password-env", paramLabel = "VAR",
      description = "Read the SSH password from environment variable VAR.")
  String passwordEnv;

  @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10",
      description = "Connect timeout in seconds (default: ${DEFAULT-VALUE}).")
  int connectTimeout;

  @Option(names = {"-v", "--verbose"}, description = "Log what happens, and show stack traces.")
  boolean verbose;

  /**
   * Options for {@code dest}, or from {@code DOCKER_HOST=ssh://…} / the Docker context when
   * {@code dest} is null.
   */
  TunnelOptions.Builder builder(String dest, Path identityOverride) {
    TunnelOptions.Builder b = dest == null ? SshDocker.tunnelOptionsFromEnvironment()
        : TunnelOptions.builder(dest);
    Path key = identityOverride != null ? identityOverride : identity;
    if (key != null) {
      b.identityFile(key);
    }
    if (knownHosts != null) {
      b.knownHosts(knownHosts);
    }
    b.acceptNewHostKeys(acceptNew);
    if (passphraseEnv != null) {
      b.passphrase(env(passphraseEnv));
    }
    if (passwordEnv != null) {
      b.password(env(passwordEnv));
    }
    b.connectTimeout(Duration.ofSeconds(connectTimeout));
    return b;
  }

  private static String env(String name) {
    String v = System.getenv(name);
    if (v == null) {
      throw new IllegalArgumentException("environment variable " + name + " is not set");
    }
    return v;
  }
}
