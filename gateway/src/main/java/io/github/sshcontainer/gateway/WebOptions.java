package io.github.sshcontainer.gateway;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The gateway's web terminal ({@code --web}): where its page listens, how long a login link
 * and a dropped page's session last, and its TLS. A session opened there is a gateway session
 * like an SSH one (the same backend, limits, policy, audit and clean-up). Immutable; {@link
 * #toBuilder()} for a changed copy. Given to the gateway with {@link
 * GatewayOptions.Builder#web(WebOptions)}.
 *
 * <p>Without TLS the page serves plain HTTP, which a network can read and change: it may then
 * listen only on a loopback address (behind a TLS proxy on the same host, or for a test),
 * unless {@link Builder#insecure(boolean)} says otherwise.
 */
public final class WebOptions {
  private final String host;
  private final int port;
  private final Duration reconnect;
  private final Duration linkTtl;
  private final Path tlsCert;
  private final Path tlsKey;
  private final boolean insecure;
  private final URI url;
  private final Path linkKey;
  private final Duration ping;

  private WebOptions(Builder b) {
    host = b.host;
    port = b.port;
    reconnect = b.reconnect;
    linkTtl = b.linkTtl;
    tlsCert = b.tlsCert;
    tlsKey = b.tlsKey;
    insecure = b.insecure;
    url = b.url;
    linkKey = b.linkKey;
    ping = b.ping;
  }

  /** A builder for a page on {@code host:port} (0 for any free port). */
  public static Builder listen(String host, int port) {
    return new Builder().listen(host, port);
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.reconnect = reconnect;
    b.linkTtl = linkTtl;
    b.tlsCert = tlsCert;
    b.tlsKey = tlsKey;
    b.insecure = insecure;
    b.url = url;
    b.linkKey = linkKey;
    b.ping = ping;
    return b;
  }

  /** The address the page listens on. Default: 127.0.0.1. */
  public String host() {
    return host;
  }

  /** Its port; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** How long a page's session waits for the page to come back after its websocket drops. */
  public Duration reconnect() {
    return reconnect;
  }

  /** How long a login link is valid. */
  public Duration linkTtl() {
    return linkTtl;
  }

  /** The PEM certificate chain the page is served with (TLS), if any. */
  public Optional<Path> tlsCert() {
    return Optional.ofNullable(tlsCert);
  }

  /** The PEM private key of {@link #tlsCert()}. */
  public Optional<Path> tlsKey() {
    return Optional.ofNullable(tlsKey);
  }

  /** Whether the page is served with TLS. */
  public boolean tls() {
    return tlsCert != null;
  }

  /** Whether plain HTTP may listen on a non-loopback address. */
  public boolean insecure() {
    return insecure;
  }

  /** The page's address as users reach it (behind a proxy), for the links, if given. */
  public Optional<URI> url() {
    return Optional.ofNullable(url);
  }

  /**
   * The file holding the key login links are signed with, if given; by default {@code
   * web_link_key} beside the gateway's host key.
   */
  public Optional<Path> linkKey() {
    return Optional.ofNullable(linkKey);
  }

  /**
   * How often the gateway pings each open page; a page from which nothing (not even the
   * browser's answer to a ping) came for three of these is taken for gone.
   */
  public Duration ping() {
    return ping;
  }

  /** Equal when every option is (a reload compares them: they change only with a restart). */
  @Override
  public boolean equals(Object o) {
    return o instanceof WebOptions w && host.equals(w.host) && port == w.port
        && reconnect.equals(w.reconnect) && linkTtl.equals(w.linkTtl)
        && Objects.equals(tlsCert, w.tlsCert) && Objects.equals(tlsKey, w.tlsKey)
        && insecure == w.insecure && Objects.equals(url, w.url)
        && Objects.equals(linkKey, w.linkKey) && ping.equals(w.ping);
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, reconnect, linkTtl, tlsCert, tlsKey, insecure, url,
        linkKey, ping);
  }

  @Override
  public String toString() {
    return "WebOptions[" + host + ":" + port + (tls() ? ", tls=" + tlsCert : ", plain HTTP")
        + (insecure ? ", insecure" : "") + ", reconnect=" + reconnect + ", linkTtl=" + linkTtl
        + (url != null ? ", url=" + url : "") + ", ping=" + ping + "]";
  }

  /** Collects the options; every setter checks its value at once. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private Duration reconnect = Duration.ofMinutes(2);
    private Duration linkTtl = Duration.ofMinutes(2);
    private Path tlsCert;
    private Path tlsKey;
    private boolean insecure;
    private URI url;
    private Path linkKey;
    private Duration ping = Duration.ofSeconds(30);

    private Builder() {}

    /** Where the page listens; port 0 picks a free one. */
    public Builder listen(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("web host must not be blank");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("web port " + port + " must be 0..65535");
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /**
     * A page whose websocket dropped (a proxy, a laptop's sleep) may come back to the same
     * shell within {@code d}; after it the session ends as a closed SSH connection does.
     * Default: 2 minutes.
     */
    public Builder reconnect(Duration d) {
      this.reconnect = positive("web reconnect", d);
      return this;
    }

    /**
     * A login link is valid for {@code d}, once; at most {@link #MAX_LINK_TTL} (24 h): a link
     * is a password in a URL, and a long-lived one outlives whoever it was sent to. Default: 2
     * minutes.
     */
    public Builder linkTtl(Duration d) {
      this.linkTtl = linkTtlChecked(d);
      return this;
    }

    /** Serves the page with TLS: a PEM certificate chain and its PEM private key. */
    public Builder tls(Path cert, Path key) {
      this.tlsCert = Objects.requireNonNull(cert, "tlsCert");
      this.tlsKey = Objects.requireNonNull(key, "tlsKey");
      return this;
    }

    /** Lets plain HTTP listen on a non-loopback address. Default: false. */
    public Builder insecure(boolean on) {
      this.insecure = on;
      return this;
    }

    /**
     * The page's address as users reach it ({@code https://terminal.example.org/}), when a
     * proxy stands in front: links use it and a websocket from its origin is admitted.
     * Default: the listener's own address.
     */
    public Builder url(URI url) {
      Objects.requireNonNull(url, "url");
      if (url.getScheme() == null || url.getHost() == null
          || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
        throw new IllegalArgumentException("web url " + url + " must be http(s)://HOST[:PORT]/");
      }
      this.url = url;
      return this;
    }

    /**
     * How often the gateway pings each open page, which keeps proxies from taking the
     * websocket for idle; a page from which nothing came for three of these (a laptop closed
     * for good, a network gone without a word) is taken for gone, and its session waits
     * {@link #reconnect} for it. Default: 30 s; at least 1 s.
     */
    public Builder ping(Duration d) {
      positive("web ping", d);
      if (d.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("web ping " + d + " must be at least 1 s");
      }
      this.ping = d;
      return this;
    }

    /** Where the key that signs login links is kept (made 0600 at first start). */
    public Builder linkKey(Path file) {
      this.linkKey = Objects.requireNonNull(file, "linkKey");
      return this;
    }

    /** The longest a login link may be valid: 24 hours. */
    public static final Duration MAX_LINK_TTL = Duration.ofHours(24);

    /**
     * {@code d} if it is a valid link lifetime (positive, at most {@link #MAX_LINK_TTL}).
     *
     * @throws IllegalArgumentException naming the value and the limit
     */
    public static Duration linkTtlChecked(Duration d) {
      positive("web link ttl", d);
      if (d.compareTo(MAX_LINK_TTL) > 0) {
        throw new IllegalArgumentException("web link ttl " + d + " is longer than "
            + MAX_LINK_TTL.toHours() + " h, the most a link may live: mint links closer to "
            + "when they are used");
      }
      return d;
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " " + d + " must be positive");
      }
      return d;
    }

    /**
     * @throws IllegalArgumentException for plain HTTP on an address that is not loopback
     *     without {@link #insecure(boolean)}
     */
    public WebOptions build() {
      if (tlsCert == null && !insecure && !loopback(host)) {
        throw new IllegalArgumentException("the web terminal on " + host + ":" + port
            + " would serve plain HTTP, which anyone on the network can read (login links, "
            + "what users type): give a certificate (--web-tls-cert FILE --web-tls-key FILE), "
            + "listen on 127.0.0.1 behind a TLS proxy, or pass --web-insecure");
      }
      return new WebOptions(this);
    }

    private static boolean loopback(String host) {
      if (host.equals("localhost")) {
        return true;
      }
      try {
        // a literal address only: a name is not looked up here
        if (host.matches("[0-9.]+") || host.contains(":")) {
          return InetAddress.getByName(host).isLoopbackAddress();
        }
      } catch (UnknownHostException e) {
        return false;
      }
      return false;
    }
  }
}
