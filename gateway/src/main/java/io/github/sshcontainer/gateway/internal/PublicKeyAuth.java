package io.github.sshcontainer.gateway.internal;

import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.auth.UserAuth;
import org.apache.sshd.server.auth.UserAuthFactory;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.server.session.ServerSession;

/**
 * The "publickey" method with the gateway's decision in front of MINA's: each key a client
 * offers is decided once per connection and user by {@link Admission} (which logs a refusal
 * with its reason), then MINA's own method does the rest (the PK_OK answer, the signature
 * check, the certificate's CA signature again). When the decision waits for the auth webhook,
 * the I/O thread waits for it (MINA 2.20 refuses a later answer for publickey), at most for
 * the webhook's timeout and on a bounded number of threads: the gateway starts MINA with more
 * I/O threads when a webhook is configured, and a key that would take the last two is refused
 * as busy, so a hanging webhook does not stall the connections that are already in.
 */
final class PublicKeyAuth extends UserAuthPublicKey {
  private static final AttributeKey<Map<String, CompletableFuture<Admission.Verdict>>> DECIDED =
      new AttributeKey<>();

  private final Supplier<Admission> admission;
  private final Semaphore waiting;

  private PublicKeyAuth(Supplier<Admission> admission, Semaphore waiting) {
    this.admission = admission;
    this.waiting = waiting;
  }

  /**
   * The factory MINA makes the method with, per request; at most {@code waiting}'s permits
   * of MINA's I/O threads wait for the webhook at once.
   */
  static UserAuthFactory factory(Supplier<Admission> admission, Semaphore waiting) {
    return new UserAuthFactory() {
      @Override
      public String getName() {
        return NAME;
      }

      @Override
      public UserAuth createUserAuth(ServerSession session) {
        return new PublicKeyAuth(admission, waiting);
      }
    };
  }

  /**
   * The server's authenticator, which MINA's method asks: true only for a key the gateway has
   * admitted for this user on this connection.
   */
  static PublickeyAuthenticator decided() {
    return (user, key, session) -> {
      Map<String, CompletableFuture<Admission.Verdict>> decided = session.getAttribute(DECIDED);
      CompletableFuture<Admission.Verdict> v = decided == null ? null
          : decided.get(cacheKey(user, key));
      return v != null && v.isDone() && !v.isCompletedExceptionally() && v.join().admitted();
    };
  }

  @Override
  public Boolean doAuth(Buffer buffer, boolean init) throws Exception {
    ServerSession session = getServerSession();
    String user = getUsername();
    int start = buffer.rpos();
    PublicKey key;
    try {
      buffer.getBoolean();
      buffer.getString();
      key = new ByteArrayBuffer(buffer.getBytes()).getRawPublicKey();
    } catch (RuntimeException e) {
      return Boolean.FALSE; // a key type MINA cannot read: refused, as MINA itself would
    } finally {
      buffer.rpos(start);
    }
    Map<String, CompletableFuture<Admission.Verdict>> decided = session.computeAttributeIfAbsent(
        DECIDED, k -> new ConcurrentHashMap<>());
    PublicKey offered = key;
    CompletableFuture<Admission.Verdict> verdict = decided.computeIfAbsent(cacheKey(user, key),
        k -> admission.get().decide(user, offered, session, this::certificateFailure));
    if (!verdict.isDone()) {
      // MINA allows no later answer for publickey (only for password and keyboard-interactive),
      // so the wait for the webhook holds this I/O thread, bounded by the webhook's timeout;
      // two I/O threads always stay free for everyone else
      if (!waiting.tryAcquire()) {
        admission.get().busy(user, offered, session);
        return Boolean.FALSE;
      }
      try {
        verdict.get(admission.get().webhookTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        return Boolean.FALSE; // the webhook's own deadline passed first; logged there
      } finally {
        waiting.release();
      }
    }
    return finish(verdict.join(), buffer, init);
  }

  private Boolean finish(Admission.Verdict verdict, Buffer buffer, boolean init)
      throws Exception {
    if (!verdict.admitted()) {
      return Boolean.FALSE;
    }
    Boolean result = super.doAuth(buffer, init);
    if (Boolean.TRUE.equals(result)) {
      // before MINA announces the success: the registry reads it for the backend
      getServerSession().setAttribute(ConnectionRegistry.IDENTITY, verdict.identity());
    }
    return result;
  }

  /**
   * MINA refuses a certificate with any critical option it does not enforce itself, among
   * them force-command; the gateway enforces force-command (in the session channel) and
   * source-address (here), and {@link TrustedCertificates#invalid} refuses the rest.
   */
  @Override
  protected void verifyCriticalOptions(ServerSession session, OpenSshCertificate cert)
      throws CertificateException {
    for (String option : cert.getCriticalOptionsMap().keySet()) {
      if (!TrustedCertificates.KNOWN_CRITICAL_OPTIONS.contains(option)) {
        throw new CertificateException("unknown critical option " + option);
      }
    }
    verifyCertificateSources(session, cert);
  }

  private String certificateFailure(OpenSshCertificate cert) {
    ServerSession session = getServerSession();
    try {
      verifyCertificateSignature(session, cert);
    } catch (Exception e) {
      return "certificate's CA signature does not verify";
    }
    try {
      verifyCertificateSources(session, cert);
    } catch (Exception e) {
      return "certificate's source-address (" + cert.getCriticalOptionsMap().get(
          "source-address") + ") does not admit " + AuthorizedKeys.client(
              session.getClientAddress());
    }
    return null;
  }

  private static String cacheKey(String user, PublicKey key) {
    return user + " " + Base64.getEncoder().encodeToString(blob(key));
  }

  private static byte[] blob(PublicKey key) {
    ByteArrayBuffer b = new ByteArrayBuffer();
    b.putRawPublicKey(key);
    return b.getCompactData();
  }
}
