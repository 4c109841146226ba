package io.github.sshcontainer.tunnel.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Exponential backoff with full jitter: the delay before attempt n+1 is uniform in [0, min(max,
 * initial * 2^(n-1))], at least 1 ms. The random source is injectable so tests need not sleep.
 */
final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private final LongUnaryOperator random;

  /**
   * @param random given a bound b, returns a value in [0, b]
   */
  public Backoff(Duration initial, Duration max, LongUnaryOperator random) {
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(initialMillis, max.toMillis());
    this.random = random;
  }

  public Backoff(Duration initial, Duration max) {
    this(initial, max, bound -> ThreadLocalRandom.current().nextLong(bound + 1));
  }

  /** The ceiling for the wait after failed attempt {@code attempt} (1-based). */
  public long ceilingMillis(int attempt) {
    int shift = Math.min(Math.max(attempt - 1, 0), 30);
    long ceiling = initialMillis << shift;
    return ceiling <= 0 || ceiling > maxMillis ? maxMillis : ceiling;
  }

  /** The wait after failed attempt {@code attempt} (1-based). */
  public Duration delay(int attempt) {
    return Duration.ofMillis(Math.max(1, random.applyAsLong(ceilingMillis(attempt))));
  }
}
