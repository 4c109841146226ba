package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's host key: an OpenSSH private key file, generated (ed25519) on first start with
 * mode 0600 from the first byte, then reused, so that the clients' known_hosts stay valid. A
 * key file others may read is refused, as sshd refuses it.
 */
public final class HostKeys {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private HostKeys() {}

  /**
   * @throws IllegalStateException naming the file when it cannot be read, written or is open
   *     to others
   */
  public static KeyPairProvider load(Path file) {
    try {
      if (!Files.exists(file)) {
        generate(file);
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(perms)) {
        throw new IllegalStateException("host key " + file + " may be read by others ("
            + PosixFilePermissions.toString(perms) + "): chmod 600 " + file);
      }
      FileKeyPairProvider provider = new FileKeyPairProvider(file);
      if (!provider.loadKeys(null).iterator().hasNext()) {
        throw new IllegalStateException("host key " + file + " holds no key");
      }
      return provider;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or make the host key " + file + ": "
          + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the host key " + file + " (an OpenSSH "
          + "private key without passphrase): " + e.getMessage(), e);
    }
  }

  private static void generate(Path file) throws IOException, GeneralSecurityException {
    KeyPair kp = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    try (OutputStream out = Files.newOutputStream(Files.createFile(file,
        PosixFilePermissions.asFileAttribute(OWNER_ONLY)), StandardOpenOption.WRITE)) {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "ssh-container-gateway", null,
          out);
    } catch (FileAlreadyExistsException raced) {
      return; // another gateway made it first: use that one
    }
    Path pub = Path.of(file + ".pub");
    try (OutputStream out = Files.newOutputStream(pub)) {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePublicKey(kp.getPublic(),
          "ssh-container-gateway", out);
    }
    log.info("gateway: generated host key {} ({})", file, KeyUtils.getFingerPrint(
        kp.getPublic()));
  }
}
