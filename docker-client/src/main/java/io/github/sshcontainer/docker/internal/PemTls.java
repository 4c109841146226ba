package io.github.sshcontainer.docker.internal;

import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context from PEM text (a Docker daemon's CA, the client certificate and its key,
 * as {@code DOCKER_CERT_PATH} holds them), read with the JDK alone: certificates by its X.509
 * factory; keys in PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA and SEC1 EC, the last two
 * wrapped into PKCS#8 here. docker-java reads them with BouncyCastle (10 MiB); this needs none.
 */
public final class PemTls {
  private static final Pattern KEY = Pattern.compile(
      "-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
  private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48,
      (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
  private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48,
      (byte) 0xce, 0x3d, 0x02, 0x01};

  private PemTls() {}

  /**
   * @param where names each input in errors (a file path, or "the CA text")
   * @throws RemoteDockerException TLS_FAILED naming the input that cannot be read
   */
  public static SSLContext context(String caPem, String certPem, String keyPem, String caWhere,
      String certWhere, String keyWhere) {
    List<Certificate> ca = certificates(caPem, caWhere);
    List<Certificate> chain = certificates(certPem, certWhere);
    PrivateKey key = privateKey(keyPem, keyWhere);
    try {
      char[] password = new char[16];
      SecureRandom random = new SecureRandom();
      for (int i = 0; i < password.length; i++) {
        password[i] = (char) ('a' + random.nextInt(26));
      }
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(
          KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      for (int i = 0; i < ca.size(); i++) {
        trust.setCertificateEntry("ca-" + i, ca.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new RemoteDockerException(Reason.TLS_FAILED, "the key in " + keyWhere
          + " does not go with the certificate in " + certWhere + ": " + e.getMessage(), e);
    }
  }

  static List<Certificate> certificates(String pem, String where) {
    try {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw new RemoteDockerException(Reason.TLS_FAILED, where + " holds no PEM certificate "
            + "(-----BEGIN CERTIFICATE-----)");
      }
      return new ArrayList<>(certs);
    } catch (GeneralSecurityException e) {
      throw new RemoteDockerException(Reason.TLS_FAILED, "cannot read a PEM certificate from "
          + where + ": " + e.getMessage(), e);
    }
  }

  static PrivateKey privateKey(String pem, String where) {
    Matcher m = KEY.matcher(pem);
    if (!m.find()) {
      throw new RemoteDockerException(Reason.TLS_FAILED, where + " holds no PEM private key "
          + "(-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }
    String kind = m.group(1);
    if (kind.startsWith("ENCRYPTED")) {
      throw new RemoteDockerException(Reason.TLS_FAILED, "the key in " + where + " is "
          + "encrypted; Docker's client keys are not: decrypt it with `openssl pkey -in "
          + where + " -out key.pem`");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new RemoteDockerException(Reason.TLS_FAILED, "the key in " + where
          + " is not valid base64: " + e.getMessage(), e);
    }
    byte[] pkcs8 = switch (kind) {
      case "RSA PRIVATE KEY" -> wrap(RSA_ALGORITHM, der);
      case "EC PRIVATE KEY" -> wrap(ecAlgorithm(der, where), der);
      default -> der;
    };
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException tryNext) {
        // not this algorithm
      }
    }
    throw new RemoteDockerException(Reason.TLS_FAILED, "cannot read the private key in "
        + where + " (RSA, EC and Ed25519 keys are supported)");
  }

  /** PKCS#8: SEQUENCE { INTEGER 0, algorithm, OCTET STRING { the key } }. */
  private static byte[] wrap(byte[] algorithm, byte[] key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(algorithm);
    body.writeBytes(tlv(0x04, key));
    return tlv(0x30, body.toByteArray());
  }

  /** id-ecPublicKey with the curve named in the SEC1 key's [0] parameters. */
  private static byte[] ecAlgorithm(byte[] sec1, String where) {
    // SEC1: SEQUENCE { INTEGER 1, OCTET STRING, [0] { OID curve } OPTIONAL, [1] … }
    Der der = new Der(sec1, where);
    int seqEnd = der.enter(0x30);
    while (der.pos < seqEnd) {
      int tag = sec1[der.pos] & 0xff;
      int end = der.enter(tag);
      if (tag == 0xa0) {
        ByteArrayOutputStream alg = new ByteArrayOutputStream();
        alg.writeBytes(EC_PUBLIC_KEY_OID);
        alg.writeBytes(Arrays.copyOfRange(sec1, der.pos, end));
        return tlv(0x30, alg.toByteArray());
      }
      der.pos = end;
    }
    throw new RemoteDockerException(Reason.TLS_FAILED, "the EC key in " + where + " names no "
        + "curve; convert it with `openssl pkcs8 -topk8 -nocrypt -in " + where + "`");
  }

  /** A cursor over DER bytes. */
  private static final class Der {
    private final byte[] bytes;
    private final String where;
    private int pos;

    Der(byte[] bytes, String where) {
      this.bytes = bytes;
      this.where = where;
    }

    /** Reads a tag and length (moving past them); returns where the value ends. */
    int enter(int tag) {
      if (pos + 2 > bytes.length || (bytes[pos] & 0xff) != tag) {
        throw malformed();
      }
      pos++;
      int len = bytes[pos++] & 0xff;
      if (len > 0x80) {
        int n = len - 0x80;
        if (n > 3 || pos + n > bytes.length) {
          throw malformed();
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (bytes[pos++] & 0xff);
        }
      }
      if (pos + len > bytes.length) {
        throw malformed();
      }
      return pos + len;
    }

    private RemoteDockerException malformed() {
      return new RemoteDockerException(Reason.TLS_FAILED, "the key in " + where
          + " is not well-formed DER");
    }
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = value.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write(len >> 8);
      out.write(len);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }
}
