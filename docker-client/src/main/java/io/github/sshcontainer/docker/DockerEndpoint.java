package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DockerClientImpl;
import io.github.sshcontainer.docker.internal.Checks;
import io.github.sshcontainer.docker.internal.EndpointDockerHttpClient;
import io.github.sshcontainer.docker.internal.ExplicitDockerConfig;
import io.github.sshcontainer.docker.internal.PemTls;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * One way in to a Docker daemon, wherever it is, as ContainerSSH's backend config names it:
 *
 * <pre>{@code
 * DockerEndpoint.forHost("ssh://me@build-host").connect()          // over SSH (SshDocker)
 * DockerEndpoint.forHost("unix:///var/run/docker.sock").connect()  // this machine's daemon
 * DockerEndpoint.forHost("tcp://docker.example:2376")              // TLS, as DOCKER_CERT_PATH
 *     .tlsFiles(Path.of("ca.pem"), Path.of("cert.pem"), Path.of("key.pem")).connect()
 * }</pre>
 *
 * Every client it makes is a plain docker-java {@link DockerClient} that {@link DockerExec},
 * {@link OnDemandContainer} and {@link PublishedPorts} take, with the same typed errors: stdin
 * of attach and exec ends properly on every endpoint. Plain {@code tcp://} without TLS is
 * refused: whoever reaches that port is root on the host. TLS keys and certificates are read
 * with the JDK (PKCS#8, PKCS#1 RSA and SEC1 EC keys), no BouncyCastle needed.
 */
public final class DockerEndpoint {
  private DockerEndpoint() {}

  /**
   * A builder for {@code host}: {@code ssh://[user@]host[:port][/socket]}, {@code
   * unix:///path/to/docker.sock} or {@code tcp://host:port} (which needs TLS).
   *
   * @throws IllegalArgumentException for another scheme, naming the ones accepted
   */
  public static Builder forHost(String host) {
    return new Builder(host);
  }

  /** Collects how to reach one daemon; every setter checks its value at once. */
  public static final class Builder {
    private final URI uri;
    private final String scheme;
    private TunnelOptions tunnel;
    private String caPem;
    private String certPem;
    private String keyPem;
    private String tlsWhere;
    private String caWhere;
    private String certWhere;
    private String keyWhere;
    private Duration pingDeadline = SshDocker.DEFAULT_PING_DEADLINE;
    private Duration connectTimeout = Duration.ofSeconds(10);

    private Builder(String host) {
      Objects.requireNonNull(host, "host");
      String lower = host.toLowerCase(Locale.ROOT);
      if (lower.startsWith("ssh://")) {
        scheme = "ssh";
      } else if (lower.startsWith("unix://")) {
        scheme = "unix";
        if (!host.substring(7).startsWith("/")) {
          throw new IllegalArgumentException("Docker host '" + host + "' needs an absolute "
              + "socket path: unix:///var/run/docker.sock");
        }
      } else if (lower.startsWith("tcp://")) {
        scheme = "tcp";
      } else {
        throw new IllegalArgumentException("Docker host '" + host + "' must be ssh://user@host"
            + "[:port][/socket], unix:///path/to/docker.sock or tcp://host:port (with TLS)");
      }
      this.uri = URI.create(scheme.equals("ssh") ? "ssh://x" : host);
      if (scheme.equals("tcp") && (uri.getHost() == null || uri.getPort() < 1)) {
        throw new IllegalArgumentException("Docker host '" + host + "' must name a host and "
            + "port, e.g. tcp://docker.example:2376");
      }
      if (scheme.equals("ssh")) {
        this.tunnel = SshDocker.tunnelOptions(host).build();
      }
    }

    /** For {@code ssh://}: the tunnel's options (what the host string says is kept). */
    public Builder tunnelOptions(TunnelOptions options) {
      if (!scheme.equals("ssh")) {
        throw new IllegalStateException("tunnel options are for ssh:// hosts, not " + scheme);
      }
      this.tunnel = Objects.requireNonNull(options, "options");
      return this;
    }

    /** For {@code tcp://}: TLS with these PEM files (CA, client certificate, its key). */
    public Builder tlsFiles(Path ca, Path cert, Path key) {
      requireTcp();
      caPem = read(ca);
      certPem = read(cert);
      keyPem = read(key);
      caWhere = ca.toString();
      certWhere = cert.toString();
      keyWhere = key.toString();
      tlsWhere = ca + ", " + cert + " and " + key;
      return this;
    }

    /** For {@code tcp://}: TLS with {@code ca.pem}, {@code cert.pem}, {@code key.pem} of dir. */
    public Builder tlsDirectory(Path dir) {
      return tlsFiles(dir.resolve("ca.pem"), dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }

    /** For {@code tcp://}: TLS with PEM text (a secret store's, say). */
    public Builder tlsPem(String ca, String cert, String key) {
      requireTcp();
      caPem = Objects.requireNonNull(ca, "ca");
      certPem = Objects.requireNonNull(cert, "cert");
      keyPem = Objects.requireNonNull(key, "key");
      caWhere = "the CA text";
      certWhere = "the certificate text";
      keyWhere = "the key text";
      tlsWhere = "the PEM text given";
      return this;
    }

    /** How long {@code connect} keeps pinging a daemon that does not answer yet. Default 30 s. */
    public Builder pingDeadline(Duration deadline) {
      this.pingDeadline = Checks.positive("pingDeadline", deadline);
      return this;
    }

    /** For unix:// and tcp://: the connect timeout. Default 10 s (ssh://: the tunnel's). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive("connectTimeout", timeout);
      return this;
    }

    private void requireTcp() {
      if (!scheme.equals("tcp")) {
        throw new IllegalStateException("TLS settings are for tcp:// hosts, not " + scheme
            + "://");
      }
    }

    private static String read(Path file) {
      try {
        return Files.readString(Objects.requireNonNull(file, "file"), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TLS_FAILED, "cannot read "
            + file + ": " + e.getMessage(), e);
      }
    }

    /**
     * Connects and pings the daemon; the client owns what it opened (the tunnel for ssh://).
     *
     * @throws io.github.sshcontainer.tunnel.TunnelException for ssh:// when the tunnel fails
     * @throws RemoteDockerException DAEMON_UNAVAILABLE when the daemon does not answer within
     *     the ping deadline; TLS_FAILED for a certificate, key or CA that does not fit
     * @throws IllegalStateException for tcp:// without TLS
     */
    public DockerClient connect() {
      switch (scheme) {
        case "ssh":
          return SshDocker.connect(tunnel, pingDeadline);
        case "unix":
          return SshDocker.ping(DockerClientImpl.getInstance(new ExplicitDockerConfig(uri, null),
              EndpointDockerHttpClient.unix(Path.of(uri.getPath()), connectTimeout)),
              pingDeadline, uri.toString());
        default:
          if (caPem == null) {
            throw new IllegalStateException("tcp:// without TLS gives root on the Docker host "
                + "to whoever reaches " + uri.getHost() + ":" + uri.getPort() + ": give "
                + "tlsFiles(ca, cert, key) or tlsDirectory(dir), or reach it over ssh://");
          }
          SSLContext tls = PemTls.context(caPem, certPem, keyPem, caWhere, certWhere, keyWhere);
          URI https = URI.create("tcp://" + uri.getHost() + ":" + uri.getPort());
          return SshDocker.ping(DockerClientImpl.getInstance(new ExplicitDockerConfig(https,
              null), EndpointDockerHttpClient.tls(https, tls, tlsWhere, connectTimeout)),
              pingDeadline, https.toString());
      }
    }
  }
}
