package io.github.sshcontainer.tunnel;

import java.time.Duration;
import java.util.Objects;

/**
 * How connecting is retried: up to {@code attempts} tries within {@code deadline}, with
 * exponential backoff from {@code initialBackoff} up to {@code maxBackoff} and full jitter. Only
 * transient failures (refused, reset, timed out) are retried, never authentication or host-key
 * failures. The reconnect after a lost session uses the same backoff, without the attempt limit.
 *
 * @param attempts at least 1
 * @param deadline positive
 * @param initialBackoff positive
 * @param maxBackoff at least {@code initialBackoff}
 */
public record RetryPolicy(int attempts, Duration deadline, Duration initialBackoff,
    Duration maxBackoff) {
  /** 5 attempts within 60 s, backoff from 200 ms up to 5 s. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofSeconds(60),
      Duration.ofMillis(200), Duration.ofSeconds(5));

  /**
   * Checks every field.
   *
   * @throws IllegalArgumentException naming the field and the bad value
   */
  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("retry attempts " + attempts + " must be >= 1");
    }
    positive("retry deadline", deadline);
    positive("initialBackoff", initialBackoff);
    positive("maxBackoff", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("maxBackoff " + maxBackoff
          + " is shorter than initialBackoff " + initialBackoff);
    }
  }

  /** One attempt, no retry. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, DEFAULT.deadline, DEFAULT.initialBackoff, DEFAULT.maxBackoff);
  }

  static Duration positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " " + d + " must be positive");
    }
    return d;
  }
}
