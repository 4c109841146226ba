package io.github.sshcontainer.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.gateway.internal.WebhookTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * A JSON webhook the gateway asks (authentication, per-user container settings): one POST of a
 * JSON object, one JSON object back, within a deadline. Over https it trusts the CA file it is
 * given (else the JDK's CAs) and may present a client certificate (mutual TLS).
 *
 * <p>Failures complete the future with a {@link Failure}, whose message names the URL and what
 * went wrong, never what was sent (it may hold a password). Thread-safe; {@link #close()} stops
 * its threads.
 */
public final class Webhook implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger IDS = new AtomicInteger();

  /**
   * Where and how to reach a webhook.
   *
   * @param url http or https
   * @param timeout the deadline of one call, connection included (default 5 s)
   * @param ca a PEM file of the CA certificates to trust for https (else the JDK's)
   * @param clientCertificate a PEM client certificate (chain) for mutual TLS
   * @param clientKey the PEM private key of {@code clientCertificate} (PKCS#8 or PKCS#1)
   */
  public record Options(URI url, Duration timeout, Optional<Path> ca,
      Optional<Path> clientCertificate, Optional<Path> clientKey) {
    /** The default deadline of one call. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public Options {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(ca, "ca");
      Objects.requireNonNull(clientCertificate, "clientCertificate");
      Objects.requireNonNull(clientKey, "clientKey");
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("webhook URL " + url + " is not http:// or https://");
      }
      if (url.getHost() == null) {
        throw new IllegalArgumentException("webhook URL " + url + " has no host");
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("webhook timeout must be positive, was " + timeout);
      }
      if (clientCertificate.isPresent() != clientKey.isPresent()) {
        throw new IllegalArgumentException("a webhook client certificate needs its key and a "
            + "key its certificate (--webhook-cert with --webhook-key)");
      }
      if (!scheme.equals("https") && (ca.isPresent() || clientCertificate.isPresent())) {
        throw new IllegalArgumentException("webhook URL " + url + " is plain http: a CA file "
            + "or client certificate needs https://");
      }
    }

    /** {@code url} with the default timeout and no TLS files. */
    public static Options of(URI url) {
      return new Options(url, DEFAULT_TIMEOUT, Optional.empty(), Optional.empty(),
          Optional.empty());
    }
  }

  /** Why a call failed. */
  public enum Reason {
    /** No answer within the timeout. */
    TIMEOUT,
    /** Nothing listens there, the name does not resolve, or TLS failed. */
    UNREACHABLE,
    /** An answer other than 2xx. */
    STATUS,
    /** A 2xx whose body is not a JSON object. */
    BODY
  }

  /** A webhook call that failed; the message is safe to log. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Reason reason;

    Failure(Reason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  /** Calls at once at most; more fail at once (BUSY is UNREACHABLE: the login is refused). */
  private static final int MAX_CALLS = 64;

  private final Options options;
  private final ThreadPoolExecutor executor;
  private final SSLSocketFactory tls;

  private Webhook(Options options, ThreadPoolExecutor executor, SSLSocketFactory tls) {
    this.options = options;
    this.executor = executor;
    this.tls = tls;
  }

  /**
   * A client for {@code options}; reads the CA, certificate and key files now.
   *
   * @throws IllegalArgumentException when a file cannot be read or is not PEM of that kind
   */
  public static Webhook create(Options options) {
    Objects.requireNonNull(options, "options");
    SSLSocketFactory tls = null;
    if (options.url().getScheme().equalsIgnoreCase("https")) {
      tls = WebhookTls.context(options.ca(), options.clientCertificate(), options.clientKey())
          .getSocketFactory();
    }
    int id = IDS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    // plain blocking calls on threads of its own, which end 10 s after the last call: the
    // JDK 17 HttpClient keeps a selector thread per client until it is garbage collected
    ThreadPoolExecutor executor = new ThreadPoolExecutor(0, MAX_CALLS, 10, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "ssh-container-webhook-" + id + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    return new Webhook(options, executor, tls);
  }

  /** Where it posts. */
  public Options options() {
    return options;
  }

  /**
   * POSTs {@code body} as JSON; completes with the answer's JSON object, or with a {@link
   * Failure} (never later than the timeout).
   */
  public CompletableFuture<Map<String, Object>> post(Map<String, ?> body) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "webhook request cannot be written as JSON"));
    }
    CompletableFuture<Map<String, Object>> answer;
    try {
      answer = CompletableFuture.supplyAsync(() -> call(json), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new Failure(Reason.UNREACHABLE, "webhook "
          + display() + ": " + MAX_CALLS + " calls already wait for it (is it slow?)"));
    }
    // connect and read each have the timeout: the whole call has it too
    return answer.orTimeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(failure(error)));
  }

  private Map<String, Object> call(byte[] json) {
    HttpURLConnection c = null;
    try {
      c = (HttpURLConnection) options.url().toURL().openConnection(Proxy.NO_PROXY);
      if (c instanceof HttpsURLConnection https && tls != null) {
        https.setSSLSocketFactory(tls);
      }
      int millis = (int) Math.min(Integer.MAX_VALUE, options.timeout().toMillis());
      c.setConnectTimeout(millis);
      c.setReadTimeout(millis);
      c.setInstanceFollowRedirects(false);
      c.setUseCaches(false);
      c.setDoOutput(true);
      c.setRequestMethod("POST");
      c.setRequestProperty("Content-Type", "application/json");
      c.setRequestProperty("Accept", "application/json");
      c.setRequestProperty("User-Agent", "ssh-container-gateway");
      c.setFixedLengthStreamingMode(json.length);
      try (OutputStream out = c.getOutputStream()) {
        out.write(json);
      }
      int status = c.getResponseCode();
      if (status < 200 || status > 299) {
        throw new Failure(Reason.STATUS, "webhook " + display() + " answered HTTP " + status);
      }
      byte[] body;
      try (InputStream in = c.getInputStream()) {
        body = in.readNBytes(MAX_ANSWER + 1);
      }
      if (body.length > MAX_ANSWER) {
        throw new Failure(Reason.BODY, "webhook " + display() + " answered more than "
            + MAX_ANSWER + " bytes");
      }
      return answer(status, body);
    } catch (IOException e) {
      throw failure(e);
    } finally {
      if (c != null) {
        c.disconnect();
      }
    }
  }

  /** An answer is a small JSON object; a bigger one is a broken webhook. */
  private static final int MAX_ANSWER = 1 << 20;

  @SuppressWarnings("unchecked")
  private Map<String, Object> answer(int status, byte[] body) {
    try {
      Object value = JSON.readValue(body, Object.class);
      if (value instanceof Map<?, ?> map) {
        return (Map<String, Object>) map;
      }
    } catch (IOException e) {
      // falls through: not JSON
    }
    throw new Failure(Reason.BODY, "webhook " + display() + " answered HTTP " + status
        + " with a body that is not a JSON object");
  }

  /** The URL without user info or query, which may hold secrets. */
  private String display() {
    URI u = options.url();
    return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
        + (u.getPath() == null ? "" : u.getPath());
  }

  private Failure failure(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (e instanceof Failure f) {
      return f;
    }
    String url = display();
    if (e instanceof SocketTimeoutException || e instanceof TimeoutException) {
      return new Failure(Reason.TIMEOUT, "webhook " + url + ": no answer within "
          + options.timeout().toMillis() + " ms");
    }
    if (e instanceof ConnectException) {
      return new Failure(Reason.UNREACHABLE, "webhook " + url + ": connection refused (is "
          + "it running?)");
    }
    if (e instanceof SSLException) {
      return new Failure(Reason.UNREACHABLE, "webhook " + url + ": TLS failed: "
          + e.getMessage() + " (check --webhook-ca, --webhook-cert, --webhook-key)");
    }
    return new Failure(Reason.UNREACHABLE, "webhook " + url + ": " + e.getClass()
        .getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
  }

  /** Stops its threads; calls in flight fail. Idempotent. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
