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
      .authorizedKeys(Path.of("authorized_keys")).perSourcePenalties(true, Duration.ofSeconds(15), Duration.ofSeconds(60)).build();

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void forgedWebLinksAndFailedSshLoginsAddUpToOnePenaltyThatDoubles() {
    guard.webLoginFailed("10.0.0.1", options);
    guard.webLoginFailed("10.0.0.1", options);
    assertFalse(guard.penalized("10.0.0.1"), "10 s of 15");
    assertNull(guard.admit("10.0.0.1", options));
    guard.closed("10.0.0.1", SourceGuard.AUTH_FAILURE_SECONDS, options);
    assertTrue(guard.penalized("10.0.0.1"), "15 s reached");
    assertEquals(SourceGuard.Refusal.PENALIZED, guard.admit("10.0.0.1", options));
    assertFalse(guard.penalized("10.0.0.2"), "another address");
    advance(Duration.ofSeconds(16));
    assertFalse(guard.penalized("10.0.0.1"), "served");
    for (int i = 0; i < 3; i++) {
      guard.webLoginFailed("10.0.0.1", options);
    }
    advance(Duration.ofSeconds(20));
    assertTrue(guard.penalized("10.0.0.1"), "a repeat soon after: 30 s, not 15");
    advance(Duration.ofSeconds(11));
    assertFalse(guard.penalized("10.0.0.1"));
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
    assertTrue(guard.penalized("10.2.0.0"));
  }
}
