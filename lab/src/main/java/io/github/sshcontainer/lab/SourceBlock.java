package io.github.sshcontainer.lab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.SplittableRandom;

/**
 * The bytes a SOURCE far end sends: a fixed 1 MiB pseudo-random block, repeated. Cheap to make on
 * both sides, so bulk transfers measure the tunnel and not a generator.
 */
public final class SourceBlock {
  /** Size of the repeated block. */
  public static final int BLOCK = 1 << 20;
  private static final byte[] DATA = new byte[BLOCK];

  static {
    new SplittableRandom(0x55C0FFEEL).nextBytes(DATA);
  }

  private SourceBlock() {}

  /** Writes the first {@code n} bytes of the pattern. */
  public static void write(WritableByteChannel out, long n) throws IOException {
    long left = n;
    while (left > 0) {
      int len = (int) Math.min(left, BLOCK);
      ByteBuffer b = ByteBuffer.wrap(DATA, 0, len);
      while (b.hasRemaining()) {
        out.write(b);
      }
      left -= len;
    }
  }

  /** SHA-256 of the first {@code n} bytes of the pattern. */
  public static byte[] sha256(long n) {
    MessageDigest md = FarEnd.sha256();
    long left = n;
    while (left > 0) {
      int len = (int) Math.min(left, BLOCK);
      md.update(DATA, 0, len);
      left -= len;
    }
    return md.digest();
  }

  /** A copy of the block, for senders that stream it themselves. */
  public static byte[] block() {
    return DATA.clone();
  }
}
