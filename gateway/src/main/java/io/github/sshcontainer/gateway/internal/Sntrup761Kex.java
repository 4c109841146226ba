package io.github.sshcontainer.gateway.internal;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.digest.Digest;
import org.apache.sshd.common.kex.AbstractDH;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.BuiltinKEM;
import org.apache.sshd.common.kex.DHFactory;
import org.apache.sshd.common.kex.KeyEncapsulationMethod;
import org.apache.sshd.common.kex.MontgomeryCurve;
import org.apache.sshd.common.kex.XDH;

/**
 * MINA SSHD's {@code sntrup761x25519-sha512} key exchange (under both its names) with {@link
 * Sntrup761}'s encapsulation in place of BouncyCastle's, which is most of a login's CPU.
 *
 * <p>MINA 2.20 models a hybrid key exchange as an {@link XDH} (raw X25519) whose {@link
 * AbstractDH#getKeyEncapsulation()} names the KEM; its {@code DHGServer} then hands the
 * client's blob (KEM public key followed by the X25519 key) to {@link
 * KeyEncapsulationMethod.Server#init}, sends the encapsulation followed by its own X25519 key,
 * and hashes K = SHA-512(KEM secret || X25519 secret). This class changes only the KEM, so the
 * rest (the messages, the exchange hash, strict key exchange) stays MINA's. The client side is
 * BouncyCastle's still (the gateway never is a client).
 */
public final class Sntrup761Kex implements KeyEncapsulationMethod {
  private static final Sntrup761Kex KEM = new Sntrup761Kex();
  private static final LongAdder ENCAPSULATIONS = new LongAdder();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Sntrup761Kex() {}

  /**
   * Our factory for the key exchange MINA calls {@code name}, when it is one of the two
   * sntrup761x25519 names; empty for any other.
   */
  static Optional<DHFactory> replacing(String name) {
    if (BuiltinDHFactories.sntrup761x25519.getName().equals(name)
        || BuiltinDHFactories.sntrup761x25519_openssh.getName().equals(name)) {
      return Optional.of(new Factory(name));
    }
    return Optional.empty();
  }

  /**
   * How many encapsulations this JVM's gateways made with {@link Sntrup761}: for a test that a
   * login's key exchange went through it, and for anyone counting.
   */
  public static long encapsulations() {
    return ENCAPSULATIONS.sum();
  }

  @Override
  public Client getClient() {
    return BuiltinKEM.sntrup761.getClient();
  }

  @Override
  public Server getServer() {
    return new ServerSide();
  }

  /** One key exchange's server side: init once, then the secret and the ciphertext. */
  private static final class ServerSide implements Server {
    private Sntrup761.Encapsulation encapsulation;

    @Override
    public int getPublicKeyLength() {
      return Sntrup761.PUBLIC_KEY_BYTES;
    }

    /** Encapsulates to the blob's KEM key; returns the rest (the client's X25519 key). */
    @Override
    public byte[] init(byte[] blob) {
      if (blob.length < Sntrup761.PUBLIC_KEY_BYTES) {
        // DHGServer turns an IllegalArgumentException into a key exchange failure
        throw new IllegalArgumentException("sntrup761x25519 client key is " + blob.length
            + " bytes, shorter than the sntrup761 key (" + Sntrup761.PUBLIC_KEY_BYTES + ")");
      }
      encapsulation = Sntrup761.encapsulate(
          Arrays.copyOf(blob, Sntrup761.PUBLIC_KEY_BYTES), RANDOM);
      ENCAPSULATIONS.increment();
      return Arrays.copyOfRange(blob, Sntrup761.PUBLIC_KEY_BYTES, blob.length);
    }

    @Override
    public byte[] getSecret() {
      return initialized().secret();
    }

    @Override
    public byte[] getEncapsulation() {
      return initialized().ciphertext();
    }

    private Sntrup761.Encapsulation initialized() {
      if (encapsulation == null) {
        throw new IllegalStateException("sntrup761 server side used before init");
      }
      return encapsulation;
    }
  }

  /** As MINA's {@code BuiltinDHFactories.sntrup761x25519}: raw X25519, SHA-512, our KEM. */
  private static final class Factory implements DHFactory {
    private final String name;

    Factory(String name) {
      this.name = name;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean isSupported() {
      return MontgomeryCurve.x25519.isSupported() && BuiltinDigests.sha512.isSupported();
    }

    @Override
    public boolean isGroupExchange() {
      return false;
    }

    @Override
    public AbstractDH create(Object... params) throws Exception {
      if (params != null && params.length > 0) {
        throw new IllegalArgumentException("No accepted parameters for " + name);
      }
      return new XDH(MontgomeryCurve.x25519, true) {
        @Override
        public KeyEncapsulationMethod getKeyEncapsulation() {
          return KEM;
        }

        @Override
        public Digest getHash() throws Exception {
          return BuiltinDigests.sha512.create();
        }
      };
    }

    @Override
    public String toString() {
      return name + " (ssh-container's sntrup761)";
    }
  }
}
