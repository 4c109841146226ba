package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.ChannelDirectTCPIP;
import com.jcraft.jsch.Proxy;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SocketFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * Carries the next hop's SSH connection inside a {@code direct-tcpip} channel of the previous
 * hop's session: what OpenSSH's ProxyJump does, which JSch does not implement.
 */
final class JumpProxy implements Proxy {
  private final Session via;
  private final int window;
  private final int packet;
  private ChannelDirectTCPIP channel;
  private InputStream in;
  private OutputStream out;

  JumpProxy(Session via, int window, int packet) {
    this.via = via;
    this.window = window;
    this.packet = packet;
  }

  @Override
  public void connect(SocketFactory factory, String host, int port, int timeout)
      throws Exception {
    channel = (ChannelDirectTCPIP) via.getStreamForwarder(host, port);
    ChannelTuning.apply(channel, window, packet);
    in = channel.getInputStream();
    out = channel.getOutputStream();
    channel.connect(timeout);
  }

  @Override
  public InputStream getInputStream() {
    return in;
  }

  @Override
  public OutputStream getOutputStream() {
    return out;
  }

  @Override
  public Socket getSocket() {
    return null;
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.disconnect();
    }
  }
}
