package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void ceilingDoublesUpToTheMaximum() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), bound -> bound);
    assertEquals(100, b.ceilingMillis(1));
    assertEquals(200, b.ceilingMillis(2));
    assertEquals(400, b.ceilingMillis(3));
    assertEquals(800, b.ceilingMillis(4));
    assertEquals(1000, b.ceilingMillis(5));
    assertEquals(1000, b.ceilingMillis(500), "no overflow for large attempt numbers");
  }

  @Test
  void delayIsJitteredWithinTheCeilingAndNeverZero() {
    Backoff low = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), bound -> 0);
    assertEquals(Duration.ofMillis(1), low.delay(3));
    Backoff half = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), bound -> bound / 2);
    assertEquals(Duration.ofMillis(200), half.delay(3));
    Backoff real = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    for (int i = 0; i < 1000; i++) {
      long d = real.delay(4).toMillis();
      assertTrue(d >= 1 && d <= 800, "delay " + d);
    }
  }
}
