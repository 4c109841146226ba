package io.github.sshcontainer.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SshTargetTest {

  @ParameterizedTest
  @CsvSource(nullValues = "-", value = {
      "ssh://alice@example.com:2222,        alice, example.com, 2222, -",
      "ssh://example.com,                   -,     example.com, 0,    -",
      "alice@example.com,                   alice, example.com, 0,    -",
      "example.com:22,                      -,     example.com, 22,   -",
      "build-box,                           -,     build-box,   0,    -",
      "[::1]:2222,                          -,     ::1,         2222, -",
      "ssh://bob@[fe80::1%eth0],            bob,   fe80::1%eth0, 0,   -",
      "ssh://bob@host:2375/run/user/1000/docker.sock, bob, host, 2375, /run/user/1000/docker.sock",
      "SSH://root@10.0.0.1/var/run/docker.sock, root, 10.0.0.1, 0, /var/run/docker.sock",
  })
  void parsesTheFormsOpenSshAndDockerUse(String text, String user, String host, int port,
      String path) {
    SshTarget t = SshTarget.parse(text);
    assertEquals(Optional.ofNullable(user), t.user());
    assertEquals(host, t.host());
    assertEquals(port, t.port());
    assertEquals(Optional.ofNullable(path), t.socketPath());
    assertEquals(t, SshTarget.parse(t.toString()), "toString parses back to the same target");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "ssh://", "@host", "host:", "host:0", "host:65536",
      "host:abc", "host:-1", "http://host", "host/path", "::1", "[::1", "[::1]x", "us er@host",
      "ssh://user@:22", "ho st", "host:99999999999"})
  void rejectsMalformedDestinationsWithTheAcceptedForms(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SshTarget.parse(text));
    assertTrue(e.getMessage().startsWith("invalid SSH destination '" + text + "'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("ssh://[user@]host[:port]"), e.getMessage());
  }

  @Test
  void portBoundsAreChecked() {
    assertEquals(65535, SshTarget.parse("h:65535").port());
    assertEquals(1, SshTarget.parse("h:1").port());
    assertThrows(IllegalArgumentException.class, () -> SshTarget.of("u", "h", 65536));
    assertThrows(IllegalArgumentException.class, () -> SshTarget.of("u", "", 22));
  }

  /** Random strings never make the parser fail with anything but IllegalArgumentException. */
  @Test
  void randomInputEitherParsesAndRoundTripsOrIsRejectedCleanly() {
    String alphabet = "ab.-_:@[]/%19 sh:/x";
    SplittableRandom random = new SplittableRandom(42);
    int parsed = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder(random.nextInt(2) == 0 ? "ssh://" : "");
      int len = random.nextInt(16);
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String text = sb.toString();
      try {
        SshTarget t = SshTarget.parse(text);
        parsed++;
        assertTrue(!t.host().isEmpty() && t.port() >= 0 && t.port() <= 65535, text);
        assertEquals(t, SshTarget.parse(t.toString()), text);
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().contains("invalid SSH destination"), text);
      }
    }
    assertTrue(parsed > 100, "the generator produces valid destinations too: " + parsed);
  }
}
