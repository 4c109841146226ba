package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
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
  private final Path dockerConfig;

  private KeptTunnels(Path dir, Path dockerConfig) {
    this.dir = dir;
    this.dockerConfig = dockerConfig;
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
    String dc = env.get("DOCKER_CONFIG");
    Path dockerConfig = dc != null && !dc.isBlank() ? Path.of(dc) : home.resolve(".docker");
    return new KeptTunnels(dir, dockerConfig);
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
      Files.move(tmp, stateFile(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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

  Path dockerConfig() {
    return dockerConfig;
  }

  Path contextDir(String name) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(
          StandardCharsets.UTF_8));
      return dockerConfig.resolve("contexts").resolve("meta").resolve(HexFormat.of()
          .formatHex(h));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean contextExists(String name) {
    return Files.exists(contextDir(name).resolve("meta.json"));
  }

  /** Writes (or rewrites) Docker context NAME with its host at the socket. */
  void writeContext(String name, String description, Path socket) {
    ObjectNode meta = JSON.createObjectNode();
    meta.put("Name", name);
    meta.putObject("Metadata").put("Description", description);
    ObjectNode docker = meta.putObject("Endpoints").putObject("docker");
    docker.put("Host", "unix://" + socket.toAbsolutePath());
    docker.put("SkipTLSVerify", false);
    try {
      Path d = Files.createDirectories(contextDir(name));
      Files.writeString(d.resolve("meta.json"), JSON.writeValueAsString(meta));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Docker context " + name + " under "
          + dockerConfig, e);
    }
  }

  void removeContext(String name) {
    Path d = contextDir(name);
    try {
      Files.deleteIfExists(d.resolve("meta.json"));
      Files.deleteIfExists(d);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the Docker context " + name, e);
    }
    if (name.equals(currentContext().orElse(null))) {
      setCurrentContext(null);
    }
  }

  Optional<String> currentContext() {
    Path config = dockerConfig.resolve("config.json");
    try {
      if (!Files.exists(config)) {
        return Optional.empty();
      }
      var node = JSON.readTree(config.toFile()).path("currentContext");
      return node.isTextual() && !node.asText().isEmpty() ? Optional.of(node.asText())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Sets (or with null, removes) {@code currentContext} in config.json, keeping the rest. */
  void setCurrentContext(String name) {
    Path config = dockerConfig.resolve("config.json");
    try {
      ObjectNode root = Files.exists(config) && Files.size(config) > 0
          ? (ObjectNode) JSON.readTree(config.toFile()) : JSON.createObjectNode();
      if (name == null) {
        root.remove("currentContext");
      } else {
        root.put("currentContext", name);
      }
      Files.createDirectories(dockerConfig);
      Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("cannot update " + config + ": " + e.getMessage(), e);
    }
  }
}
