package io.github.sshcontainer.docker.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A connection that one thread reads while another writes, and whose write side can be shut
 * down alone (the half-close that ends a hijacked stream's stdin): a socket channel (a tunnel's
 * or a local Unix socket) or a plain or TLS socket (TLS 1.3 sends close_notify for it).
 */
interface Duplex extends AutoCloseable {
  InputStream input();

  void write(byte[] b, int off, int len) throws IOException;

  void shutdownOutput() throws IOException;

  @Override
  void close();

  static Duplex of(SocketAddress address) throws IOException {
    return new ChannelDuplex(SocketChannel.open(address));
  }

  static Duplex of(Socket socket) throws IOException {
    return new SocketDuplex(socket);
  }

  /** Reads one CRLF-ended line of an HTTP head. */
  static String readLine(InputStream in, int max) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        break;
      }
      if (b != '\r') {
        line.write(b);
      }
      if (line.size() > max) {
        throw new IOException("HTTP header line too long from the Docker daemon");
      }
    }
    if (b < 0 && line.size() == 0) {
      throw new IOException("the Docker daemon closed the connection before answering");
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  /** A socket channel, read without the shared lock of {@code Channels.newInputStream}. */
  final class ChannelDuplex implements Duplex {
    private final SocketChannel ch;
    private final InputStream in;

    ChannelDuplex(SocketChannel ch) {
      this.ch = ch;
      this.in = new InputStream() {
        private final ByteBuffer one = ByteBuffer.allocate(1);

        @Override
        public int read() throws IOException {
          one.clear();
          int n;
          do {
            n = ch.read(one);
          } while (n == 0);
          return n < 0 ? -1 : one.get(0) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          try {
            return ch.read(ByteBuffer.wrap(b, off, len));
          } catch (AsynchronousCloseException e) {
            return -1; // closed by the caller: end of stream
          }
        }

        @Override
        public void close() {
          ChannelDuplex.this.close();
        }
      };
    }

    @Override
    public InputStream input() {
      return in;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ByteBuffer buf = ByteBuffer.wrap(b, off, len);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }

    @Override
    public void shutdownOutput() throws IOException {
      ch.shutdownOutput();
    }

    @Override
    public void close() {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /** A socket (TLS or plain); its streams are independent, so read and write may overlap. */
  final class SocketDuplex implements Duplex {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    SocketDuplex(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    @Override
    public InputStream input() {
      return in;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      out.flush();
    }

    @Override
    public void shutdownOutput() throws IOException {
      socket.shutdownOutput();
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
