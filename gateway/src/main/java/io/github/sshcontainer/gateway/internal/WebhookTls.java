package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The TLS context of a webhook: trust in a PEM CA file (else the JDK's), and a client
 * certificate with its key for mutual TLS. The key file is read by MINA SSHD's key reader,
 * which knows the PKCS#8 and the older PKCS#1/SEC1 PEM forms openssl writes.
 */
public final class WebhookTls {
  private WebhookTls() {}

  /** @throws IllegalArgumentException naming the file that cannot be used and why */
  public static SSLContext context(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
    try {
      TrustManagerFactory tmf = null;
      if (ca.isPresent()) {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certificates(ca.get())) {
          trust.setCertificateEntry("ca-" + i++, c);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (cert.isPresent() && key.isPresent()) {
        Collection<? extends Certificate> chain = certificates(cert.get());
        PrivateKey privateKey = privateKey(key.get());
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] none = new char[0];
        keys.setKeyEntry("client", privateKey, none, chain.toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, none);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("webhook TLS cannot be set up: " + e.getMessage(), e);
    }
  }

  static Collection<? extends Certificate> certificates(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
          .generateCertificates(in);
      if (all.isEmpty()) {
        throw new IllegalArgumentException(file + " holds no PEM certificate");
      }
      return all;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " cannot be read as PEM certificates: "
          + e.getMessage(), e);
    }
  }

  static PrivateKey privateKey(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null,
          NamedResource.ofName(file.toString()), in, null);
      if (pairs != null) {
        for (KeyPair pair : pairs) {
          return pair.getPrivate();
        }
      }
      throw new IllegalArgumentException(file + " holds no unencrypted PEM private key");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " cannot be read as a PEM private key: "
          + e.getMessage(), e);
    }
  }
}
