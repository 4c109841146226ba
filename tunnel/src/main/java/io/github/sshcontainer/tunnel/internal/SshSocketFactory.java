package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.SocketFactory;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * The TCP socket under the SSH session: connect with a deadline, no Nagle, and on Linux
 * TCP_QUICKACK re-armed before every read. OpenSSH's sshd leaves Nagle on for connections that
 * only forward (it turns it off for interactive sessions), so a small reply sent right after
 * another small packet waits for our ACK; with delayed ACKs that wait is 40 ms. Acking at once
 * removes the stall; the kernel clears the flag by itself, hence once per read.
 */
final class SshSocketFactory implements SocketFactory {
  private final Duration connectTimeout;

  SshSocketFactory(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port),
          (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  @Override
  public InputStream getInputStream(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    if (!socket.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK)) {
      return in;
    }
    return new FilterInputStream(in) {
      private void quickAck() {
        try {
          socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | RuntimeException ignored) {
          // an optimisation only
        }
      }

      @Override
      public int read() throws IOException {
        quickAck();
        return super.read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        quickAck();
        return super.read(b, off, len);
      }
    };
  }

  @Override
  public OutputStream getOutputStream(Socket socket) throws IOException {
    return socket.getOutputStream();
  }
}
