package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.SocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * The TCP socket under the SSH session: connect with a deadline, no Nagle, reads in large
 * chunks, and on Linux TCP_QUICKACK re-armed before every read of the socket.
 *
 * <p>Large reads: JSch reads each packet in two or more small reads (the first block, then the
 * rest), so unbuffered, every packet costs at least two system calls; with many channels busy
 * one read here brings several packets, as OpenSSH's one read serves many channels.
 *
 * <p>Quick ACK: OpenSSH's sshd leaves Nagle on for connections that only forward (it turns it off
 * for interactive sessions), so a small reply sent right after another small packet waits for
 * our ACK; with delayed ACKs that wait is 40 ms. Acking at once removes the stall; the kernel
 * clears the flag by itself, hence once per read of the socket.
 */
final class SshSocketFactory implements SocketFactory {
  /** As large as the socket usually holds at once: one read takes every packet waiting. */
  private static final int READ_CHUNK = 64 * 1024;

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
    return new ChunkedInput(socket,
        socket.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK));
  }

  @Override
  public OutputStream getOutputStream(Socket socket) throws IOException {
    return socket.getOutputStream();
  }

  /** The socket's input read a chunk at a time; JSch's session thread is its only reader. */
  private static final class ChunkedInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private final boolean quickAck;
    private final byte[] chunk = new byte[READ_CHUNK];
    private int pos;
    private int end;

    ChunkedInput(Socket socket, boolean quickAck) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.quickAck = quickAck;
    }

    /** Refills the chunk with what one read brings; false at end of stream. */
    private boolean fill() throws IOException {
      if (quickAck) {
        try {
          socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (IOException | RuntimeException ignored) {
          // an optimisation only
        }
      }
      int n = in.read(chunk, 0, chunk.length);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      end = n;
      return true;
    }

    @Override
    public int read() throws IOException {
      if (pos == end && !fill()) {
        return -1;
      }
      return chunk[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (pos == end && !fill()) {
        return -1;
      }
      int n = Math.min(len, end - pos);
      System.arraycopy(chunk, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public int available() throws IOException {
      return end - pos + in.available();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
