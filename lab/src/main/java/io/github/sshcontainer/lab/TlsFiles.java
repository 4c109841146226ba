package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Certificates for a Docker daemon on {@code tcp://} with {@code --tlsverify}, made with
 * openssl as Docker's documentation makes them: a CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate (its key in SEC1 EC form, as {@code openssl ecparam} writes
 * it), and a second CA that signed none of them, for the wrong-CA case.
 *
 * @param dir holds {@code ca.pem}, {@code cert.pem}, {@code key.pem} as DOCKER_CERT_PATH does
 */
public record TlsFiles(Path dir, Path ca, Path cert, Path key, Path serverCert, Path serverKey,
    Path otherCa) {

  /** Makes them in {@code dir}; needs openssl. */
  public static TlsFiles make(Path dir) {
    Path openssl = Prerequisites.require("openssl", "/usr/bin/openssl");
    try {
      Files.createDirectories(dir);
      TlsFiles t = new TlsFiles(dir, dir.resolve("ca.pem"), dir.resolve("cert.pem"),
          dir.resolve("key.pem"), dir.resolve("server-cert.pem"), dir.resolve("server-key.pem"),
          dir.resolve("other-ca.pem"));
      String o = "'" + openssl + "'";
      Files.writeString(dir.resolve("server.ext"),
          "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
      Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
      String script = String.join(" && ",
          "cd '" + dir + "'",
          o + " req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2"
              + " -subj /CN=sshc-lab-ca",
          o + " req -x509 -newkey rsa:2048 -nodes -keyout other-ca-key.pem -out other-ca.pem"
              + " -days 2 -subj /CN=sshc-lab-other-ca",
          o + " req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr"
              + " -subj /CN=localhost",
          o + " x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial"
              + " -out server-cert.pem -days 2 -extfile server.ext",
          o + " ecparam -name prime256v1 -genkey -noout -out key.pem",
          o + " req -new -key key.pem -out client.csr -subj /CN=sshc-lab-client",
          o + " x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial"
              + " -out cert.pem -days 2 -extfile client.ext",
          "chmod 600 key.pem server-key.pem ca-key.pem other-ca-key.pem");
      LabProcess.run(Duration.ofSeconds(60), List.of("sh", "-c", script));
      return t;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
