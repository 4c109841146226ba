package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.Webhook;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import java.security.PublicKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Who gets in: decides each key (plain or certificate) and each password a client offers,
 * from the sources the operator configured. A revoked key never gets in; otherwise a key
 * admitted by the authorized keys, a certificate of a trusted CA, or the auth webhook does.
 * Each refusal is one log line saying why, an audit event and a failed login; nothing logged
 * holds a password. Immutable: a reload makes a new one.
 */
public final class Admission implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  /** A decision on one key or password. */
  record Verdict(boolean admitted, String why, LoginIdentity identity) {}

  /** The CA-signature and source-address checks, which need MINA's session verifiers. */
  interface CertificateChecks {
    /** Null when they pass; else why not. */
    String failure(OpenSshCertificate cert);
  }

  private final AuthorizedKeys keys;
  private final TrustedCertificates cas;
  private final RevokedKeys revoked;
  private final Webhook webhook;
  private final boolean passwords;
  private final BackendEvents events;

  private Admission(AuthorizedKeys keys, TrustedCertificates cas, RevokedKeys revoked,
      Webhook webhook, boolean passwords, BackendEvents events) {
    this.keys = keys;
    this.cas = cas;
    this.revoked = revoked;
    this.webhook = webhook;
    this.passwords = passwords;
    this.events = events;
  }

  /**
   * Reads the files the options name (authorized keys, CA keys, revoked keys) and sets up the
   * webhook.
   *
   * @throws IllegalArgumentException naming the file or URL that cannot be used
   */
  public static Admission of(GatewayOptions options, BackendEvents events) {
    AuthorizedKeys keys = options.authorizedKeys().map(AuthorizedKeys::file)
        .or(() -> options.authorizedKeysDir().map(AuthorizedKeys::directory)).orElse(null);
    TrustedCertificates cas = options.trustedUserCaKeys()
        .map(f -> TrustedCertificates.load(f, options.authorizedPrincipalsDir().orElse(null)))
        .orElse(null);
    RevokedKeys revoked = options.revokedKeys().map(RevokedKeys::load).orElse(null);
    Webhook webhook = options.authWebhook().map(Webhook::create).orElse(null);
    return new Admission(keys, cas, revoked, webhook, options.passwordAuth(), events);
  }

  /** Whether an auth webhook is asked. */
  boolean hasWebhook() {
    return webhook != null;
  }

  /** Whether password authentication is offered. */
  public boolean passwords() {
    return passwords && webhook != null;
  }

  /** The decision on {@code key} for {@code user}; done at once unless the webhook is asked. */
  CompletableFuture<Verdict> decide(String user, PublicKey key, ServerSession session,
      CertificateChecks checks) {
    OpenSshCertificate cert = key instanceof OpenSshCertificate c ? c : null;
    LoginIdentity identity = identity(key, cert);
    String why = revoked == null ? null : revoked.revoked(key);
    if (why != null) {
      return done(refuse(user, session, identity, why));
    }
    if (cert != null) {
      why = TrustedCertificates.invalid(cert, Instant.now());
      if (why == null) {
        why = checks.failure(cert);
      }
      if (why != null) {
        return done(refuse(user, session, identity, why));
      }
      why = cas == null ? "a certificate, and no CA keys are trusted (--trusted-user-ca-keys)"
          : cas.refusal(user, cert);
    } else {
      why = keys == null ? "no authorized keys are configured" : keys.refusal(user, key, session);
    }
    if (why == null) {
      return done(admit(identity));
    }
    if (webhook == null) {
      return done(refuse(user, session, identity, why));
    }
    Map<String, Object> body = request(user, session);
    body.put("publicKey", identity.publicKey());
    body.put("fingerprint", identity.fingerprint());
    body.put("certificate", identity.certificate().map(c -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("keyId", c.keyId());
      m.put("serial", new java.math.BigInteger(c.serialText())); // unsigned: may pass 2^63
      m.put("principals", c.principals());
      m.put("validBefore", c.validBefore().equals(Instant.MAX) ? null
          : c.validBefore().toString());
      return m;
    }).orElse(null));
    String before = why;
    return ask(body).thenApply(answer -> answer == null
        ? admit(identity)
        : refuse(user, session, identity, before + "; auth webhook: " + answer));
  }

  /** The auth webhook's timeout (5 s without a webhook: nothing waits then). */
  java.time.Duration webhookTimeout() {
    return webhook == null ? Webhook.Options.DEFAULT_TIMEOUT : webhook.options().timeout();
  }

  /** A key refused because too many logins wait for the webhook already. */
  void busy(String user, PublicKey key, ServerSession session) {
    OpenSshCertificate cert = key instanceof OpenSshCertificate c ? c : null;
    refuse(user, session, identity(key, cert), "too many logins wait for the auth webhook "
        + "(is it slow?)");
  }

  /** The decision on a password: the webhook's, never logged with the password. */
  CompletableFuture<Verdict> decide(String user, String password, ServerSession session) {
    LoginIdentity identity = LoginIdentity.password();
    if (!passwords()) {
      return done(refuse(user, session, identity, "password authentication is off"));
    }
    Map<String, Object> body = request(user, session);
    body.put("password", password);
    return ask(body).thenApply(answer -> answer == null ? admit(identity)
        : refuse(user, session, identity, "password: auth webhook: " + answer));
  }

  /** Completes with null when the webhook admits, else with why not (never failing). */
  private CompletableFuture<String> ask(Map<String, Object> body) {
    return webhook.post(body).handle((answer, error) -> {
      if (error != null) {
        Throwable e = error.getCause() != null ? error.getCause() : error;
        return e instanceof Webhook.Failure f ? f.getMessage() : "failed ("
            + e.getClass().getSimpleName() + ")";
      }
      Object success = answer.get("success");
      if (Boolean.TRUE.equals(success)) {
        return null;
      }
      return success instanceof Boolean ? "it said no" : "its answer has no \"success\": true"
          + " or false";
    });
  }

  private static Map<String, Object> request(String user, ServerSession session) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", user);
    body.put("remoteAddress", AuthorizedKeys.client(session.getClientAddress()));
    body.put("connectionId", ConnectionRegistry.idOfSession(session));
    return body;
  }

  static LoginIdentity identity(PublicKey key, OpenSshCertificate cert) {
    PublicKey plain = cert == null ? key : cert.getCertPubKey();
    String line;
    try {
      line = PublicKeyEntry.toString(key);
    } catch (RuntimeException e) {
      line = "";
    }
    Optional<LoginIdentity.Certificate> c = Optional.ofNullable(cert).map(x ->
        new LoginIdentity.Certificate(x.getId() == null ? "" : x.getId(), x.getSerial(),
            x.getPrincipals() == null ? java.util.List.of() : java.util.List.copyOf(
                x.getPrincipals()), TrustedCertificates.instant(x.getValidAfter()),
            TrustedCertificates.instant(x.getValidBefore()), x.getCriticalOptionsMap(),
            x.getExtensionsMap().keySet(), KeyUtils.getFingerPrint(x.getCaPubKey())));
    return new LoginIdentity("publickey", KeyUtils.getKeyType(key),
        KeyUtils.getFingerPrint(plain), line, c);
  }

  private static CompletableFuture<Verdict> done(Verdict v) {
    return CompletableFuture.completedFuture(v);
  }

  private static Verdict admit(LoginIdentity identity) {
    return new Verdict(true, null, identity);
  }

  private Verdict refuse(String user, ServerSession session, LoginIdentity identity,
      String why) {
    AuditLog.of(session).refused(user, identity, why);
    ConnectionRegistry.authFailed(session);
    String client = AuthorizedKeys.client(session.getClientAddress());
    Map<String, String> context = ConnectionRegistry.logContextOfSession(session);
    Map<String, String> saved = MDC.getCopyOfContextMap();
    context.forEach(MDC::put);
    MDC.put("event", "key-refused");
    try {
      if (identity.method().equals("password")) {
        log.info("gateway: refused password for {} from {}: {}", user, client, why);
      } else {
        log.info("gateway: refused {} {} for {} from {}: {}", identity.certificate().map(c ->
            "certificate (key id '" + c.keyId() + "', serial " + c.serialText() + ") of key")
            .orElse("public key"), identity.fingerprint(), user, client, why);
      }
    } finally {
      MDC.remove("event");
      if (saved == null) {
        MDC.clear();
      } else {
        MDC.setContextMap(saved);
      }
    }
    events.loginFailed(user, client, why);
    return new Verdict(false, why, identity);
  }

  /** Stops the webhook's threads. */
  @Override
  public void close() {
    if (webhook != null) {
      webhook.close();
    }
  }
}
