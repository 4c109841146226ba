package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenSSH authorized_keys: one file for every user name, or {@code DIR/USER} per user (user
 * names limited to {@code [A-Za-z0-9._-]}, so that a name cannot reach outside DIR).
 */
final class AuthorizedKeys {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]{0,63}");

  private final PublickeyAuthenticator single;
  private final Path dir;

  private AuthorizedKeys(PublickeyAuthenticator single, Path dir) {
    this.single = single;
    this.dir = dir;
  }

  /** One authorized_keys file for every user (reread when it changes). */
  static AuthorizedKeys file(Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("authorized keys file " + file + " cannot be read");
    }
    return new AuthorizedKeys(new AuthorizedKeysAuthenticator(file), null);
  }

  /** {@code dir/USER} per user. */
  static AuthorizedKeys directory(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("authorized keys directory " + dir
          + " is not a directory");
    }
    return new AuthorizedKeys(null, dir);
  }

  /** Null when {@code key} is authorized for {@code user}; else why not. */
  String refusal(String user, PublicKey key, ServerSession session) {
    if (single != null) {
      // one lookup at a time: MINA's file-watching authenticator reloads the file when it looks
      // changed, and a lookup beside a reload can find no keys (fifty logins at once refused a
      // right key "not in the authorized keys"); the lookup is cheap, the signature check is not
      // in it
      synchronized (single) {
        return single.authenticate(user, key, session) ? null : "not in the authorized keys";
      }
    }
    if (!USER.matcher(user).matches()) {
      return "not a user name the gateway accepts";
    }
    Path file = dir.resolve(user);
    if (!Files.isReadable(file)) {
      return "no authorized keys for this user";
    }
    return matches(file, user, key, session) ? null : "not in " + user + "'s authorized keys";
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
