package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Receives an exec's or attach's frames from docker-java and writes each to stdout or stderr
 * (a TTY's raw frames to stdout); completes {@link #ended()} when the daemon closes the stream,
 * after every frame was written. It writes on docker-java's stream thread, so a stream that
 * blocks (a full pipe nobody reads) holds back this stream only.
 */
public final class FrameRouter implements ResultCallback<Frame> {
  private final OutputStream stdout;
  private final OutputStream stderr;
  private final CountDownLatch started = new CountDownLatch(1);
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private volatile Closeable stream;
  private volatile boolean closed;

  public FrameRouter(OutputStream stdout, OutputStream stderr) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  @Override
  public void onStart(Closeable stream) {
    this.stream = stream;
    started.countDown();
    if (closed) {
      closeQuietly(stream);
    }
  }

  @Override
  public void onNext(Frame frame) {
    try {
      OutputStream target = frame.getStreamType() == StreamType.STDERR ? stderr : stdout;
      target.write(frame.getPayload());
      target.flush();
    } catch (IOException e) {
      // the reader went away: drop the rest of this stream, keep reading to its end
    }
  }

  /** Not docker-java's template: it logs every error at ERROR, a closed stream included. */
  @Override
  public void onError(Throwable throwable) {
    started.countDown();
    ended.completeExceptionally(throwable);
    closeQuietly(stream);
  }

  @Override
  public void onComplete() {
    started.countDown();
    ended.complete(null);
  }

  /** Ends the stream from this side. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(stream);
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** Waits until the daemon answered the request (the stream is attached) or it failed. */
  public boolean awaitStarted(long millis) throws InterruptedException {
    return started.await(millis, TimeUnit.MILLISECONDS);
  }

  /** Completes once the stream has ended and every frame was written. */
  public CompletableFuture<Void> ended() {
    return ended;
  }
}
