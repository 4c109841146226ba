package io.github.sshcontainer.lab;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * A webhook for the gateway's tests: the JDK's HTTP server on 127.0.0.1, plain or https (the
 * lab's {@link TlsFiles} server certificate, and with {@code requireClientCertificate} only
 * clients whose certificate the lab's CA signed). Each POST body is recorded and answered by
 * the test's function. Closing it stops it at once.
 */
public final class WebhookServer implements AutoCloseable {
  /** What to answer: a status, a body, after a delay. */
  public record Answer(int status, String body, long delayMillis) {
    public static Answer json(String body) {
      return new Answer(200, body, 0);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private WebhookServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Plain http. */
  public static WebhookServer start(Function<String, Answer> answer) {
    try {
      return serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64), answer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** https with the server certificate of {@code tls}; client certificates required or not. */
  public static WebhookServer startTls(TlsFiles tls, boolean requireClientCertificate,
      Function<String, Answer> answer) {
    try {
      SSLContext context = serverContext(tls);
      HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
      https.setHttpsConfigurator(new HttpsConfigurator(context) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters p = context.getDefaultSSLParameters();
          p.setNeedClientAuth(requireClientCertificate);
          params.setSSLParameters(p);
        }
      });
      return serve(https, answer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the lab's TLS files cannot serve https: " + e, e);
    }
  }

  private static WebhookServer serve(HttpServer server, Function<String, Answer> answer) {
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "lab-webhook");
      t.setDaemon(true);
      return t;
    });
    WebhookServer w = new WebhookServer(server, executor);
    server.createContext("/", exchange -> w.handle(exchange, answer));
    server.setExecutor(executor);
    server.start();
    return w;
  }

  private void handle(HttpExchange exchange, Function<String, Answer> answer)
      throws IOException {
    try (exchange) {
      String body;
      try (InputStream in = exchange.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      requests.add(body);
      Answer a = answer.apply(body);
      if (a.delayMillis() > 0) {
        try {
          Thread.sleep(a.delayMillis());
        } catch (InterruptedException e) {
          return; // closing
        }
      }
      byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream o = exchange.getResponseBody()) {
          o.write(out);
        }
      }
    }
  }

  private static SSLContext serverContext(TlsFiles tls) throws IOException,
      GeneralSecurityException {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Certificate serverCert;
    Certificate ca;
    try (InputStream in = Files.newInputStream(tls.serverCert())) {
      serverCert = x509.generateCertificate(in);
    }
    try (InputStream in = Files.newInputStream(tls.ca())) {
      ca = x509.generateCertificate(in);
    }
    PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
        pem(tls.serverKey())));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("server", key, new char[0], new Certificate[] {serverCert, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory
        .getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory
        .getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /** The DER inside a PEM file ({@code openssl req -nodes} writes PKCS#8). */
  private static byte[] pem(Path file) throws IOException {
    String text = Files.readString(file);
    String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(base64);
  }

  /** {@code http(s)://127.0.0.1:PORT/PATH}. */
  public String url(String path) {
    return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:"
        + server.getAddress().getPort() + path;
  }

  /** The request bodies received so far, in order. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
