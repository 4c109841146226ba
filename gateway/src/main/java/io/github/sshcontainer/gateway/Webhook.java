package io.github.sshcontainer.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.gateway.internal.WebhookTls;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

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

    /** A copy with another URL (the same timeout and TLS files). */
    public Options withUrl(URI other) {
      return new Options(other, timeout, ca, clientCertificate, clientKey);
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

  private final Options options;
  private final ExecutorService executor;
  private final HttpClient http;

  private Webhook(Options options, ExecutorService executor, HttpClient http) {
    this.options = options;
    this.executor = executor;
    this.http = http;
  }

  /**
   * A client for {@code options}; reads the CA, certificate and key files now.
   *
   * @throws IllegalArgumentException when a file cannot be read or is not PEM of that kind
   */
  public static Webhook create(Options options) {
    Objects.requireNonNull(options, "options");
    int id = IDS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "ssh-container-webhook-" + id + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    HttpClient.Builder b = HttpClient.newBuilder().executor(executor)
        .connectTimeout(options.timeout()).followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1);
    if (options.url().getScheme().equalsIgnoreCase("https")) {
      try {
        b.sslContext(WebhookTls.context(options.ca(), options.clientCertificate(),
            options.clientKey()));
      } catch (RuntimeException e) {
        executor.shutdownNow();
        throw e;
      }
    }
    return new Webhook(options, executor, b.build());
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
    HttpRequest request = HttpRequest.newBuilder(options.url()).timeout(options.timeout())
        .header("Content-Type", "application/json").header("Accept", "application/json")
        .header("User-Agent", "ssh-container-gateway")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .orTimeout(options.timeout().toMillis() + 250, java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle((response, error) -> {
          if (error != null) {
            throw failure(error);
          }
          return answer(response);
        });
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> answer(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      throw new Failure(Reason.STATUS, "webhook " + options.url() + " answered HTTP " + status);
    }
    try {
      Object value = JSON.readValue(response.body(), Object.class);
      if (value instanceof Map<?, ?> map) {
        return (Map<String, Object>) map;
      }
    } catch (IOException e) {
      // falls through: not JSON
    }
    throw new Failure(Reason.BODY, "webhook " + options.url() + " answered HTTP " + status
        + " with a body that is not a JSON object");
  }

  private Failure failure(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (e instanceof Failure f) {
      return f;
    }
    String url = options.url().toString();
    if (e instanceof HttpConnectTimeoutException) {
      return new Failure(Reason.TIMEOUT, "webhook " + url + ": no connection within "
          + options.timeout().toMillis() + " ms");
    }
    if (e instanceof HttpTimeoutException || e instanceof java.util.concurrent.TimeoutException) {
      return new Failure(Reason.TIMEOUT, "webhook " + url + ": no answer within "
          + options.timeout().toMillis() + " ms");
    }
    if (e instanceof ConnectException) {
      return new Failure(Reason.UNREACHABLE, "webhook " + url + ": connection refused (is "
          + "it running?)");
    }
    if (e instanceof javax.net.ssl.SSLException) {
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
