package io.github.sshcontainer.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The gateway's options: the defaults sshd users expect, and each bad value refused by name. */
class GatewayOptionsTest {
  private static GatewayOptions.Builder builder() {
    return GatewayOptions.builder(Path.of("host_key")).authorizedKeys(Path.of("keys"));
  }

  @Test
  void theDefaultsAreSshdsWhereSshdHasOne() {
    GatewayOptions o = builder().build();
    assertEquals(200, o.maxConnections());
    assertEquals(10, o.maxConnectionsPerUser());
    assertEquals(100, o.maxUnauthenticated(), "sshd's MaxStartups full mark");
    assertEquals(50, o.earlyDropStart());
    assertEquals(30, o.earlyDropRate(), "sshd's MaxStartups rate");
    assertEquals(10, o.maxUnauthenticatedPerSource());
    assertEquals(Duration.ofSeconds(15), o.penaltyMin(), "sshd's PerSourcePenalties min");
    assertTrue(o.perSourcePenalties());
    assertEquals(10, o.maxSessionsPerConnection(), "sshd's MaxSessions");
    assertEquals(Duration.ofMinutes(2), o.loginGraceTime(), "sshd's LoginGraceTime");
    assertEquals("127.0.0.1", o.host(), "this machine only unless asked");
  }

  @Test
  void aLimitBelowOneIsRefusedByName() {
    Map<String, Consumer<Integer>> limits = Map.of(
        "maxConnections", n -> builder().maxConnections(n),
        "maxConnectionsPerUser", n -> builder().maxConnectionsPerUser(n),
        "maxUnauthenticated", n -> builder().maxUnauthenticated(n),
        "maxSessionsPerConnection", n -> builder().maxSessionsPerConnection(n));
    limits.forEach((name, set) -> {
      for (int bad : new int[] {0, -1}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> set.accept(bad), name + " " + bad);
        assertTrue(e.getMessage().startsWith(name + " " + bad), e.getMessage());
      }
      set.accept(1); // the smallest that makes sense is taken
    });
  }

  @Test
  void theLimitsSetAreTheLimitsRead() {
    GatewayOptions o = builder().maxConnections(7).maxConnectionsPerUser(3)
        .maxUnauthenticated(4).maxSessionsPerConnection(2).build();
    assertEquals(7, o.maxConnections());
    assertEquals(3, o.maxConnectionsPerUser());
    assertEquals(4, o.maxUnauthenticated());
    assertEquals(2, o.maxSessionsPerConnection());
    assertTrue(o.toString().contains("maxSessionsPerConnection=2"), o.toString());
  }

  @Test
  void withNoWayToLogInOrPasswordsWithoutAWebhookBuildIsRefused() {
    GatewayOptions.Builder none = GatewayOptions.builder(Path.of("host_key"));
    assertTrue(assertThrows(IllegalStateException.class, none::build).getMessage()
        .contains("nobody could log in"));
    assertTrue(assertThrows(IllegalStateException.class, () -> builder().passwordAuth(true)
        .build()).getMessage().contains("decided by the auth webhook only"));
    assertTrue(assertThrows(IllegalStateException.class, () -> builder()
        .authorizedPrincipalsDir(Path.of("p")).build()).getMessage()
        .contains("trustedUserCaKeys"));
    GatewayOptions certs = GatewayOptions.builder(Path.of("host_key"))
        .trustedUserCaKeys(Path.of("ca.pub")).build();
    assertEquals(Path.of("ca.pub"), certs.trustedUserCaKeys().orElseThrow());
    assertTrue(certs.authorizedKeys().isEmpty() && !certs.passwordAuth());
  }
}
