package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * Tries to connect to a Unix socket as another Unix user: proof that a private socket is
 * private. {@link #main} is what runs as that user: exit 0 when connected, 13 when the kernel
 * refuses (permission denied), 1 otherwise.
 */
public final class ConnectProbe {
  private ConnectProbe() {}

  public static void main(String[] args) {
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
      System.out.println("connected");
      System.exit(0);
    } catch (IOException e) {
      System.out.println(e.getMessage());
      System.exit(String.valueOf(e.getMessage()).contains("Permission denied") ? 13 : 1);
    }
  }

  /**
   * Runs the probe as {@code user} (via runuser; needs root) against {@code socket} and returns
   * its exit code and output.
   */
  public static String runAs(String user, Path socket) {
    try {
      // a copy of this class where the other user can read it
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "sshc-probe-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      try {
        Path pkg = Files.createDirectories(dir.resolve("io/github/sshcontainer/lab"));
        try (InputStream in = ConnectProbe.class.getResourceAsStream("ConnectProbe.class")) {
          Files.copy(in, pkg.resolve("ConnectProbe.class"));
        }
        try (var walk = Files.walk(dir)) {
          for (Path p : walk.toList()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
          }
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
          String out = LabProcess.run(Duration.ofSeconds(60), List.of("runuser", "-u", user,
              "--", java, "-XX:-UsePerfData", "-cp", dir.toString(),
              ConnectProbe.class.getName(),
              socket.toString()));
          return "0 " + out.trim();
        } catch (IllegalStateException e) {
          String m = e.getMessage();
          return m.startsWith("exit ") ? m.substring(5).replaceFirst(" from \\[.*?\\]:\\n", " ")
              .trim() : m;
        }
      } finally {
        LabProcess.deleteTree(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
