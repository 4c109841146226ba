package io.github.sshcontainer.gateway.backend;

import java.util.Objects;

/**
 * A backend cannot do what a connection or session asks. Its message is for the SSH client's
 * user (one stderr line): it says what failed and, where they can, what to do, and names no
 * detail of the gateway's own host; the gateway's log has the rest.
 */
public final class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why, as a user would name it. */
  public enum Reason {
    /** The request is not allowed here (a disabled shell, an unknown subsystem). */
    REFUSED,
    /** A limit is reached (connections, containers). */
    LIMIT,
    /** The container host cannot be reached now; trying later may work. */
    UNAVAILABLE,
    /** The container could not be made or started (a missing image, a failed pull). */
    FAILED
  }

  private final Reason reason;

  public BackendException(Reason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public BackendException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "BackendException[" + reason + "]: " + getMessage();
  }
}
