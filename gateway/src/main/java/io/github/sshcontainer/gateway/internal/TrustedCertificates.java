package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;

/**
 * sshd's TrustedUserCAKeys and AuthorizedPrincipalsFile: which CA keys may sign user
 * certificates, and which principals admit a user name. The checks of the certificate itself
 * (type, validity window, CA signature, options) are {@link #invalid}'s, made for every
 * certificate whether a CA here or the webhook admits it.
 */
final class TrustedCertificates {
  /** The critical options the gateway enforces; any other refuses the certificate. */
  static final Set<String> KNOWN_CRITICAL_OPTIONS = Set.of("force-command", "source-address");

  private final Path file;
  private final Set<String> caBlobs;
  private final Path principalsDir;

  private TrustedCertificates(Path file, Set<String> caBlobs, Path principalsDir) {
    this.file = file;
    this.caBlobs = caBlobs;
    this.principalsDir = principalsDir;
  }

  /**
   * Reads the CA keys now (a reload reads them again).
   *
   * @throws IllegalArgumentException when the file cannot be read, holds a line that is not a
   *     public key, or holds none
   */
  static TrustedCertificates load(Path file, Path principalsDir) {
    Set<String> blobs;
    try {
      blobs = PublicKeyLines.read(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("trusted user CA keys file " + file + ": "
          + e.getMessage(), e);
    }
    if (blobs.isEmpty()) {
      throw new IllegalArgumentException("trusted user CA keys file " + file + " holds no key");
    }
    if (principalsDir != null && !Files.isDirectory(principalsDir)) {
      throw new IllegalArgumentException("authorized principals directory " + principalsDir
          + " is not a directory");
    }
    return new TrustedCertificates(file, blobs, principalsDir);
  }

  /**
   * What is wrong with the certificate whoever trusts it, or null: not a user certificate,
   * outside its validity window, an unknown critical option. (The CA signature and
   * source-address are checked by the caller, which has the session's verifiers.)
   */
  static String invalid(OpenSshCertificate cert, Instant now) {
    if (cert.getType() != OpenSshCertificate.Type.USER) {
      return "a host certificate, not a user certificate";
    }
    long at = now.getEpochSecond();
    if (Long.compareUnsigned(at, cert.getValidAfter()) < 0) {
      return "certificate not valid before " + instant(cert.getValidAfter());
    }
    if (Long.compareUnsigned(at, cert.getValidBefore()) >= 0) {
      return "certificate expired at " + instant(cert.getValidBefore());
    }
    for (String option : cert.getCriticalOptionsMap().keySet()) {
      if (!KNOWN_CRITICAL_OPTIONS.contains(option)) {
        return "certificate has the critical option '" + option + "', which the gateway "
            + "does not enforce";
      }
    }
    return null;
  }

  /** Null when a trusted CA signed {@code cert} and it admits {@code user}; else why not. */
  String refusal(String user, OpenSshCertificate cert) {
    if (!caBlobs.contains(PublicKeyLines.blob(cert.getCaPubKey()))) {
      return "certificate signed by a CA not in " + file.getFileName() + " ("
          + KeyUtils.getFingerPrint(cert.getCaPubKey()) + ")";
    }
    List<String> principals = new ArrayList<>(cert.getPrincipals());
    if (principals.isEmpty()) {
      return "certificate has no principals";
    }
    if (principalsDir == null) {
      return principals.contains(user) ? null
          : "certificate is for " + String.join(",", principals) + ", not " + user;
    }
    if (!AuthorizedKeys.USER.matcher(user).matches()) {
      return "not a user name the gateway accepts";
    }
    Path listed = principalsDir.resolve(user);
    try {
      for (String line : Files.readAllLines(listed, StandardCharsets.UTF_8)) {
        String p = line.strip();
        if (!p.isEmpty() && !p.startsWith("#") && principals.contains(p)) {
          return null;
        }
      }
    } catch (IOException e) {
      return "no authorized principals for " + user;
    }
    return "none of the certificate's principals (" + String.join(",", principals)
        + ") is listed for " + user;
  }

  static Instant instant(long seconds) {
    return seconds < 0 || seconds > Instant.MAX.getEpochSecond() ? Instant.MAX
        : Instant.ofEpochSecond(seconds);
  }
}
