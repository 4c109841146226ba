package io.github.sshcontainer.registry;

import java.util.Objects;

/**
 * Registry credentials could not be found: the Docker config cannot be read, or a credential
 * helper it names is missing or fails. The message says which and what to do; it never holds a
 * secret. The Docker and containerd clients report it as their own typed error.
 */
public final class CredentialsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CredentialsException(String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
  }

  public CredentialsException(String message) {
    this(message, null);
  }
}
