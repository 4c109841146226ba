package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * A file of OpenSSH public keys (or certificates), one a line, {@code #} comments and blank
 * lines skipped: the form of sshd's TrustedUserCAKeys and RevokedKeys. Keys are compared by
 * their SSH wire form, so any key type MINA can name works, and two certificates are the same
 * only when every byte is.
 */
final class PublicKeyLines {
  private PublicKeyLines() {}

  /**
   * The wire forms (base64) of the keys {@code file} lists.
   *
   * @throws IOException when it cannot be read, or naming the line that is not a key
   */
  static Set<String> read(Path file) throws IOException {
    Set<String> blobs = new HashSet<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IOException("cannot be read: no such file", e);
    } catch (IOException e) {
      throw new IOException("cannot be read: " + e.getMessage(), e);
    }
    int number = 0;
    for (String line : lines) {
      number++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      try {
        byte[] data = PublicKeyEntry.parsePublicKeyEntry(l).getKeyData();
        if (data == null || data.length == 0) {
          throw new IllegalArgumentException("no key data");
        }
        blobs.add(Base64.getEncoder().encodeToString(data));
      } catch (RuntimeException e) {
        throw new IOException("line " + number + " is not an OpenSSH public key ("
            + e.getMessage() + ")", e);
      }
    }
    return Set.copyOf(blobs);
  }

  /** The key's SSH wire form (base64), as {@link #read} gives them. */
  static String blob(PublicKey key) {
    ByteArrayBuffer b = new ByteArrayBuffer();
    b.putRawPublicKey(key);
    return Base64.getEncoder().encodeToString(b.getCompactData());
  }
}
