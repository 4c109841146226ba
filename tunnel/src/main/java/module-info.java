/**
 * A managed SSH tunnel from a private local Unix socket to a remote Unix socket. Only {@code
 * io.github.sshcontainer.tunnel} is exported; the machinery in {@code ….internal} is hidden.
 *
 * <p>Flow control and window tuning reach package-private JSch members ({@code WindowGate},
 * {@code ChannelTuning}); on the module path run with {@code --add-opens
 * com.jcraft.jsch/com.jcraft.jsch=io.github.sshcontainer.tunnel}, else one WARN says that a slow
 * local client will stall the tunnel's other connections.
 */
module io.github.sshcontainer.tunnel {
  requires transitive com.jcraft.jsch; // TunnelOptions.session(Session) is public API
  requires org.slf4j;
  requires jdk.net; // TCP_QUICKACK on the SSH socket (ExtendedSocketOptions)

  exports io.github.sshcontainer.tunnel;
}
