package io.github.sshcontainer.registry;

import java.util.Objects;
import java.util.Optional;

/**
 * Credentials for one image registry, as the Docker CLI sends them with a pull (Docker) or as
 * a registry client uses them (containerd). The secret is never part of {@link #toString()} or
 * of any message.
 */
public final class RegistryAuth {
  private final String username;
  private final String secret;
  private final boolean identityToken;
  private final String source;

  private RegistryAuth(String username, String secret, boolean identityToken, String source) {
    this.username = username;
    this.secret = secret;
    this.identityToken = identityToken;
    this.source = source;
  }

  /** A user name and password (or a registry access token used as the password). */
  public static RegistryAuth basic(String username, String password) {
    if (Objects.requireNonNull(username, "username").isBlank()) {
      throw new IllegalArgumentException("username must not be blank");
    }
    Objects.requireNonNull(password, "password");
    return new RegistryAuth(username, password, false, "given explicitly");
  }

  /** An identity (refresh) token, as {@code docker login} stores for some registries. */
  public static RegistryAuth identityToken(String token) {
    if (Objects.requireNonNull(token, "token").isBlank()) {
      throw new IllegalArgumentException("token must not be blank");
    }
    return new RegistryAuth(null, token, true, "given explicitly");
  }

  /** The same credentials, saying where they came from (for messages). */
  public RegistryAuth from(String where) {
    return new RegistryAuth(username, secret, identityToken, where);
  }

  /** The user name; empty for an identity token. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** True for an identity token instead of a password. */
  public boolean isIdentityToken() {
    return identityToken;
  }

  /** Where these credentials came from: given explicitly, a config file, a helper. */
  public String source() {
    return source;
  }

  /** The password or token, for sending to the registry; never log it. */
  public String secret() {
    return secret;
  }

  @Override
  public String toString() {
    return "RegistryAuth[" + (identityToken ? "identity token" : "user=" + username)
        + ", " + source + "]";
  }
}
