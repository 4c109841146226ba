package io.github.sshcontainer.gateway.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Streamlined NTRU Prime sntrup761, the encapsulation only: what an SSH server does in {@code
 * sntrup761x25519-sha512} with the client's fresh public key. Written from the NTRU Prime
 * specification (round 3, "Streamlined NTRU Prime": Rq, Rounded and Small encodings, {@code
 * Hash_prefix}, {@code HashConfirm}, {@code HashSession}); the gateway needs neither key
 * generation nor decapsulation.
 *
 * <p>Why not BouncyCastle's: its {@code ntruprime.Utils.multiplicationInRQ} reduces mod q after
 * every multiply-add, about 5.5 ms per encapsulation, most of a login's CPU. Here the product
 * h·r is accumulated in {@code int} and reduced once per coefficient (|h_j| ≤ 2295, r has 286
 * coefficients ±1, so a sum stays below 3·286·2295 &lt; 2^21).
 *
 * <p>Timing: r, the secret of an encapsulation, is chosen as the specification says (w random
 * positions by sorting tagged random words) but sorted with {@link Arrays#sort}, not the
 * specification's constant-time sorting network, and coefficients are reduced with {@code %}.
 * The multiplication's memory accesses do not depend on r. That is the bar for a server that
 * encapsulates once per connection to a key the client made for this connection alone: there
 * is no long-term secret to accumulate leakage about, and OpenSSH's own client key is
 * ephemeral the same way. Stateless and thread-safe.
 */
final class Sntrup761 {
  static final int P = 761;
  static final int Q = 4591;
  static final int W = 286;
  private static final int Q12 = (Q - 1) / 2;
  /** The alphabet of a Rounded coefficient: multiples of 3 in [-Q12, Q12], divided by 3. */
  private static final int ROUNDED_M = (Q + 2) / 3;

  static final int PUBLIC_KEY_BYTES = 1158;
  static final int ROUNDED_BYTES = 1007;
  static final int SMALL_BYTES = (P + 3) / 4;
  static final int HASH_BYTES = 32;
  /** Rounded(h·r) followed by HashConfirm. */
  static final int CIPHERTEXT_BYTES = ROUNDED_BYTES + HASH_BYTES;
  static final int SECRET_BYTES = HASH_BYTES;

  /** A ciphertext for the key's owner and the session key it carries. */
  record Encapsulation(byte[] ciphertext, byte[] secret) {}

  private Sntrup761() {}

  /**
   * Encapsulates a fresh session key to {@code publicKey} (the specification's Encap).
   *
   * @throws IllegalArgumentException when {@code publicKey} is not {@value #PUBLIC_KEY_BYTES}
   *     bytes; any key of that length is decoded, as the specification decodes it
   */
  static Encapsulation encapsulate(byte[] publicKey, SecureRandom random) {
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(random, "random");
    if (publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("sntrup761 public key is " + publicKey.length
          + " bytes, the specification's is " + PUBLIC_KEY_BYTES);
    }
    int[] h = decodeRq(publicKey);
    byte[] r = shortRandom(random);
    byte[] rEncoded = encodeSmall(r);

    byte[] ciphertext = new byte[CIPHERTEXT_BYTES];
    encodeRounded(round(multiply(h, r)), ciphertext);

    MessageDigest sha512 = sha512();
    byte[] rHash = hashPrefix(sha512, 3, rEncoded);
    // HashConfirm(r, pk) = Hash_prefix(2, Hash_prefix(3, r) || Hash_prefix(4, pk))
    byte[] confirm = hashPrefix(sha512, 2, rHash, hashPrefix(sha512, 4, publicKey));
    System.arraycopy(confirm, 0, ciphertext, ROUNDED_BYTES, HASH_BYTES);
    // HashSession(1, r, c) = Hash_prefix(1, Hash_prefix(3, r) || c), c with its confirmation
    byte[] secret = hashPrefix(sha512, 1, rHash, ciphertext);
    return new Encapsulation(ciphertext, secret);
  }

  /** The public key h: P coefficients in [-Q12, Q12]. */
  static int[] decodeRq(byte[] bytes) {
    int[] m = new int[P];
    Arrays.fill(m, Q);
    Cursor in = new Cursor(bytes);
    int[] values = decode(in, m);
    if (in.at != bytes.length) {
      throw new IllegalStateException("Rq decoding read " + in.at + " of " + bytes.length);
    }
    for (int i = 0; i < P; i++) {
      values[i] -= Q12;
    }
    return values;
  }

  /**
   * The specification's Short_random: P random 32-bit words, the first W tagged nonzero (low
   * bits 0 or 2, so ±1) and the others zero (low bits 1), sorted as unsigned numbers so that
   * the nonzero ones land at random places; each word's low two bits, minus one, is a
   * coefficient. Exactly W coefficients are nonzero.
   */
  static byte[] shortRandom(SecureRandom random) {
    byte[] bytes = new byte[4 * P];
    random.nextBytes(bytes);
    int[] words = new int[P];
    for (int i = 0; i < P; i++) {
      int word = (bytes[4 * i] & 0xff) | (bytes[4 * i + 1] & 0xff) << 8
          | (bytes[4 * i + 2] & 0xff) << 16 | (bytes[4 * i + 3] & 0xff) << 24;
      word = i < W ? word & -2 : (word & -4) | 1;
      words[i] = word ^ Integer.MIN_VALUE; // signed order of the flipped word = unsigned order
    }
    Arrays.sort(words);
    byte[] r = new byte[P];
    for (int i = 0; i < P; i++) {
      r[i] = (byte) ((words[i] & 3) - 1);
    }
    return r;
  }

  /** h·r in Z_q[x]/(x^P - x - 1), coefficients in [-Q12, Q12]. */
  static int[] multiply(int[] h, byte[] r) {
    int[] product = new int[2 * P - 1];
    for (int i = 0; i < P; i++) {
      int ri = r[i];
      for (int j = 0; j < P; j++) {
        product[i + j] += ri * h[j];
      }
    }
    // x^P = x + 1: from the top down, a coefficient of x^k moves to x^(k-P+1) and x^(k-P)
    for (int k = 2 * P - 2; k >= P; k--) {
      product[k - P + 1] += product[k];
      product[k - P] += product[k];
    }
    int[] out = new int[P];
    for (int i = 0; i < P; i++) {
      int v = product[i] % Q;
      v += (v >> 31) & Q; // [0, Q)
      out[i] = v > Q12 ? v - Q : v;
    }
    return out;
  }

  /** Each coefficient to the nearest multiple of 3 (stays in [-Q12, Q12]: Q12 = 3·765). */
  static int[] round(int[] c) {
    int[] out = new int[P];
    for (int i = 0; i < P; i++) {
      int m3 = c[i] % 3;
      m3 += (m3 >> 31) & 3; // c mod 3 in [0, 3): 0, 1 or 2 ≡ -1
      out[i] = c[i] - (m3 == 2 ? -1 : m3);
    }
    return out;
  }

  /** Rounded encoding of {@code c} into {@code out[0, ROUNDED_BYTES)}. */
  static void encodeRounded(int[] c, byte[] out) {
    long[] values = new long[P];
    int[] m = new int[P];
    for (int i = 0; i < P; i++) {
      values[i] = (c[i] + Q12) / 3;
      m[i] = ROUNDED_M;
    }
    Cursor cursor = new Cursor(out);
    encode(cursor, values, m);
    if (cursor.at != ROUNDED_BYTES) {
      throw new IllegalStateException("Rounded encoding wrote " + cursor.at + " bytes");
    }
  }

  /** Small encoding: four coefficients a byte, each as c + 1 in two bits, lowest first. */
  static byte[] encodeSmall(byte[] r) {
    byte[] out = new byte[SMALL_BYTES];
    for (int i = 0; i < P / 4; i++) {
      out[i] = (byte) ((r[4 * i] + 1) | (r[4 * i + 1] + 1) << 2 | (r[4 * i + 2] + 1) << 4
          | (r[4 * i + 3] + 1) << 6);
    }
    out[P / 4] = (byte) (r[P - 1] + 1); // P = 4·190 + 1
    return out;
  }

  /**
   * The specification's Encode: values {@code r[i] < m[i]} to bytes, pairing neighbours
   * (r0 + m0·r1 under m0·m1), emitting low bytes while the pair's range is at least 2^14, and
   * recursing on the halved sequence.
   */
  private static void encode(Cursor out, long[] r, int[] m) {
    int n = m.length;
    if (n == 0) {
      return;
    }
    if (n == 1) {
      long value = r[0];
      long range = m[0];
      while (range > 1) {
        out.put(value);
        value >>>= 8;
        range = (range + 255) >>> 8;
      }
      return;
    }
    int pairs = n / 2;
    long[] r2 = new long[(n + 1) / 2];
    int[] m2 = new int[(n + 1) / 2];
    for (int i = 0; i < pairs; i++) {
      long range = (long) m[2 * i] * m[2 * i + 1];
      long value = r[2 * i] + m[2 * i] * r[2 * i + 1];
      while (range >= 16384) {
        out.put(value);
        value >>>= 8;
        range = (range + 255) >>> 8;
      }
      r2[i] = value;
      m2[i] = (int) range;
    }
    if ((n & 1) != 0) {
      r2[pairs] = r[n - 1];
      m2[pairs] = m[n - 1];
    }
    encode(out, r2, m2);
  }

  /**
   * The specification's Decode, the inverse of {@link #encode}: every value comes out reduced
   * mod its range, so bytes no encoder made still decode to values in range.
   */
  private static int[] decode(Cursor in, int[] m) {
    int n = m.length;
    if (n == 0) {
      return new int[0];
    }
    if (n == 1) {
      // the remaining bytes, little-endian, mod m[0]
      long value = 0;
      for (int i = in.bytes.length - 1; i >= in.at; i--) {
        value = ((value << 8) | (in.bytes[i] & 0xff)) % m[0];
      }
      in.at = in.bytes.length;
      return new int[] {(int) value};
    }
    int pairs = n / 2;
    long[] low = new long[pairs];
    long[] scale = new long[pairs];
    int[] m2 = new int[(n + 1) / 2];
    for (int i = 0; i < pairs; i++) {
      long range = (long) m[2 * i] * m[2 * i + 1];
      long value = 0;
      long t = 1;
      while (range >= 16384) {
        value += in.get() * t;
        t <<= 8;
        range = (range + 255) >>> 8;
      }
      low[i] = value;
      scale[i] = t;
      m2[i] = (int) range;
    }
    if ((n & 1) != 0) {
      m2[pairs] = m[n - 1];
    }
    int[] r2 = decode(in, m2);
    int[] r = new int[n];
    for (int i = 0; i < pairs; i++) {
      long value = low[i] + scale[i] * r2[i];
      r[2 * i] = (int) (value % m[2 * i]);
      r[2 * i + 1] = (int) ((value / m[2 * i]) % m[2 * i + 1]);
    }
    if ((n & 1) != 0) {
      r[n - 1] = r2[pairs];
    }
    return r;
  }

  /** Hash_prefix(b, x): the first 32 bytes of SHA-512 over the byte b then x. */
  private static byte[] hashPrefix(MessageDigest sha512, int b, byte[]... x) {
    sha512.reset();
    sha512.update((byte) b);
    for (byte[] part : x) {
      sha512.update(part);
    }
    return Arrays.copyOf(sha512.digest(), HASH_BYTES);
  }

  private static MessageDigest sha512() {
    try {
      return MessageDigest.getInstance("SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-512, which every Java SE has", e);
    }
  }

  /** A position in a byte array that encoding writes and decoding reads. */
  private static final class Cursor {
    final byte[] bytes;
    int at;

    Cursor(byte[] bytes) {
      this.bytes = bytes;
    }

    void put(long value) {
      bytes[at++] = (byte) value;
    }

    long get() {
      return bytes[at++] & 0xff;
    }
  }
}
