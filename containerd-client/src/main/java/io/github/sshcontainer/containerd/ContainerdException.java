package io.github.sshcontainer.containerd;

import java.util.Objects;

/**
 * A remote containerd operation failed for a reason callers can act on. Tunnel failures stay
 * {@link io.github.sshcontainer.tunnel.TunnelException}s.
 */
public final class ContainerdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Reason {
    /** containerd does not answer on its socket. */
    UNAVAILABLE,
    /** The daemon does not offer this service (an older containerd, e.g. Transfer on 1.6). */
    UNIMPLEMENTED,
    /** No such image, container, namespace or content. */
    NOT_FOUND,
    /** The input (image archive, spec) is not usable. */
    INVALID,
    /** containerd refused or failed the operation. */
    FAILED,
    /** An image registry refused the credentials, or needs some and none were given. */
    UNAUTHORIZED,
    /** An operation ran past its deadline. */
    TIMED_OUT
  }

  private final Reason reason;

  public ContainerdException(Reason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public ContainerdException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "ContainerdException[" + reason + "]: " + getMessage();
  }
}
