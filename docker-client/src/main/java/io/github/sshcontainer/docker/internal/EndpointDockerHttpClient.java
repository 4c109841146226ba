package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * docker-java's transport for a daemon reached without SSH: a local Unix socket, or {@code
 * tcp://} with TLS. Ordinary calls go through docker-java's httpclient5 client (with its TLS
 * support); hijacked ones (attach, exec with stdin) through {@link HijackedExchange}, so that
 * stdin ends properly here too. Failures become typed: TLS_FAILED naming the host and the CA,
 * DAEMON_UNAVAILABLE naming the socket or address.
 */
public final class EndpointDockerHttpClient implements DockerHttpClient {
  private interface Dialer {
    Duplex dial() throws IOException;
  }

  private final String display;
  private final String tlsFiles;
  private final ApacheDockerHttpClient delegate;
  private final Dialer dialer;

  private EndpointDockerHttpClient(String display, String tlsFiles,
      ApacheDockerHttpClient delegate, Dialer dialer) {
    this.display = display;
    this.tlsFiles = tlsFiles;
    this.delegate = delegate;
    this.dialer = dialer;
  }

  /** A client for the daemon's Unix socket at {@code socket}. */
  public static EndpointDockerHttpClient unix(Path socket, Duration connectTimeout) {
    URI uri = URI.create("unix://" + socket);
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder().dockerHost(uri)
        .maxConnections(Integer.MAX_VALUE).connectionTimeout(connectTimeout).build();
    return new EndpointDockerHttpClient(uri.toString(), null, http,
        () -> Duplex.of(UnixDomainSocketAddress.of(socket)));
  }

  /**
   * A client for {@code tcp://host:port} over TLS with {@code context}.
   *
   * @param tlsFiles names the CA, certificate and key in error messages
   */
  public static EndpointDockerHttpClient tls(URI tcp, SSLContext context, String tlsFiles,
      Duration connectTimeout) {
    ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder().dockerHost(tcp)
        .sslConfig(() -> context).maxConnections(Integer.MAX_VALUE)
        .connectionTimeout(connectTimeout).build();
    String host = tcp.getHost();
    int port = tcp.getPort();
    return new EndpointDockerHttpClient(tcp.toString(), tlsFiles, http, () -> {
      SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
      try {
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
        s.startHandshake();
        return Duplex.of(s);
      } catch (IOException | RuntimeException e) {
        s.close();
        throw e;
      }
    });
  }

  @Override
  public Response execute(Request request) {
    if (request.hijackedInput() != null) {
      Duplex connection;
      try {
        connection = dialer.dial();
      } catch (IOException e) {
        throw translate(request, e);
      }
      try {
        return HijackedExchange.start(connection, request);
      } catch (IOException e) {
        throw translate(request, e);
      }
    }
    try {
      return delegate.execute(request);
    } catch (RuntimeException e) {
      throw translate(request, e);
    }
  }

  private RuntimeException translate(Request request, Exception e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return new RemoteDockerException(Reason.TLS_FAILED, "the TLS handshake with the Docker "
            + "daemon at " + display + " failed (" + c.getMessage() + "): check that its "
            + "certificate is signed by the CA, and that it trusts the client certificate and "
            + "key, in " + tlsFiles, e);
      }
    }
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof IOException) {
        return new RemoteDockerException(Reason.DAEMON_UNAVAILABLE, "the Docker daemon at "
            + display + " did not answer " + request.method() + " " + request.path() + ": "
            + c.getMessage() + " (is dockerd running there, and may this user open it?)", e);
      }
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
