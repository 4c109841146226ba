package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;

/**
 * Apache MINA SSHD's client in this JVM, offering one key exchange only: for the key exchanges
 * the lab's OpenSSH (Debian 12, 9.2) cannot pick, {@code mlkem768x25519-sha256} (9.9's default).
 * Its threads are named {@code sshd-SshClient[…]…}, so that {@link ThreadCpu} can leave them out
 * of the server's figures.
 */
final class MinaClient implements AutoCloseable {
  private static final Duration SOON = Duration.ofSeconds(30);

  private final SshClient client;
  private final List<KeyPair> keys = new ArrayList<>();
  private final int port;
  private final String user;

  /**
   * @param kex the one key exchange offered, by its SSH name
   * @param key the private key to log in with (OpenSSH format, no passphrase)
   * @param knownHosts the server's host key line
   */
  MinaClient(String kex, Path key, Path knownHosts, int port, String user) {
    BuiltinDHFactories factory = BuiltinDHFactories.fromFactoryName(kex);
    if (factory == null || !factory.isSupported()) {
      throw new IllegalArgumentException("MINA's client has no key exchange " + kex);
    }
    this.port = port;
    this.user = user;
    client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(
        RejectAllServerKeyVerifier.INSTANCE, knownHosts));
    client.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false,
        List.of(factory), ClientBuilder.DH2KEX));
    new FileKeyPairProvider(key).loadKeys(null).forEach(keys::add);
    if (keys.isEmpty()) {
      throw new IllegalStateException("no key pair in " + key);
    }
    client.start();
  }

  /** One login, {@code command} run, logout. */
  void run(String command) {
    try (ClientSession s = client.connect(user, "127.0.0.1", port).verify(SOON).getSession()) {
      keys.forEach(s::addPublicKeyIdentity);
      s.auth().verify(SOON);
      s.executeRemoteCommand(command);
    } catch (IOException e) {
      throw new UncheckedIOException("MINA's client: `" + command + "` on port " + port
          + " as " + user + " failed", e);
    }
  }

  @Override
  public void close() {
    client.stop();
  }
}
