package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.lab.DockerDaemon;
import io.github.sshcontainer.lab.TlsFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two endpoints besides SSH that ContainerSSH's config has: this machine's daemon on its
 * Unix socket, and a daemon on tcp:// with --tlsverify (certificates made with openssl).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class UnixAndTlsEndpointsTest {
  @TempDir Path tmp;

  private static String tcp() {
    return "tcp://127.0.0.1:" + lab().tlsDockerPort();
  }

  private static ContainerSpec busybox() {
    return ContainerSpec.of(DockerDaemon.BUSYBOX).networkMode("none")
        .pullPolicy(PullPolicy.NEVER).build();
  }

  /** Ping, an on-demand container, exec with stdin to its end, a live session. */
  private static void everydayWork(DockerClient docker) throws Exception {
    docker.pingCmd().exec();
    byte[] data = new byte[1 << 20];
    new Random(3).nextBytes(data);
    try (OnDemandContainer box = OnDemandContainer.launch(docker, busybox())) {
      ExecResult r = box.exec(ExecSpec.of("wc", "-c").stdin(new ByteArrayInputStream(data))
          .build());
      assertEquals(String.valueOf(data.length), r.stdout().trim(), "stdin ended properly");
      try (ExecSession s = box.start(ExecSpec.of("sh", "-c", "read x; echo got $x").build())) {
        s.stdin().write("tls\n".getBytes(StandardCharsets.UTF_8));
        s.stdin().close();
        assertEquals(ExitStatus.code(0), s.awaitExit(Duration.ofSeconds(30)));
        assertEquals("got tls\n", new String(s.stdout().readAllBytes(),
            StandardCharsets.UTF_8));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(2, OnDemandContainer.runOnce(docker, busybox().toBuilder()
        .command("sh", "-c", "echo once; exit 2").build(), out, new ByteArrayOutputStream()));
    assertEquals("once\n", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aLocalUnixSocketServesEverything() throws Exception {
    try (DockerClient docker = DockerEndpoint.forHost("unix://" + lab().docker().socket())
        .connect()) {
      everydayWork(docker);
    }
  }

  @Test
  void tcpWithTlsServesEverything() throws Exception {
    TlsFiles tls = lab().tlsFiles();
    try (DockerClient docker = DockerEndpoint.forHost(tcp())
        .tlsFiles(tls.ca(), tls.cert(), tls.key()).connect()) {
      everydayWork(docker);
    }
    try (DockerClient docker = DockerEndpoint.forHost(tcp()).tlsDirectory(tls.dir())
        .connect()) {
      docker.pingCmd().exec();
    }
    try (DockerClient docker = DockerEndpoint.forHost(tcp()).tlsPem(Files.readString(tls.ca()),
        Files.readString(tls.cert()), Files.readString(tls.key())).connect()) {
      docker.pingCmd().exec();
    }
  }

  @Test
  void aWrongCaIsATypedErrorNamingTheHostAndTheFile() {
    TlsFiles tls = lab().tlsFiles();
    long t0 = System.nanoTime();
    RemoteDockerException e = assertThrows(RemoteDockerException.class, () ->
        DockerEndpoint.forHost(tcp()).tlsFiles(tls.otherCa(), tls.cert(), tls.key()).connect());
    assertEquals(RemoteDockerException.Reason.TLS_FAILED, e.reason(), e.toString());
    assertTrue(e.getMessage().contains("127.0.0.1:" + lab().tlsDockerPort()), e.getMessage());
    assertTrue(e.getMessage().contains(tls.otherCa().toString()), e.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 10,
        "at once, not after the ping deadline");
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsATypedError() throws Exception {
    TlsFiles tls = lab().tlsFiles();
    RemoteDockerException e = assertThrows(RemoteDockerException.class, () ->
        DockerEndpoint.forHost(tcp()).tlsFiles(tls.ca(), tls.cert(), tls.serverKey())
            .connect());
    assertEquals(RemoteDockerException.Reason.TLS_FAILED, e.reason(), e.toString());
    assertTrue(e.getMessage().contains(tls.serverKey().toString()), e.getMessage());
    Path notPem = Files.writeString(tmp.resolve("key.pem"), "not a key\n");
    RemoteDockerException unreadable = assertThrows(RemoteDockerException.class, () ->
        DockerEndpoint.forHost(tcp()).tlsFiles(tls.ca(), tls.cert(), notPem).connect());
    assertEquals(RemoteDockerException.Reason.TLS_FAILED, unreadable.reason());
    assertTrue(unreadable.getMessage().contains(notPem.toString()), unreadable.getMessage());
  }

  @Test
  void aPkcs1RsaClientKeyWorksToo() throws Exception {
    TlsFiles tls = lab().tlsFiles();
    Path key = tmp.resolve("rsa-key.pem");
    Path cert = tmp.resolve("rsa-cert.pem");
    Path ext = Files.writeString(tmp.resolve("ext"), "extendedKeyUsage=clientAuth\n");
    Process p = new ProcessBuilder("sh", "-c", "openssl genrsa -traditional -out '" + key
        + "' 2048 && openssl req -new -key '" + key + "' -subj /CN=rsa-client -out '" + tmp
        + "/csr' && openssl x509 -req -in '" + tmp + "/csr' -CA '" + tls.ca() + "' -CAkey '"
        + tls.dir().resolve("ca-key.pem") + "' -CAcreateserial -days 1 -out '" + cert
        + "' -extfile '" + ext + "'").redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), log);
    assertTrue(Files.readString(key).contains("BEGIN RSA PRIVATE KEY"), "PKCS#1");
    try (DockerClient docker = DockerEndpoint.forHost(tcp()).tlsFiles(tls.ca(), cert, key)
        .connect()) {
      docker.pingCmd().exec();
    }
  }

  @Test
  void plainTcpIsRefusedAndOtherSchemesAreNamed() {
    IllegalStateException plain = assertThrows(IllegalStateException.class,
        () -> DockerEndpoint.forHost("tcp://127.0.0.1:2375").connect());
    assertTrue(plain.getMessage().contains("tlsFiles"), plain.getMessage());
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> DockerEndpoint.forHost("npipe:////./pipe/docker_engine"));
    assertTrue(other.getMessage().contains("unix://"), other.getMessage());
  }
}
