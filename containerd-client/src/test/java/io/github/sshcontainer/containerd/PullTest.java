package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.containerd.api.leases.LeasesGrpc;
import io.github.sshcontainer.containerd.api.leases.ListRequest;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Registry;
import io.github.sshcontainer.registry.DockerCredentials;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls into the lab's containerd 1.6 from real registries on loopback: the open one, the one
 * behind basic authentication, and a multi-platform list made in the open one.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PullTest {
  private static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  private static ContainerdClient ctr;

  @BeforeAll
  static void connect() {
    ctr = SshContainerd.connect(ContainerdClientTest.options().build(),
        "sshc-pull-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @AfterAll
  static void close() {
    ctr.close();
  }

  @AfterEach
  void noLeaseLeft() {
    assertFalse(ctr.stub(LeasesGrpc::newBlockingStub)
        .list(ListRequest.getDefaultInstance()).getLeasesList().stream()
        .anyMatch(l -> l.getId().startsWith("ssh-container-")), "lease left");
  }

  @Test
  void aPulledImageRunsAndProgressIsReported() {
    Registry r = Lab.shared().registry();
    List<PullOptions.Progress> progress = new CopyOnWriteArrayList<>();
    ImportedImage img = ctr.pull(r.address() + "/" + Lab.REGISTRY_IMAGE,
        PullOptions.builder().progress(progress::add).build());
    assertEquals(r.address() + "/" + Lab.REGISTRY_IMAGE, img.name());
    assertTrue(progress.stream().anyMatch(p -> p.size() > 2_000_000 && p.done() == p.size()),
        "the layer's bytes were counted to the end: " + progress);
    TaskResult run = ctr.run(RunSpec.of(img.name()).args("sh", "-c", "wc -c < /big.bin")
        .build());
    assertEquals(0, run.exitStatus(), run.output());
    assertEquals(String.valueOf(2 << 20), run.output().trim());
  }

  @Test
  void aPrivateRegistryNeedsTheRightCredentials() {
    Registry r = Lab.shared().privateRegistry();
    String ref = r.address() + "/" + Lab.REGISTRY_IMAGE;
    ContainerdException none = assertThrows(ContainerdException.class,
        () -> ctr.pull(ref, PullOptions.builder().credentials(DockerCredentials.none()).build()));
    assertEquals(ContainerdException.Reason.UNAUTHORIZED, none.reason(), none.getMessage());
    assertTrue(none.getMessage().contains("docker login " + r.address()), none.getMessage());
    String wrong = "Wrong-Password-8841";
    ContainerdException refused = assertThrows(ContainerdException.class,
        () -> ctr.pull(ref, PullOptions.builder().basicAuth(r.user(), wrong).build()));
    assertEquals(ContainerdException.Reason.UNAUTHORIZED, refused.reason());
    assertTrue(refused.getMessage().contains("user " + r.user()), refused.getMessage());
    assertFalse(refused.toString().contains(wrong));
    ImportedImage img = ctr.pull(ref, PullOptions.builder().basicAuth(r.user(), r.password())
        .build());
    assertEquals(ref, img.name());
  }

  /** Credentials as `docker pull` finds them: auths, then a credential helper on PATH. */
  @Test
  void credentialsComeFromTheDockerConfigAsTheDockerCliFindsThem(@TempDir Path dir)
      throws Exception {
    Registry r = Lab.shared().privateRegistry();
    String ref = r.address() + "/" + Lab.REGISTRY_IMAGE;
    Files.writeString(dir.resolve("config.json"), "{\"auths\": {\"" + r.address()
        + "\": {\"auth\": \"" + Base64.getEncoder().encodeToString((r.user() + ":"
        + r.password()).getBytes(StandardCharsets.UTF_8)) + "\"}}}");
    assertEquals(ref, ctr.pull(ref, PullOptions.builder()
        .credentials(DockerCredentials.fromConfigDir(dir)).build()).name());
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path helper = bin.resolve("docker-credential-sshcctd");
    Files.writeString(helper, "#!/bin/sh\nread server\nprintf '{\"Username\":\"" + r.user()
        + "\",\"Secret\":\"" + r.password() + "\"}'\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(dir.resolve("config.json"), "{\"credsStore\": \"sshcctd\"}");
    assertEquals(ref, ctr.pull(ref, PullOptions.builder().credentials(
        DockerCredentials.fromConfigDir(dir, Map.of("PATH", bin.toString()))).build()).name());
    Files.writeString(dir.resolve("config.json"), "{\"credsStore\": \"not-installed\"}");
    ContainerdException missing = assertThrows(ContainerdException.class, () -> ctr.pull(ref,
        PullOptions.builder().credentials(DockerCredentials.fromConfigDir(dir,
            Map.of("PATH", bin.toString()))).build()));
    assertEquals(ContainerdException.Reason.UNAUTHORIZED, missing.reason());
    assertTrue(missing.getMessage().contains("docker-credential-not-installed"),
        missing.getMessage());
  }

  @Test
  void aMissingTagIsNotFound() {
    Registry r = Lab.shared().registry();
    ContainerdException e = assertThrows(ContainerdException.class,
        () -> ctr.pull(r.address() + "/sshc/busybox:no-such-tag", PullOptions.defaults()));
    assertEquals(ContainerdException.Reason.NOT_FOUND, e.reason());
    assertTrue(e.getMessage().contains("no-such-tag"), e.getMessage());
  }

  @Test
  void theRemotePlatformIsPickedFromAList() throws Exception {
    Lab lab = Lab.shared();
    Registry r = lab.registry();
    String amd = digestOf(r, Lab.REGISTRY_IMAGE.substring(Lab.REGISTRY_IMAGE.indexOf(':') + 1));
    r.pushFresh(lab.docker(), "sshc/busybox:other-arch");
    String arm = digestOf(r, "other-arch");
    String list = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution"
        + ".manifest.list.v2+json\",\"manifests\":[" + entry(r, amd, "amd64") + ","
        + entry(r, arm, "arm64") + "]}";
    HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + r.address() + "/v2/sshc/busybox/manifests/multi"))
        .header("Content-Type", "application/vnd.docker.distribution.manifest.list.v2+json")
        .PUT(HttpRequest.BodyPublishers.ofString(list)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put.body());
    String ref = r.address() + "/sshc/busybox:multi";
    assertEquals(amd, ctr.pull(ref, PullOptions.defaults()).manifestDigest(),
        "this host is linux/amd64");
    assertEquals(arm, ctr.pull(ref, PullOptions.builder().platform("linux/arm64").build())
        .manifestDigest());
    ContainerdException none = assertThrows(ContainerdException.class, () -> ctr.pull(ref,
        PullOptions.builder().platform("linux/s390x").build()));
    assertEquals(ContainerdException.Reason.NOT_FOUND, none.reason());
    assertTrue(none.getMessage().contains("linux/arm64"), none.getMessage());
  }

  private static String digestOf(Registry r, String tag) throws Exception {
    HttpResponse<String> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + r.address() + "/v2/sshc/busybox/manifests/" + tag))
        .header("Accept", DOCKER_MANIFEST).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, got.statusCode(), got.body());
    return got.headers().firstValue("Docker-Content-Digest").orElseThrow();
  }

  private static String entry(Registry r, String digest, String arch) throws Exception {
    HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + r.address() + "/v2/sshc/busybox/manifests/" + digest))
        .header("Accept", DOCKER_MANIFEST).build(), HttpResponse.BodyHandlers.ofByteArray());
    return "{\"mediaType\":\"" + DOCKER_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":"
        + got.body().length + ",\"platform\":{\"architecture\":\"" + arch
        + "\",\"os\":\"linux\"}}";
  }
}
