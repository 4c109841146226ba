package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.sshcontainer.docker.DockerContexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where kept-open tunnels ({@code up}) live: one private directory (0700) holding, per NAME,
 * its socket (0600), lock, log and state file; and the Docker CLI's context store, where a
 * context NAME points at the socket.
 *
 * <p>The directory is {@code $SSH_CONTAINER_STATE_DIR}, else {@code
 * $XDG_RUNTIME_DIR/ssh-container}, else {@code ~/.ssh-container}.
 */
final class KeptTunnels {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";

  private final Path dir;
  private final DockerContexts contexts;

  private KeptTunnels(Path dir, DockerContexts contexts) {
    this.dir = dir;
    this.contexts = contexts;
  }

  static KeptTunnels fromEnvironment() {
    Map<String, String> env = System.getenv();
    Path home = Path.of(System.getProperty("user.home"));
    Path dir;
    if (env.get("SSH_CONTAINER_STATE_DIR") != null && !env.get("SSH_CONTAINER_STATE_DIR")
        .isBlank()) {
      dir = Path.of(env.get("SSH_CONTAINER_STATE_DIR"));
    } else if (env.get("XDG_RUNTIME_DIR") != null && !env.get("XDG_RUNTIME_DIR").isBlank()) {
      dir = Path.of(env.get("XDG_RUNTIME_DIR"), "ssh-container");
    } else {
      dir = home.resolve(".ssh-container");
    }
    return new KeptTunnels(dir, DockerContexts.fromEnvironment(env, home));
  }

  static String checkName(String name) {
    if (name == null || !name.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException("name '" + name + "' must be 1-64 letters, digits, "
          + "'.', '_' or '-', starting with a letter or digit");
    }
    return name;
  }

  Path dir() {
    return dir;
  }

  /** Creates the directory, private to this user. */
  Path ensureDir() {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the state directory " + dir, e);
    }
  }

  Path socket(String name) {
    return dir.resolve(name + ".sock");
  }

  Path lockFile(String name) {
    return dir.resolve(name + ".lock");
  }

  Path log(String name) {
    return dir.resolve(name + ".log");
  }

  Path stateFile(String name) {
    return dir.resolve(name + ".json");
  }

  /** The names with a state file. */
  List<String> names() {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return names;
    }
    try (var files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".json"))
          .map(f -> f.substring(0, f.length() - 5)).filter(n -> n.matches(NAME_PATTERN))
          .sorted().forEach(names::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  Optional<ObjectNode> state(String name) {
    Path f = stateFile(name);
    try {
      return Files.exists(f) ? Optional.of((ObjectNode) JSON.readTree(f.toFile()))
          : Optional.empty();
    } catch (IOException | ClassCastException e) {
      return Optional.empty(); // half-written or damaged: treated as absent
    }
  }

  /** Writes the state file atomically (a reader never sees half of it). */
  void writeState(String name, ObjectNode state) {
    try {
      Path tmp = dir.resolve("." + name + ".json.tmp");
      Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
      Files.move(tmp, stateFile(name), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Takes NAME's lock without waiting; empty when a running instance holds it. The holder keeps
   * the returned lock (and its channel) open for its lifetime; the OS releases it when the
   * process dies, however it dies.
   */
  Optional<FileLock> tryLock(String name) {
    ensureDir();
    try {
      FileChannel ch = FileChannel.open(lockFile(name), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock = ch.tryLock();
      if (lock == null) {
        ch.close();
        return Optional.empty();
      }
      return Optional.of(lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + lockFile(name), e);
    }
  }

  /** True when a running instance holds NAME's lock. */
  boolean running(String name) {
    if (!Files.exists(lockFile(name))) {
      return false;
    }
    Optional<FileLock> lock = tryLock(name);
    lock.ifPresent(KeptTunnels::release);
    return lock.isEmpty();
  }

  static void release(FileLock lock) {
    try {
      lock.release();
      lock.channel().close();
    } catch (IOException ignored) {
      // released with the process anyway
    }
  }

  /** True when the socket answers a Docker {@code GET /_ping} with 200 within the timeout. */
  static boolean dockerPing(Path socket, int timeoutMillis) {
    if (!Files.exists(socket)) {
      return false;
    }
    long end = System.nanoTime() + timeoutMillis * 1_000_000L;
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        Selector selector = Selector.open()) {
      c.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII)));
      c.configureBlocking(false);
      c.register(selector, SelectionKey.OP_READ);
      ByteBuffer b = ByteBuffer.allocate(256);
      while (b.hasRemaining()) {
        long left = (end - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return false;
        }
        selector.select(left);
        selector.selectedKeys().clear();
        if (c.read(b) < 0) {
          break;
        }
      }
      return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII)
          .startsWith("HTTP/1.0 200");
    } catch (IOException e) {
      return false;
    }
  }

  // --- the Docker CLI's context store ---

  DockerContexts contexts() {
    return contexts;
  }

  Path dockerConfig() {
    return contexts.configDir();
  }

  boolean contextExists(String name) {
    return contexts.exists(name);
  }

  /** Writes (or rewrites) Docker context NAME with its host at the socket. */
  void writeContext(String name, String description, Path socket) {
    contexts.write(name, description, "unix://" + socket.toAbsolutePath());
  }

  void removeContext(String name) {
    contexts.remove(name);
  }

  void setCurrentContext(String name) {
    contexts.use(name);
  }
}
