package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PublicKey;
import java.util.Set;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sshd's RevokedKeys in its text form: public keys (or certificates), one a line, never
 * admitted. A revoked key revokes the certificates of that key, and a revoked CA key every
 * certificate it signed. The file is reread when its modification time or size changes; one
 * that becomes unreadable refuses every key (fail closed), as sshd does. A binary KRL ({@code
 * ssh-keygen -k}) is refused at start with what to do.
 */
final class RevokedKeys {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  private final Path file;
  private volatile Snapshot snapshot;

  private record Snapshot(FileTime modified, long size, Set<String> blobs, boolean failed) {}

  private RevokedKeys(Path file, Snapshot snapshot) {
    this.file = file;
    this.snapshot = snapshot;
  }

  /** @throws IllegalArgumentException when the file cannot be read or is a binary KRL */
  static RevokedKeys load(Path file) {
    try {
      return new RevokedKeys(file, read(file));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("revoked keys file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Why {@code key} is revoked, or null when it is not. */
  String revoked(PublicKey key) {
    Snapshot s = current();
    if (s.failed) {
      return "the revoked keys file " + file + " cannot be read (every key refused until it "
          + "can)";
    }
    if (s.blobs.contains(PublicKeyLines.blob(key))) {
      return "revoked (listed in " + file.getFileName() + ")";
    }
    if (key instanceof OpenSshCertificate cert) {
      if (s.blobs.contains(PublicKeyLines.blob(cert.getCertPubKey()))) {
        return "its key is revoked (listed in " + file.getFileName() + ")";
      }
      if (s.blobs.contains(PublicKeyLines.blob(cert.getCaPubKey()))) {
        return "its CA key is revoked (listed in " + file.getFileName() + ")";
      }
    }
    return null;
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      if (s.failed || !modified.equals(s.modified) || size != s.size) {
        synchronized (this) {
          s = snapshot;
          if (s.failed || !modified.equals(s.modified) || size != s.size) {
            s = read(file);
            snapshot = s;
            log.info("gateway: revoked keys reread from {}: {} entries", file, s.blobs.size());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!s.failed) {
        log.error("gateway: revoked keys file {} cannot be read ({}): every key is refused "
            + "until it can", file, e.getMessage());
        s = new Snapshot(s.modified, s.size, Set.of(), true);
        snapshot = s;
      }
    }
    return s;
  }

  private static Snapshot read(Path file) throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    byte[] head = new byte[6];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(head, 0, head.length);
      if (n == 6 && new String(head, StandardCharsets.US_ASCII).equals("SSHKRL")) {
        throw new IOException("a binary KRL, which the gateway does not read: list the "
            + "revoked public keys or certificates, one a line (cat them into the file)");
      }
    }
    Set<String> blobs = PublicKeyLines.read(file);
    return new Snapshot(modified, size, blobs, false);
  }
}
