package io.github.sshcontainer.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.GatewayOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The per-source guard's bookkeeping on a clock the test moves: web logins with forged links
 * earn a penalty as failed SSH authentications do, and addresses with nothing left to remember
 * are forgotten as new ones arrive.
 */
class SourceGuardTest {
  private final AtomicLong now = new AtomicLong(1);
  private final SourceGuard guard = new SourceGuard(now::get);
  private final GatewayOptions options = GatewayOptions.builder(Path.of("host_key"))
      .authorizedKeys(Path.of("authorized_keys"))
      .perSourcePenalties(true, Duration.ofSeconds(15), Duration.ofSeconds(60)).build();

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void forgedWebLinksEarnAWebPenaltyThatDoublesAndLeavesSshAlone() {
    guard.webLoginFailed("10.0.0.1", options);
    guard.webLoginFailed("10.0.0.1", options);
    assertFalse(guard.webPenalized("10.0.0.1"), "10 s of 15");
    guard.webLoginFailed("10.0.0.1", options);
    assertTrue(guard.webPenalized("10.0.0.1"), "15 s reached");
    assertNull(guard.admit("10.0.0.1", options), "its SSH connections are not held to it");
    guard.authenticated("10.0.0.1");
    assertFalse(guard.webPenalized("10.0.0.2"), "another address");
    advance(Duration.ofSeconds(16));
    assertFalse(guard.webPenalized("10.0.0.1"), "served");
    for (int i = 0; i < 3; i++) {
      guard.webLoginFailed("10.0.0.1", options);
    }
    advance(Duration.ofSeconds(20));
    assertTrue(guard.webPenalized("10.0.0.1"), "a repeat soon after: 30 s, not 15");
    advance(Duration.ofSeconds(11));
    assertFalse(guard.webPenalized("10.0.0.1"));
    // and failed SSH logins earn an SSH penalty that web logins are not held to
    for (int i = 0; i < 3; i++) {
      assertNull(guard.admit("10.0.0.3", options));
      guard.closed("10.0.0.3", SourceGuard.AUTH_FAILURE_SECONDS, options);
    }
    assertEquals(SourceGuard.Refusal.PENALIZED, guard.admit("10.0.0.3", options));
    assertFalse(guard.webPenalized("10.0.0.3"));
  }

  /**
   * Connections admitted and closed on many threads while sweeps run (each thread's new
   * addresses set them off): every count comes back to zero, so no connection that has gone
   * is still counted against the gateway's cap.
   */
  @Test
  void sweepsRacingAdmissionsLoseNoCount() throws Exception {
    GatewayOptions roomy = GatewayOptions.builder(Path.of("host_key"))
        .authorizedKeys(Path.of("authorized_keys")).maxUnauthenticated(100_000)
        .maxUnauthenticatedPerSource(100_000).earlyDrop(99_999, 0)
        .build();
    int threads = 4;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(threads);
    try {
      java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < 20_000; i++) {
            // a few addresses in common, and a stream of new ones that set off sweeps
            String a = i % 2 == 0 ? "10.9.0." + (i % 8) : "10." + me + "." + i / 256 + "."
                + i % 256;
            if (guard.admit(a, roomy) == null) {
              if (i % 3 == 0) {
                guard.closed(a, 0, roomy);
              } else {
                guard.authenticated(a);
              }
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, guard.unauthenticated(), "connections still counted");
    guard.sweep();
    assertEquals(0, guard.tracked(), "nothing left to remember");
  }

  @Test
  void addressesWithNothingToRememberAreForgottenAsNewOnesArrive() {
    guard.webLoginFailed("10.1.0.0", options);
    for (int i = 0; i < 3; i++) {
      guard.webLoginFailed("10.2.0.0", options);
    }
    for (int i = 1; i < SourceGuard.SWEEP_EVERY - 2; i++) {
      String a = "10.0." + i / 256 + "." + i % 256;
      assertNull(guard.admit(a, options));
      guard.authenticated(a);
    }
    assertEquals(SourceGuard.SWEEP_EVERY - 1, guard.tracked(), "no sweep before "
        + SourceGuard.SWEEP_EVERY + " new addresses");
    advance(Duration.ofSeconds(6)); // 10.1.0.0's 5 s have leaked away; 10.2.0.0 serves 15 s
    assertNull(guard.admit("10.3.0.0", options)); // the 1024th new address: a sweep
    assertEquals(2, guard.tracked(), "the penalized address and the new one stay: "
        + guard.tracked());
    assertTrue(guard.webPenalized("10.2.0.0"));
  }
}
