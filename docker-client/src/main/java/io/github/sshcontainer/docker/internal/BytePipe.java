package io.github.sshcontainer.docker.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * A bounded in-memory pipe between two threads: what the writer puts in {@link #sink()}, the
 * reader takes from {@link #source()}. A full pipe blocks the writer, so a reader that stops
 * reading holds back only its own stream (and, through the tunnel's flow control, only its own
 * SSH channel). Unlike {@code PipedInputStream} it does not care which threads come and go.
 * Closing the sink is the reader's end of stream once the bytes before it are read; closing the
 * source makes later writes vanish instead of blocking forever.
 */
public final class BytePipe {
  private final byte[] ring;
  private int head; // next byte to read
  private int size;
  private boolean sinkClosed;
  private boolean sourceClosed;
  private IOException failure;

  public BytePipe(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity + " must be positive");
    }
    ring = new byte[capacity];
  }

  private final OutputStream sink = new OutputStream() {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      put(b, off, len);
    }

    @Override
    public void close() {
      closeSink(null);
    }
  };

  private final InputStream source = new InputStream() {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return take(b, off, len);
    }

    @Override
    public int available() {
      synchronized (BytePipe.this) {
        return size;
      }
    }

    @Override
    public void close() {
      synchronized (BytePipe.this) {
        sourceClosed = true;
        size = 0;
        BytePipe.this.notifyAll();
      }
    }
  };

  /** Where the producer writes; close it at end of stream. */
  public OutputStream sink() {
    return sink;
  }

  /** What the consumer reads. */
  public InputStream source() {
    return source;
  }

  /** Ends the stream: with {@code failure}, the reader gets it after the buffered bytes. */
  public synchronized void closeSink(IOException failure) {
    if (!sinkClosed) {
      sinkClosed = true;
      this.failure = failure;
      notifyAll();
    }
  }

  private synchronized void put(byte[] b, int off, int len) throws IOException {
    if (sinkClosed) {
      throw new IOException("pipe closed");
    }
    while (len > 0) {
      while (size == ring.length && !sourceClosed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted writing to a full pipe");
        }
      }
      if (sourceClosed) {
        return; // nobody reads: drop
      }
      int tail = (head + size) % ring.length;
      int n = Math.min(len, Math.min(ring.length - size, ring.length - tail));
      System.arraycopy(b, off, ring, tail, n);
      size += n;
      off += n;
      len -= n;
      notifyAll();
    }
  }

  private synchronized int take(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (size == 0) {
      if (sourceClosed) {
        throw new IOException("stream closed");
      }
      if (sinkClosed) {
        if (failure != null) {
          throw failure;
        }
        return -1;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted reading a pipe");
      }
    }
    int n = Math.min(len, Math.min(size, ring.length - head));
    System.arraycopy(ring, head, b, off, n);
    head = (head + n) % ring.length;
    size -= n;
    notifyAll();
    return n;
  }
}
