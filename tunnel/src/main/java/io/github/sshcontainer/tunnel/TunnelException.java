package io.github.sshcontainer.tunnel;

import java.util.Objects;

/**
 * Why a tunnel could not be opened or stopped working. Callers switch on {@link #reason()}; the
 * message names what was tried (host, port, user, remote path, attempts) and what to do next. No
 * message ever contains a password, passphrase or key.
 */
public final class TunnelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The few things that go wrong, as a user would name them. */
  public enum Reason {
    /** The server accepted none of the offered credentials, or a key could not be decrypted. */
    AUTHENTICATION_FAILED,
    /** The server's host key is not in known_hosts and accepting new keys was not allowed. */
    HOST_KEY_UNKNOWN,
    /** The server's host key differs from the known or pinned one: possibly an attack. */
    HOST_KEY_CHANGED,
    /** No TCP connection or SSH handshake: refused, unreachable, unknown host, reset. */
    CANNOT_CONNECT,
    /** A connect, handshake, channel open or readiness check ran past its deadline. */
    TIMED_OUT,
    /**
     * The remote socket could not be opened: it is missing, the SSH user may not open it, or the
     * server refuses stream-local forwarding.
     */
    REMOTE_SOCKET_UNAVAILABLE,
    /**
     * The local socket could not be made: its directory is not writable, the path is too long
     * for a Unix socket, or another file is in the way.
     */
    LOCAL_SOCKET_UNAVAILABLE,
    /** A local TCP port for a forward is taken (or may not be bound). */
    LOCAL_PORT_UNAVAILABLE,
    /**
     * A TCP forward's target cannot be reached from the remote host, or the server refuses TCP
     * forwarding.
     */
    REMOTE_PORT_UNAVAILABLE,
    /** The tunnel was closed, or its SSH connection is gone and cannot come back. */
    CLOSED
  }

  private final Reason reason;

  public TunnelException(Reason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public TunnelException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "TunnelException[" + reason + "]: " + getMessage();
  }
}
