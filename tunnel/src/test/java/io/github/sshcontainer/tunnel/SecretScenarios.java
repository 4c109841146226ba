package io.github.sshcontainer.tunnel;

import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import java.nio.file.Files;
import java.nio.file.Path;

/** Child-JVM main for {@link SecurityTest}: every secret-handling path, outcomes printed. */
public final class SecretScenarios {
  private SecretScenarios() {}

  public static void main(String[] args) throws Exception {
    String password = args[0];
    String passphrase = args[1];
    Lab lab = Lab.shared();
    String user = lab.unprivilegedUser();
    String remote = lab.echo().socket().toString();
    TunnelOptions base = TunnelOptions.builder(SshTarget.of(user, lab.host(), lab.port()))
        .knownHosts(lab.knownHosts()).noSshConfig().useAgent(false).remoteSocket(remote)
        .retry(1, java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(10),
            java.time.Duration.ofMillis(10)).build();
    attempt("password auth", base.toBuilder().password(password).build());
    attempt("wrong password", base.toBuilder().password(password + "x").build());
    Path key = Files.createTempDirectory("sshc-secret").resolve("locked");
    Keys.generate(key, passphrase);
    TunnelOptions keyed = TunnelOptions.builder(lab.destination()).knownHosts(lab.knownHosts())
        .noSshConfig().useAgent(false).remoteSocket(remote).identityFile(key).build();
    // the lab authorizes its own key only; add this one for the run
    Files.writeString(lab.authorizedKeys(), Files.readString(Path.of(key + ".pub")),
        java.nio.file.StandardOpenOption.APPEND);
    attempt("right passphrase", keyed.toBuilder().passphrase(passphrase).build());
    attempt("wrong passphrase", keyed.toBuilder().passphrase(passphrase + "x").build());
    System.out.println("options: " + keyed.toBuilder().passphrase(passphrase).password(password)
        .build());
    Files.deleteIfExists(key);
    Files.deleteIfExists(Path.of(key + ".pub"));
    Files.deleteIfExists(key.getParent());
    System.exit(0);
  }

  private static void attempt(String name, TunnelOptions o) {
    try (SocketTunnel t = SocketTunnel.open(o)) {
      System.out.println(name + ": ok " + t);
    } catch (TunnelException e) {
      System.out.println(name + ": " + e.reason() + " " + e.getMessage());
      e.printStackTrace(System.out);
    }
  }
}
