package io.github.sshcontainer.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials found as {@code docker pull} finds them, in a Docker config of the test's own:
 * {@code credHelpers} before {@code credsStore} before {@code auths}; helpers are real programs
 * on a PATH of the test's.
 */
class DockerCredentialsTest {
  @TempDir Path tmp;

  private Path config(String json) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("config"));
    Files.writeString(dir.resolve("config.json"), json);
    return dir;
  }

  /** A credential helper that answers {@code user}/{@code secret} for any server it is asked. */
  private Path helper(String name, String user, String secret) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path p = bin.resolve("docker-credential-" + name);
    Files.writeString(p, "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\""
        + user + "\",\"Secret\":\"" + secret + "\"}' \"$server\"\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return bin;
  }

  private static String basic(String user, String password) {
    return Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theRegistryOfAnImageIsNamedAsTheCredentialsAreKeyed() {
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("busybox"));
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("library/busybox"));
    assertEquals(DockerCredentials.DOCKER_HUB, DockerCredentials.registryOf("docker.io/x/y:1"));
    assertEquals("localhost:5000", DockerCredentials.registryOf("localhost:5000/app"));
    assertEquals("localhost", DockerCredentials.registryOf("localhost/app"));
    assertEquals("ghcr.io", DockerCredentials.registryOf("ghcr.io/org/app@sha256:ab"));
    assertThrows(IllegalArgumentException.class, () -> DockerCredentials.registryOf(" "));
  }

  @Test
  void authsEntriesGiveBasicCredentialsWhicheverWayTheKeyIsWritten() throws Exception {
    Path dir = config("{\"auths\": {\"https://reg.example:5000/v1/\": {\"auth\": \""
        + basic("ann", "s3cret") + "\"}}}");
    RegistryAuth a = DockerCredentials.fromConfigDir(dir, Map.of()).forImage(
        "reg.example:5000/team/app:1").orElseThrow();
    assertEquals("ann", a.username().orElseThrow());
    assertEquals("s3cret", a.secret());
    assertTrue(a.source().contains("auths"), a.source());
    assertFalse(a.toString().contains("s3cret"), "no secret in toString: " + a);
    assertEquals(Optional.empty(), DockerCredentials.fromConfigDir(dir, Map.of())
        .forImage("other.example/app"));
  }

  @Test
  void aHelperNamedForTheRegistryComesBeforeTheStoreAndTheStoreBeforeAuths() throws Exception {
    Path bin = helper("per-registry", "from-cred-helpers", "a");
    helper("store", "from-creds-store", "b");
    Map<String, String> env = Map.of("PATH", bin.toString());
    Path dir = config("{\"credHelpers\": {\"reg.example\": \"per-registry\"}, "
        + "\"credsStore\": \"store\", \"auths\": {\"reg.example\": {\"auth\": \""
        + basic("from-auths", "c") + "\"}, \"other.example\": {\"auth\": \""
        + basic("other-auths", "d") + "\"}}}");
    DockerCredentials c = DockerCredentials.fromConfigDir(dir, env);
    assertEquals("from-cred-helpers", c.forRegistry("reg.example").orElseThrow().username()
        .orElseThrow());
    assertEquals("from-creds-store", c.forRegistry("other.example").orElseThrow().username()
        .orElseThrow(), "the store answers for every registry before auths");
    Path onlyAuths = config("{\"auths\": {\"reg.example\": {\"auth\": \""
        + basic("from-auths", "c") + "\"}}}");
    assertEquals("from-auths", DockerCredentials.fromConfigDir(onlyAuths, env)
        .forRegistry("reg.example").orElseThrow().username().orElseThrow());
  }

  @Test
  void aMissingHelperIsATypedErrorThatSaysWhatToDo() throws Exception {
    Path dir = config("{\"credsStore\": \"nosuch\"}");
    CredentialsException e = assertThrows(CredentialsException.class, () ->
        DockerCredentials.fromConfigDir(dir, Map.of("PATH", tmp.toString()))
            .forRegistry("reg.example"));
    assertTrue(e.getMessage().contains("docker-credential-nosuch is not on PATH"),
        e.getMessage());
    assertTrue(e.getMessage().contains("install it"), e.getMessage());
  }

  @Test
  void aBrokenAuthsEntryAndAnUnreadableConfigAreTypedErrors() throws Exception {
    Path dir = config("{\"auths\": {\"reg.example\": {\"auth\": \"%%%\"}}}");
    CredentialsException bad = assertThrows(CredentialsException.class, () ->
        DockerCredentials.fromConfigDir(dir, Map.of()).forRegistry("reg.example"));
    assertTrue(bad.getMessage().contains("docker login reg.example"), bad.getMessage());
    Path broken = config("{ not json");
    CredentialsException unreadable = assertThrows(CredentialsException.class, () ->
        DockerCredentials.fromConfigDir(broken, Map.of()).forRegistry("reg.example"));
    assertTrue(unreadable.getMessage().contains("cannot read the Docker config"),
        unreadable.getMessage());
  }

  @Test
  void noConfigMeansAnonymous() {
    assertEquals(Optional.empty(), DockerCredentials.none().forImage("reg.example/app"));
    assertEquals(Optional.empty(), DockerCredentials.fromConfigDir(tmp.resolve("absent"),
        Map.of()).forImage("reg.example/app"));
  }
}
