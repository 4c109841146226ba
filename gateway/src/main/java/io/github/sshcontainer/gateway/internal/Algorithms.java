package io.github.sshcontainer.gateway.internal;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.DHFactory;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.mac.Mac;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;

/**
 * The gateway's algorithms: what ssh-audit's hardened policies allow, in the order a server
 * should prefer them. MINA SSHD's defaults also offer NIST-curve key exchange, SHA-1 and
 * encrypt-and-MAC MACs, and {@code ssh-rsa} (SHA-1) signatures; none of those is offered here
 * unless the operator asks for the legacy set. Strict key exchange (the Terrapin fix) is
 * MINA's own and on in both.
 */
public final class Algorithms {
  /**
   * Post-quantum hybrids first (ML-KEM, then Streamlined NTRU Prime), then X25519, then the
   * large finite-field groups and group exchange over SHA-256 for old clients.
   */
  static final List<BuiltinDHFactories> KEY_EXCHANGE = List.of(
      BuiltinDHFactories.mlkem768x25519, BuiltinDHFactories.sntrup761x25519,
      BuiltinDHFactories.sntrup761x25519_openssh, BuiltinDHFactories.curve25519,
      BuiltinDHFactories.curve25519_libssh, BuiltinDHFactories.dhg16_512,
      BuiltinDHFactories.dhg18_512, BuiltinDHFactories.dhgex256);

  /** AEAD first; CTR modes only with the encrypt-then-MAC MACs below. */
  static final List<BuiltinCiphers> CIPHERS = List.of(BuiltinCiphers.cc20p1305_openssh,
      BuiltinCiphers.aes256gcm, BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256ctr,
      BuiltinCiphers.aes192ctr, BuiltinCiphers.aes128ctr);

  /** Encrypt-then-MAC over SHA-2 only. */
  static final List<BuiltinMacs> MACS = List.of(BuiltinMacs.hmacsha512etm,
      BuiltinMacs.hmacsha256etm);

  /**
   * Host key signatures: ed25519, and RSA only over SHA-2 (never {@code ssh-rsa}). The same
   * list checks users' key signatures, so users' ECDSA and security-key (sk-) keys stay
   * accepted; the host key is ed25519, so those are never offered as host key algorithms.
   */
  static final List<BuiltinSignatures> SIGNATURES = List.of(BuiltinSignatures.ed25519,
      BuiltinSignatures.rsaSHA512, BuiltinSignatures.rsaSHA256, BuiltinSignatures.nistp256,
      BuiltinSignatures.nistp384, BuiltinSignatures.nistp521,
      BuiltinSignatures.sk_ssh_ed25519, BuiltinSignatures.sk_ecdsa_sha2_nistp256,
      BuiltinSignatures.ed25519_cert, BuiltinSignatures.rsaSHA512_cert,
      BuiltinSignatures.rsaSHA256_cert, BuiltinSignatures.nistp256_cert,
      BuiltinSignatures.nistp384_cert, BuiltinSignatures.nistp521_cert);

  private Algorithms() {}

  /**
   * Restricts {@code sshd} to the modern set above, each one this JVM supports, with {@link
   * Sntrup761Kex}'s encapsulation for sntrup761x25519.
   */
  public static void modern(SshServer sshd) {
    sshd.setKeyExchangeFactories(KEY_EXCHANGE.stream()
        .map(f -> Sntrup761Kex.replacing(f.getName()).orElse(f))
        .filter(DHFactory::isSupported).map(ServerBuilder.DH2KEX)
        .collect(Collectors.toList()));
    sshd.setCipherFactories(CIPHERS.stream().filter(BuiltinCiphers::isSupported)
        .<NamedFactory<Cipher>>map(c -> c).collect(Collectors.toList()));
    sshd.setMacFactories(MACS.stream().filter(BuiltinMacs::isSupported)
        .<NamedFactory<Mac>>map(m -> m).collect(Collectors.toList()));
    sshd.setSignatureFactories(SIGNATURES.stream().filter(BuiltinSignatures::isSupported)
        .<NamedFactory<Signature>>map(s -> s).collect(Collectors.toList()));
  }

  /**
   * Leaves MINA's default key exchanges, the legacy set, as they are but for sntrup761x25519,
   * which gets {@link Sntrup761Kex}'s encapsulation under the same name at the same place.
   */
  public static void legacy(SshServer sshd) {
    sshd.setKeyExchangeFactories(sshd.getKeyExchangeFactories().stream()
        .map(f -> Sntrup761Kex.replacing(f.getName()).map(ServerBuilder.DH2KEX).orElse(f))
        .collect(Collectors.toList()));
  }

  /** The names of the key exchanges {@link #modern} offers, for the log. */
  public static String keyExchangeNames(SshServer sshd) {
    return sshd.getKeyExchangeFactories().stream().map(f -> f.getName())
        .collect(Collectors.joining(","));
  }
}
