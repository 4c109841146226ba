package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TunnelException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Set;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * docker-java's transport for a tunnel: the httpclient5 client for ordinary calls, {@link
 * HijackedExchange} for attach/exec with stdin. It owns the tunnel when asked to, retries an
 * idempotent call once when a pooled connection turns out to be dead (the tunnel reconnected or
 * the daemon restarted), starts a fresh pool after a reconnect, and explains a daemon that does
 * not answer.
 */
public final class TunnelDockerHttpClient implements DockerHttpClient {
  private static final Logger log = LoggerFactory.getLogger(TunnelDockerHttpClient.class);
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");

  private final SocketTunnel tunnel;
  private final boolean ownsTunnel;
  private final int maxConnections;
  private final Duration connectTimeout;
  private volatile ApacheDockerHttpClient delegate;
  private volatile int reconnectsSeen;

  public TunnelDockerHttpClient(SocketTunnel tunnel, boolean ownsTunnel, int maxConnections,
      Duration connectTimeout) {
    this.tunnel = tunnel;
    this.ownsTunnel = ownsTunnel;
    this.maxConnections = maxConnections;
    this.connectTimeout = connectTimeout;
    this.reconnectsSeen = tunnel.reconnects();
    this.delegate = newDelegate();
  }

  private ApacheDockerHttpClient newDelegate() {
    return new ApacheDockerHttpClient.Builder()
        .dockerHost(tunnel.uri())
        .sslConfig(null)
        .maxConnections(maxConnections)
        .connectionTimeout(connectTimeout)
        .build();
  }

  public SocketTunnel tunnel() {
    return tunnel;
  }

  /** After a reconnect every pooled connection is dead: start a fresh pool. */
  private ApacheDockerHttpClient current() {
    int now = tunnel.reconnects();
    if (now != reconnectsSeen) {
      synchronized (this) {
        if (now != reconnectsSeen) {
          ApacheDockerHttpClient old = delegate;
          delegate = newDelegate();
          reconnectsSeen = now;
          closeQuietly(old);
          log.debug("tunnel {} reconnected; fresh Docker connection pool", tunnel.id());
        }
      }
    }
    return delegate;
  }

  /**
   * Each call to the daemon and how long its answer took to start, at DEBUG on {@code
   * io.github.sshcontainer.docker.api}: what a login asks of the daemon, counted.
   */
  private static final Logger api = LoggerFactory.getLogger("io.github.sshcontainer.docker.api");

  @Override
  public Response execute(Request request) {
    if (!api.isDebugEnabled()) {
      return call(request);
    }
    long t0 = System.nanoTime();
    Response r = call(request);
    api.debug("{} {}{} {} in {} ms", request.method(), request.path(),
        request.hijackedInput() != null ? " (hijacked)" : "", r.getStatusCode(),
        (System.nanoTime() - t0) / 1_000_000);
    return r;
  }

  private Response call(Request request) {
    if (request.hijackedInput() != null) {
      try {
        return HijackedExchange.start(Duplex.of(tunnel.localAddress()), request);
      } catch (IOException e) {
        throw unavailable(request, e);
      }
    }
    try {
      return current().execute(request);
    } catch (RuntimeException first) {
      if (!isDeadConnection(first)) {
        throw first;
      }
      if (IDEMPOTENT.contains(request.method()) && request.hijackedInput() == null) {
        log.debug("retrying {} {} once on a fresh connection: {}", request.method(),
            request.path(), first.toString());
        try {
          return current().execute(request);
        } catch (RuntimeException second) {
          if (isDeadConnection(second)) {
            throw unavailable(request, second);
          }
          throw second;
        }
      }
      throw unavailable(request, first);
    }
  }

  /** Why the daemon did not answer, asked of the tunnel; a DAEMON_UNAVAILABLE either way. */
  private RuntimeException unavailable(Request request, Throwable cause) {
    String why;
    try {
      tunnel.checkRemote();
      why = "the socket accepts connections again now; the daemon may have restarted: retry";
    } catch (TunnelException t) {
      why = t.getMessage();
    }
    return new RemoteDockerException(RemoteDockerException.Reason.DAEMON_UNAVAILABLE,
        "the Docker daemon at " + tunnel.remote() + ":" + tunnel.remoteSocket()
            + " did not answer " + request.method() + " " + request.path() + ": " + why, cause);
  }

  static boolean isDeadConnection(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof NoHttpResponseException || c instanceof SocketException
          || c instanceof EOFException
          || c instanceof ConnectionClosedException
          || c instanceof ClosedChannelException
          || (c instanceof IOException && String.valueOf(c.getMessage()).contains("Broken pipe"))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    try {
      delegate.close();
    } finally {
      if (ownsTunnel) {
        tunnel.close();
      }
    }
  }

  private static void closeQuietly(ApacheDockerHttpClient c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // an old pool
    }
  }
}
