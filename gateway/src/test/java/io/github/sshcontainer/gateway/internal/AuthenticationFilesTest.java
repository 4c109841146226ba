package io.github.sshcontainer.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.gateway.Webhook;
import io.github.sshcontainer.lab.Keys;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Optional;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files an operator writes for authentication, read as sshd reads them, with a typed error
 * naming the file and line for what is wrong: trusted CA keys, revoked keys (a binary KRL says
 * what to do instead), and the webhook's options.
 */
class AuthenticationFilesTest {
  @TempDir Path tmp;

  private PublicKey key(String name) throws Exception {
    Path k = tmp.resolve(name);
    Keys.generate(k, "", "ed25519");
    return PublicKeyEntry.parsePublicKeyEntry(Files.readString(Path.of(k + ".pub")).strip())
        .resolvePublicKey(null, null, null);
  }

  @Test
  void aCaFileWithALineThatIsNoKeyNamesTheLine() throws Exception {
    Path f = Files.writeString(tmp.resolve("ca"), "# comment\n\nssh-ed25519 notbase64!!\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrustedCertificates.load(f, null));
    assertTrue(e.getMessage().contains(f + ": line 3 is not an OpenSSH public key"),
        e.getMessage());
  }

  @Test
  void anEmptyCaFileOrAMissingOneIsRefused() throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty"), "# nothing\n");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TrustedCertificates.load(
        empty, null)).getMessage().contains("holds no key"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TrustedCertificates.load(
        tmp.resolve("missing"), null)).getMessage().contains("cannot be read: no such file"));
  }

  @Test
  void revokedKeysAreMatchedAndTheFileIsReadAgainWhenItChanges() throws Exception {
    PublicKey a = key("a");
    PublicKey b = key("b");
    Path f = Files.writeString(tmp.resolve("revoked"), PublicKeyEntry.toString(a) + "\n");
    RevokedKeys r = RevokedKeys.load(f);
    assertTrue(r.revoked(a).startsWith("revoked"), r.revoked(a));
    assertNull(r.revoked(b));
    Files.writeString(f, "# now b\n" + PublicKeyEntry.toString(b) + " b@host\n");
    Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(
        System.currentTimeMillis() + 2000));
    assertNull(r.revoked(a), "a is no longer listed");
    assertTrue(r.revoked(b) != null, "b is");
  }

  @Test
  void aRevokedKeysFileThatBecomesUnreadableRefusesEveryKey() throws Exception {
    PublicKey a = key("a");
    Path f = Files.writeString(tmp.resolve("revoked"), "");
    RevokedKeys r = RevokedKeys.load(f);
    assertNull(r.revoked(a));
    Files.delete(f);
    assertTrue(r.revoked(a).contains("cannot be read (every key refused until it can)"),
        r.revoked(a));
  }

  @Test
  void aBinaryKrlIsRefusedWithWhatToDo() throws Exception {
    Path f = tmp.resolve("krl");
    Files.write(f, "SSHKRL\n\0\0\0\1".getBytes(StandardCharsets.ISO_8859_1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RevokedKeys.load(f));
    assertTrue(e.getMessage().contains("a binary KRL") && e.getMessage().contains(
        "one a line"), e.getMessage());
  }

  @Test
  void webhookOptionsAreCheckedByName() {
    Optional<Path> none = Optional.empty();
    Optional<Path> some = Optional.of(tmp.resolve("x.pem"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Webhook.Options.of(
        URI.create("ftp://h/x"))).getMessage().contains("is not http:// or https://"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new Webhook.Options(
        URI.create("http://h/x"), Duration.ZERO, none, none, none)).getMessage()
        .contains("timeout must be positive"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new Webhook.Options(
        URI.create("https://h/x"), Duration.ofSeconds(1), none, some, none)).getMessage()
        .contains("needs its key"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new Webhook.Options(
        URI.create("http://h/x"), Duration.ofSeconds(1), some, none, none)).getMessage()
        .contains("needs https://"));
    assertEquals(Duration.ofSeconds(5), Webhook.Options.of(URI.create("http://h/")).timeout());
  }

  @Test
  void webhookTlsFilesThatAreNotPemAreNamed() throws Exception {
    Path junk = Files.writeString(tmp.resolve("junk.pem"), "not a certificate\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Webhook.create(new Webhook.Options(URI.create("https://127.0.0.1:1/x"),
            Duration.ofSeconds(1), Optional.of(junk), Optional.empty(), Optional.empty())));
    assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
  }
}
