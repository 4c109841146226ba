package io.github.sshcontainer.gateway.backend;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How a connection authenticated: with which key (and certificate), or with a password.
 *
 * @param method {@code publickey}, {@code password}, or {@code web-link} (the gateway's web
 *     terminal, entered with a login link the gateway made for the user)
 * @param keyType the key's SSH type ({@code ssh-ed25519}, {@code ssh-ed25519-cert-v01@openssh.com},
 *     ...); empty for a password
 * @param fingerprint the key's {@code SHA256:...} fingerprint; empty for a password
 * @param publicKey the key in OpenSSH's one-line form; empty for a password
 * @param certificate the OpenSSH certificate the key came in, if it did
 */
public record LoginIdentity(String method, String keyType, String fingerprint, String publicKey,
    Optional<Certificate> certificate) {
  /** What the gateway knows of a login it did not authenticate (a backend used on its own). */
  public static final LoginIdentity UNKNOWN = new LoginIdentity("none", "", "", "",
      Optional.empty());

  public LoginIdentity {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(certificate, "certificate");
  }

  /** A login to the web terminal with a link the gateway made for the user. */
  public static LoginIdentity webLink() {
    return new LoginIdentity("web-link", "", "", "", Optional.empty());
  }

  /** A password login. */
  public static LoginIdentity password() {
    return new LoginIdentity("password", "", "", "", Optional.empty());
  }

  /**
   * An OpenSSH user certificate the gateway checked (its CA, validity window and options).
   *
   * @param keyId the key id the CA gave it ({@code ssh-keygen -I})
   * @param serial its serial ({@code ssh-keygen -z})
   * @param principals the names it is valid for ({@code ssh-keygen -n})
   * @param validAfter the start of its validity window
   * @param validBefore the end of its validity window ({@link Instant#MAX} for forever)
   * @param criticalOptions its critical options ({@code force-command}, {@code source-address})
   * @param extensions its extensions ({@code permit-pty}, ...)
   * @param caFingerprint the fingerprint of the CA key that signed it
   */
  public record Certificate(String keyId, long serial, List<String> principals,
      Instant validAfter, Instant validBefore, Map<String, String> criticalOptions,
      Set<String> extensions, String caFingerprint) {
    public Certificate {
      Objects.requireNonNull(keyId, "keyId");
      principals = List.copyOf(principals);
      Objects.requireNonNull(validAfter, "validAfter");
      Objects.requireNonNull(validBefore, "validBefore");
      criticalOptions = Map.copyOf(criticalOptions);
      extensions = Set.copyOf(extensions);
      Objects.requireNonNull(caFingerprint, "caFingerprint");
    }

    /** The command the certificate forces instead of what the client asks, if any. */
    public Optional<String> forceCommand() {
      return Optional.ofNullable(criticalOptions.get("force-command"));
    }

    /** Whether the certificate allows a pty ({@code permit-pty}). */
    public boolean permitsPty() {
      return extensions.contains("permit-pty");
    }

    /** The serial as OpenSSH prints it: unsigned. */
    public String serialText() {
      return Long.toUnsignedString(serial);
    }
  }

  /** The certificate's forced command, if the login came with one. */
  public Optional<String> forceCommand() {
    return certificate.flatMap(Certificate::forceCommand);
  }

  /** Whether a pty may be allocated: always, except for a certificate without permit-pty. */
  public boolean permitsPty() {
    return certificate.map(Certificate::permitsPty).orElse(true);
  }
}
