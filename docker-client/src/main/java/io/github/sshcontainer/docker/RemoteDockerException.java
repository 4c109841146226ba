package io.github.sshcontainer.docker;

import java.util.Objects;

/**
 * A remote Docker operation failed for a reason callers can act on. Tunnel failures (SSH,
 * host keys, authentication) stay {@link io.github.sshcontainer.tunnel.TunnelException}s.
 */
public final class RemoteDockerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as a user would name it. */
  public enum Reason {
    /** The daemon does not answer on its socket: stopped, restarting, or the socket is gone. */
    DAEMON_UNAVAILABLE,
    /** The image is not on the remote host and the pull policy forbids pulling it. */
    IMAGE_NOT_FOUND,
    /** Pulling the image failed (no registry reachable, unknown image). */
    PULL_FAILED,
    /**
     * The registry refused the credentials (or needs some and none were found), or the
     * credentials could not be found: a credential helper missing or failing.
     */
    REGISTRY_AUTH_FAILED,
    /** No such container (or it was removed meanwhile). */
    CONTAINER_NOT_FOUND,
    /** The container could not be created or started, or stopped unexpectedly. */
    CONTAINER_FAILED,
    /** An operation ran past its deadline. */
    TIMED_OUT,
    /**
     * The container's image lacks what an operation needs: a shell with {@code kill} to signal
     * an exec, the program a session asks for.
     */
    UNSUPPORTED,
    /**
     * The TLS handshake with a {@code tcp://} daemon failed, or its certificate files cannot be
     * read: a wrong CA, certificate or key.
     */
    TLS_FAILED
  }

  private final Reason reason;

  public RemoteDockerException(Reason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public RemoteDockerException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "RemoteDockerException[" + reason + "]: " + getMessage();
  }
}
