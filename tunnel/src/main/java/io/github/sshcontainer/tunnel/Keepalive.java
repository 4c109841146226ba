package io.github.sshcontainer.tunnel;

import java.time.Duration;

/**
 * SSH keepalive: a request every {@code interval} of silence; after {@code maxMissed} unanswered
 * ones the connection counts as dead (and the tunnel reconnects). What {@code ssh}'s {@code
 * ServerAliveInterval} and {@code ServerAliveCountMax} set.
 *
 * @param interval positive
 * @param maxMissed at least 1
 */
public record Keepalive(Duration interval, int maxMissed) {
  /** A request every 15 s, dead after 3 unanswered: what a tunnel uses unless set. */
  public static final Keepalive DEFAULT = new Keepalive(Duration.ofSeconds(15), 3);

  /**
   * Checks both fields.
   *
   * @throws IllegalArgumentException naming the field and the bad value
   */
  public Keepalive {
    RetryPolicy.positive("keepaliveInterval", interval);
    if (maxMissed < 1) {
      throw new IllegalArgumentException("keepalive maxMissed " + maxMissed + " must be >= 1");
    }
  }
}
