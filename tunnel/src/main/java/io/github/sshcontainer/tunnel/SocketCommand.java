package io.github.sshcontainer.tunnel;

/**
 * How a connection reaches the remote socket when stream-local forwarding is refused or not
 * wanted: a command run on the remote host over an exec channel, whose stdin and stdout become
 * the connection. The tunnel knows nothing of what is behind the socket; a client module that
 * does (Docker's {@code docker system dial-stdio}) supplies the command.
 *
 * <p>Implementations must quote the path for a POSIX shell and be thread-safe.
 */
@FunctionalInterface
public interface SocketCommand {
  /** The shell command that connects its stdin and stdout to {@code remoteSocket}. */
  String command(String remoteSocket);

  /** Quotes {@code s} for a POSIX shell, for use inside {@link #command}. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
