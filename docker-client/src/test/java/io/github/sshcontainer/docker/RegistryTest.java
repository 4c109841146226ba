package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.client;
import static io.github.sshcontainer.docker.LabDocker.daemon;
import static io.github.sshcontainer.docker.LabDocker.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Registry;
import io.github.sshcontainer.registry.CredentialsException;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real pulls by the remote dockerd from real registries on its host: an open one and one
 * behind basic authentication, with credentials given, found in a Docker config's auths, or
 * answered by a credential helper.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RegistryTest {
  @TempDir Path tmp;
  private static DockerClient docker;

  @BeforeAll
  static void connect() {
    docker = client();
  }

  @AfterAll
  static void close() throws Exception {
    docker.close();
  }

  private static void removeLocally(String image) {
    try {
      docker.removeImageCmd(image).withForce(true).exec();
    } catch (NotFoundException absent) {
      // not there: what the test wants
    }
  }

  private static List<ContainerSpec.PullProgress> launchAndRecord(ContainerSpec.Builder spec) {
    List<ContainerSpec.PullProgress> events = new CopyOnWriteArrayList<>();
    try (OnDemandContainer box = OnDemandContainer.launch(docker,
        spec.networkMode("none").pullListener(events::add).build())) {
      assertEquals("ok\n", box.exec(ExecSpec.of("echo", "ok").build()).stdout());
    }
    return events;
  }

  @Test
  void ifNotPresentPullsOnceWithProgressThenUsesTheLocalImage() {
    String image = lab().registry().address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    List<ContainerSpec.PullProgress> first = launchAndRecord(ContainerSpec.of(image)
        .pullPolicy(PullPolicy.IF_NOT_PRESENT).credentials(DockerCredentials.none()));
    assertTrue(first.stream().anyMatch(e -> e.status().startsWith("Downloading")
        && e.total() > 0 && e.current() > 0), "byte progress while downloading: " + first);
    assertTrue(first.stream().anyMatch(e -> e.status().equals("Pull complete")), "" + first);
    assertTrue(first.stream().anyMatch(e -> e.status().startsWith("Status: Downloaded newer")),
        "" + first);
    List<ContainerSpec.PullProgress> second = launchAndRecord(ContainerSpec.of(image)
        .pullPolicy(PullPolicy.IF_NOT_PRESENT).credentials(DockerCredentials.none()));
    assertEquals(List.of(), second, "present: no pull");
  }

  @Test
  void alwaysPullsEvenWhenTheImageIsThere() {
    String image = lab().registry().address() + "/" + Lab.REGISTRY_IMAGE;
    launchAndRecord(ContainerSpec.of(image).credentials(DockerCredentials.none()));
    List<ContainerSpec.PullProgress> again = launchAndRecord(ContainerSpec.of(image)
        .pullPolicy(PullPolicy.ALWAYS).credentials(DockerCredentials.none()));
    assertTrue(again.stream().anyMatch(e -> e.status().contains("Image is up to date")),
        "the registry was asked again: " + again);
  }

  @Test
  void aPrivateRegistryWithoutCredentialsSaysHowToLogIn() {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    RemoteDockerException e = assertThrows(RemoteDockerException.class,
        () -> launchAndRecord(ContainerSpec.of(image).credentials(DockerCredentials.none())));
    assertEquals(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("docker login " + r.address()), e.getMessage());
  }

  @Test
  void explicitCredentialsPullFromThePrivateRegistry() {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    List<ContainerSpec.PullProgress> events = launchAndRecord(ContainerSpec.of(image)
        .registryAuth(RegistryAuth.basic(r.user(), r.password()))
        .credentials(DockerCredentials.none()));
    assertTrue(events.stream().anyMatch(e -> e.status().equals("Pull complete")), "" + events);
  }

  @Test
  void aWrongPasswordIsTypedAndTheMessageHoldsNoSecret() {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    String wrong = "Wrong-Password-5521";
    RemoteDockerException e = assertThrows(RemoteDockerException.class,
        () -> launchAndRecord(ContainerSpec.of(image).pullPolicy(PullPolicy.ALWAYS)
            .registryAuth(RegistryAuth.basic(r.user(), wrong))));
    assertEquals(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("user " + r.user()), e.getMessage());
    assertFalse(e.toString().contains(wrong), "no password in the message");
    assertFalse(RegistryAuth.basic(r.user(), wrong).toString().contains(wrong));
  }

  @Test
  void credentialsFromTheDockerConfigAuths() throws Exception {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    String auth = Base64.getEncoder().encodeToString((r.user() + ":" + r.password())
        .getBytes(StandardCharsets.UTF_8));
    Files.writeString(tmp.resolve("config.json"), "{\"auths\": {\"http://" + r.address()
        + "\": {\"auth\": \"" + auth + "\"}}}");
    DockerCredentials found = DockerCredentials.fromConfigDir(tmp);
    assertTrue(found.forImage(image).orElseThrow().source().contains("auths"));
    List<ContainerSpec.PullProgress> events = launchAndRecord(ContainerSpec.of(image)
        .credentials(found));
    assertTrue(events.stream().anyMatch(e -> e.status().equals("Pull complete")), "" + events);
  }

  @Test
  void credentialsFromACredentialHelperRunAsARealProgram() throws Exception {
    Registry r = lab().privateRegistry();
    String image = r.address() + "/" + Lab.REGISTRY_IMAGE;
    removeLocally(image);
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path asked = tmp.resolve("asked");
    // a helper as docker-credential-* are: server on stdin, JSON on stdout
    Path helper = bin.resolve("docker-credential-sshclab");
    Files.writeString(helper, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\n"
        + "echo \"$server\" > '" + asked + "'\n"
        + "[ \"$server\" = '" + r.address() + "' ] || { echo 'credentials not found in native"
        + " keychain'; exit 1; }\n"
        + "printf '{\"ServerURL\":\"%s\",\"Username\":\"" + r.user() + "\",\"Secret\":\""
        + r.password() + "\"}' \"$server\"\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(tmp.resolve("config.json"), "{\"credHelpers\": {\"" + r.address()
        + "\": \"sshclab\"}}");
    DockerCredentials credentials = DockerCredentials.fromConfigDir(tmp,
        Map.of("PATH", bin.toString()));
    List<ContainerSpec.PullProgress> events = launchAndRecord(ContainerSpec.of(image)
        .credentials(credentials));
    assertTrue(events.stream().anyMatch(e -> e.status().equals("Pull complete")), "" + events);
    assertEquals(r.address(), Files.readString(asked).trim(), "the helper was asked");
    // a registry the helper does not know: anonymous (credsStore for everything else)
    Files.writeString(tmp.resolve("config.json"), "{\"credsStore\": \"sshclab\"}");
    assertTrue(credentials.forRegistry("registry.example:5000").isEmpty());
    // a helper that is not installed is named, with what to do
    Files.writeString(tmp.resolve("config.json"), "{\"credsStore\": \"absent\"}");
    CredentialsException missing = assertThrows(CredentialsException.class,
        () -> credentials.forImage(image));
    assertTrue(missing.getMessage().contains("docker-credential-absent is not on PATH"),
        missing.getMessage());
    // and a pull that needs them says so as a typed Docker error
    RemoteDockerException pull = assertThrows(RemoteDockerException.class,
        () -> launchAndRecord(ContainerSpec.of(image).pullPolicy(PullPolicy.ALWAYS)
            .credentials(credentials)));
    assertEquals(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED, pull.reason());
  }

  @Test
  void registriesAreNamedAsTheDockerCliNamesThem() {
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("busybox"));
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("library/x:1"));
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("docker.io/a/b"));
    assertEquals("ghcr.io", DockerCredentials.registryOf("ghcr.io/o/i:2"));
    assertEquals("localhost", DockerCredentials.registryOf("localhost/i"));
    assertEquals("127.0.0.1:5000", DockerCredentials.registryOf("127.0.0.1:5000/i@sha256:ab"));
    assertTrue(daemon().isRunning());
  }

  /** The tags of {@code repository} on the remote host. */
  private static List<String> tagsOf(String repository) {
    List<String> tags = new ArrayList<>();
    for (var image : docker.listImagesCmd().withImageNameFilter(repository).exec()) {
      for (String tag : image.getRepoTags() == null ? new String[0] : image.getRepoTags()) {
        if (tag.startsWith(repository + ":")) { // the daemon's name filter is not exact
          tags.add(tag);
        }
      }
    }
    Collections.sort(tags);
    return tags;
  }

  @Test
  void anUntaggedNameIsPulledAsLatestNeverAsEveryTag() {
    Registry r = lab().registry();
    String repo = "lab/rule-" + Long.toHexString(System.nanoTime());
    r.pushFresh(daemon(), repo + ":latest");
    r.pushFresh(daemon(), repo + ":other");
    String untagged = r.address() + "/" + repo;
    launchAndRecord(ContainerSpec.of(untagged).pullPolicy(PullPolicy.IF_NOT_PRESENT)
        .credentials(DockerCredentials.none()));
    assertEquals(List.of(untagged + ":latest"), tagsOf(untagged), "only :latest came");
    removeLocally(untagged + ":latest");
  }

  @Test
  void aNewLatestInTheRegistryRunsUnderIfNotPresentThoughAnOldCopyIsPresent() {
    Registry r = lab().registry();
    String ref = r.address() + "/lab/fresh-" + Long.toHexString(System.nanoTime()) + ":latest";
    String repoAndTag = ref.substring(r.address().length() + 1);
    r.pushFresh(daemon(), repoAndTag);
    launchAndRecord(ContainerSpec.of(ref).pullPolicy(PullPolicy.IF_NOT_PRESENT)
        .credentials(DockerCredentials.none()));
    String old = docker.inspectImageCmd(ref).exec().getId();
    r.pushFresh(daemon(), repoAndTag); // new content under the same :latest
    // pushing went through the daemon and untagged ref there: put the old copy back
    docker.tagImageCmd(old, ref.substring(0, ref.lastIndexOf(':')), "latest").exec();
    assertEquals(old, docker.inspectImageCmd(ref).exec().getId(), "the old copy is present");
    try (OnDemandContainer box = OnDemandContainer.launch(docker, ContainerSpec.of(ref)
        .pullPolicy(PullPolicy.IF_NOT_PRESENT).credentials(DockerCredentials.none())
        .networkMode("none").build())) {
      String now = docker.inspectImageCmd(ref).exec().getId();
      assertFalse(old.equals(now), "the new :latest was pulled");
      assertEquals(now, docker.inspectContainerCmd(box.id()).exec().getImageId(),
          "and the container runs it");
    }
    // a fixed tag that is present is not pulled again: no pull events at all
    String fixed = r.address() + "/" + Lab.REGISTRY_IMAGE;
    launchAndRecord(ContainerSpec.of(fixed).pullPolicy(PullPolicy.IF_NOT_PRESENT)
        .credentials(DockerCredentials.none()));
    assertTrue(launchAndRecord(ContainerSpec.of(fixed).pullPolicy(PullPolicy.IF_NOT_PRESENT)
        .credentials(DockerCredentials.none())).isEmpty(), "no pull for a present fixed tag");
    removeLocally(ref);
  }
}
