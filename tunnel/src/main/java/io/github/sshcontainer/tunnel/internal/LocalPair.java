package io.github.sshcontainer.tunnel.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Two connected local Unix sockets (the JDK has no socketpair): a listener in a fresh private
 * directory accepts one connection, then the listener, its file and directory are removed.
 */
final class LocalPair {
  private LocalPair() {}

  /** {@code [a, b]}, connected to each other. */
  static SocketChannel[] open() throws IOException {
    Path dir = Files.createTempDirectory("ssh-container-pair-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path path = dir.resolve("p");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path), 1);
      SocketChannel b = SocketChannel.open(UnixDomainSocketAddress.of(path));
      try {
        SocketChannel a = server.accept();
        return new SocketChannel[] {a, b};
      } catch (IOException e) {
        b.close();
        throw e;
      }
    } finally {
      Files.deleteIfExists(path);
      Files.deleteIfExists(dir);
    }
  }
}
