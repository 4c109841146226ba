package io.github.sshcontainer.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lab's keys, made with ssh-keygen: the client key every lab sshd accepts (in {@code
 * authorized_keys}) and the host key the lab's sshds present.
 */
record LabKeys(Path clientKey, Path authorizedKeys, Path hostKey) {
  static LabKeys make(Path dir) throws IOException {
    Path clientKey = dir.resolve("client_key");
    Keys.generate(clientKey, "");
    Path authorizedKeys = dir.resolve("authorized_keys");
    Files.copy(Path.of(clientKey + ".pub"), authorizedKeys);
    Path hostKey = dir.resolve("host_key");
    Keys.generate(hostKey, "");
    return new LabKeys(clientKey, authorizedKeys, hostKey);
  }
}
