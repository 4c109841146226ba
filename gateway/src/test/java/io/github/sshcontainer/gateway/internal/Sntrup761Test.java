package io.github.sshcontainer.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import org.apache.sshd.common.kex.KeyEncapsulationMethod;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimeKEMExtractor;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimeKeyGenerationParameters;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimeKeyPairGenerator;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimeParameters;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimePrivateKeyParameters;
import org.bouncycastle.pqc.crypto.ntruprime.SNTRUPrimePublicKeyParameters;
import org.junit.jupiter.api.Test;

/**
 * Our sntrup761 encapsulation against an independent implementation: BouncyCastle's key pairs
 * and decapsulation (what an OpenSSH client does with our ciphertext) give our session key.
 */
class Sntrup761Test {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void bouncyCastleDecapsulatesOurCiphertextToOurSecretFor300KeyPairs() {
    SNTRUPrimeKeyPairGenerator generator = new SNTRUPrimeKeyPairGenerator();
    generator.init(new SNTRUPrimeKeyGenerationParameters(RANDOM,
        SNTRUPrimeParameters.sntrup761));
    for (int i = 0; i < 300; i++) {
      AsymmetricCipherKeyPair pair = generator.generateKeyPair();
      byte[] publicKey = ((SNTRUPrimePublicKeyParameters) pair.getPublic()).getEncoded();
      assertEquals(Sntrup761.PUBLIC_KEY_BYTES, publicKey.length, "BC's public key length");

      Sntrup761.Encapsulation ours = Sntrup761.encapsulate(publicKey, RANDOM);
      assertEquals(1039, ours.ciphertext().length, "ciphertext length");
      assertEquals(32, ours.secret().length, "secret length");
      byte[] theirs = new SNTRUPrimeKEMExtractor(
          (SNTRUPrimePrivateKeyParameters) pair.getPrivate()).extractSecret(ours.ciphertext());
      assertArrayEquals(ours.secret(), theirs, "key pair " + i);
    }
  }

  @Test
  void aTamperedCiphertextDecapsulatesToAnotherSecret() {
    // the check above can fail: BC's implicit rejection gives another key for a bad ciphertext
    SNTRUPrimeKeyPairGenerator generator = new SNTRUPrimeKeyPairGenerator();
    generator.init(new SNTRUPrimeKeyGenerationParameters(RANDOM,
        SNTRUPrimeParameters.sntrup761));
    AsymmetricCipherKeyPair pair = generator.generateKeyPair();
    byte[] publicKey = ((SNTRUPrimePublicKeyParameters) pair.getPublic()).getEncoded();
    Sntrup761.Encapsulation ours = Sntrup761.encapsulate(publicKey, RANDOM);
    byte[] tampered = ours.ciphertext().clone();
    tampered[tampered.length - 1] ^= 1;
    byte[] theirs = new SNTRUPrimeKEMExtractor(
        (SNTRUPrimePrivateKeyParameters) pair.getPrivate()).extractSecret(tampered);
    assertEquals(32, theirs.length);
    assertTrue(!Arrays.equals(ours.secret(), theirs), "a tampered ciphertext's secret differs");
  }

  @Test
  void aPublicKeyOfTheWrongLengthIsRefusedByName() {
    for (int length : new int[] {0, 1, Sntrup761.PUBLIC_KEY_BYTES - 1,
        Sntrup761.PUBLIC_KEY_BYTES + 1, 1190}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Sntrup761.encapsulate(new byte[length], RANDOM));
      assertEquals("sntrup761 public key is " + length + " bytes, the specification's is 1158",
          e.getMessage());
    }
    KeyEncapsulationMethod.Server server = Sntrup761Kex.replacing(
        "sntrup761x25519-sha512@openssh.com").map(f -> {
          try {
            return f.create().getKeyEncapsulation().getServer();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }).orElseThrow();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> server.init(new byte[100]));
    assertEquals("sntrup761x25519 client key is 100 bytes, shorter than the sntrup761 key "
        + "(1158)", e.getMessage());
  }

  @Test
  void anyKeyOfTheRightLengthDecodesIntoRange() {
    // the specification's decoding reduces every value, so no byte string breaks it
    byte[] allOnes = new byte[Sntrup761.PUBLIC_KEY_BYTES];
    Arrays.fill(allOnes, (byte) 0xff);
    for (byte[] key : new byte[][] {allOnes, new byte[Sntrup761.PUBLIC_KEY_BYTES],
        randomBytes(Sntrup761.PUBLIC_KEY_BYTES)}) {
      int[] h = Sntrup761.decodeRq(key);
      assertEquals(Sntrup761.P, h.length);
      for (int c : h) {
        assertTrue(-2295 <= c && c <= 2295, "coefficient " + c);
      }
      assertNotNull(Sntrup761.encapsulate(key, RANDOM));
    }
  }

  @Test
  void shortRandomHasExactly286CoefficientsOfPlusOrMinusOne() {
    int[] atPosition = new int[Sntrup761.P];
    for (int t = 0; t < 1000; t++) {
      byte[] r = Sntrup761.shortRandom(RANDOM);
      int nonzero = 0;
      for (int i = 0; i < r.length; i++) {
        assertTrue(r[i] >= -1 && r[i] <= 1, "coefficient " + r[i]);
        if (r[i] != 0) {
          nonzero++;
          atPosition[i]++;
        }
      }
      assertEquals(Sntrup761.W, nonzero);
    }
    // positions are spread: every place is nonzero sometimes (expected 376 of 1000 times)
    assertTrue(Arrays.stream(atPosition).allMatch(n -> n > 250), Arrays.toString(atPosition));
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
