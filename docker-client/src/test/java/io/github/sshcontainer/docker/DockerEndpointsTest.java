package io.github.sshcontainer.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.tunnel.RemoteSocket;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DOCKER_HOST and Docker contexts read as the Docker CLI reads them. */
class DockerEndpointsTest {
  @TempDir Path home;

  @Test
  void dockerHostWithASocketPathBecomesTheRemoteSocket() {
    TunnelOptions o = SshDocker.tunnelOptionsFrom(
        Map.of("DOCKER_HOST", "ssh://dev@build-1:2200/run/user/1000/docker.sock"), home).build();
    assertEquals("dev", o.target().user().orElseThrow());
    assertEquals("build-1", o.target().host());
    assertEquals(2200, o.target().port());
    assertEquals(RemoteSocket.at("/run/user/1000/docker.sock"), o.remoteSocket().orElseThrow());
    TunnelOptions bare = SshDocker.tunnelOptions("ssh://dev@build-1").build();
    assertTrue(bare.remoteSocket().isEmpty(), "no path given: Docker's socket is discovered");
    assertEquals(RemoteSocket.firstOf(SshDocker.SOCKET_CANDIDATES),
        SshDocker.dockerDefaults(bare).remoteSocket().orElseThrow());
    assertEquals(SshDocker.DIAL_STDIO, SshDocker.dockerDefaults(bare).socketCommand()
        .orElseThrow());
  }

  @Test
  void currentContextWithAnSshEndpointIsUsed() throws Exception {
    writeContext("remote-box", "ssh://ops@10.1.2.3");
    Files.writeString(home.resolve(".docker/config.json"), "{\"currentContext\":\"remote-box\"}");
    TunnelOptions o = SshDocker.tunnelOptionsFrom(Map.of(), home).build();
    assertEquals("ops", o.target().user().orElseThrow());
    assertEquals("10.1.2.3", o.target().host());
    // DOCKER_CONTEXT wins over currentContext, DOCKER_HOST over both
    writeContext("other", "ssh://root@other-host:2022");
    assertEquals("other-host", SshDocker.tunnelOptionsFrom(Map.of("DOCKER_CONTEXT", "other"),
        home).build().target().host());
    assertEquals("h", SshDocker.tunnelOptionsFrom(Map.of("DOCKER_CONTEXT", "other",
        "DOCKER_HOST", "ssh://h"), home).build().target().host());
  }

  @Test
  void nonSshHostsAndMissingContextsAreExplained() throws Exception {
    IllegalArgumentException tcp = assertThrows(IllegalArgumentException.class,
        () -> SshDocker.tunnelOptionsFrom(Map.of("DOCKER_HOST", "tcp://1.2.3.4:2375"), home));
    assertTrue(tcp.getMessage().contains("not an ssh:// host"), tcp.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> SshDocker.tunnelOptionsFrom(Map.of(), home));
    assertTrue(none.getMessage().contains("DOCKER_HOST=ssh://"), none.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> SshDocker.tunnelOptionsFrom(Map.of("DOCKER_CONTEXT", "ghost"), home));
    assertTrue(missing.getMessage().contains("'ghost'"), missing.getMessage());
  }

  private void writeContext(String name, String host) throws Exception {
    String dir = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(name.getBytes(StandardCharsets.UTF_8)));
    Path meta = Files.createDirectories(home.resolve(".docker/contexts/meta").resolve(dir));
    Files.writeString(meta.resolve("meta.json"), "{\"Name\":\"" + name + "\",\"Metadata\":{},"
        + "\"Endpoints\":{\"docker\":{\"Host\":\"" + host + "\",\"SkipTLSVerify\":false}}}");
  }
}
