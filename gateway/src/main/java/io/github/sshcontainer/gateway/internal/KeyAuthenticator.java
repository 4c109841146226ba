package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Public-key authentication against OpenSSH authorized_keys: one file for every user name, or
 * {@code DIR/USER} per user (user names limited to {@code [A-Za-z0-9._-]}, so that a name
 * cannot reach outside DIR). Each refused key is logged with its fingerprint, never more.
 */
public final class KeyAuthenticator implements PublickeyAuthenticator {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]{0,63}");

  private final PublickeyAuthenticator single;
  private final Path dir;
  private final BackendEvents events;

  private KeyAuthenticator(PublickeyAuthenticator single, Path dir, BackendEvents events) {
    this.single = single;
    this.dir = dir;
    this.events = events;
  }

  /** One authorized_keys file for every user (reread when it changes). */
  public static KeyAuthenticator file(Path file, BackendEvents events) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("authorized keys file " + file + " cannot be read");
    }
    return new KeyAuthenticator(new AuthorizedKeysAuthenticator(file), null, events);
  }

  /** {@code dir/USER} per user. */
  public static KeyAuthenticator directory(Path dir, BackendEvents events) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("authorized keys directory " + dir
          + " is not a directory");
    }
    return new KeyAuthenticator(null, dir, events);
  }

  @Override
  public boolean authenticate(String user, PublicKey key, ServerSession session) {
    boolean ok;
    String why;
    if (single != null) {
      // one lookup at a time: MINA's file-watching authenticator reloads the file when it looks
      // changed, and a lookup beside a reload can find no keys (fifty logins at once refused a
      // right key "not in the authorized keys"); the lookup is cheap, the signature check is not
      // in it
      synchronized (single) {
        ok = single.authenticate(user, key, session);
      }
      why = "not in the authorized keys";
    } else if (!USER.matcher(user).matches()) {
      ok = false;
      why = "not a user name the gateway accepts";
    } else {
      Path file = dir.resolve(user);
      if (!Files.isReadable(file)) {
        ok = false;
        why = "no authorized keys for this user";
      } else {
        ok = matches(file, user, key, session);
        why = "not in " + user + "'s authorized keys";
      }
    }
    AuditLog.of(session).auth(user, key, ok, why);
    if (ok) {
      session.setAttribute(ConnectionRegistry.IDENTITY, new LoginIdentity("publickey",
          KeyUtils.getKeyType(key), KeyUtils.getFingerPrint(key),
          PublicKeyEntry.toString(key), Optional.empty()));
    }
    if (!ok) {
      ConnectionRegistry.authFailed(session);
      String client = client(session.getClientAddress());
      MDC.put("event", "key-refused");
      try {
        log.info("gateway: refused public key {} for {} from {}: {}",
            KeyUtils.getFingerPrint(key), user, client, why);
      } finally {
        MDC.remove("event");
      }
      events.loginFailed(user, client, why);
    }
    return ok;
  }

  private static boolean matches(Path file, String user, PublicKey key, ServerSession session) {
    try {
      List<AuthorizedKeyEntry> entries = AuthorizedKeyEntry.readAuthorizedKeys(file);
      return PublickeyAuthenticator.fromAuthorizedEntries(file, session, entries,
          PublicKeyEntryResolver.IGNORING).authenticate(user, key, session);
    } catch (IOException | GeneralSecurityException e) {
      log.warn("gateway: cannot read {}: {}", file, e.getMessage());
      return false;
    }
  }

  static String client(SocketAddress address) {
    if (address instanceof InetSocketAddress a) {
      return a.getHostString() + ":" + a.getPort();
    }
    return String.valueOf(address);
  }
}
