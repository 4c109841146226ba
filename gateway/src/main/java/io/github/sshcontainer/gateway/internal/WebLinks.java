package io.github.sshcontainer.gateway.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The web terminal's login tokens: {@code base64url(payload) "." base64url(HMAC-SHA256)},
 * payload = version (1), a random id (16 bytes), the expiry (epoch ms, 8 bytes), the user
 * (UTF-8). Signed, not stored: so that {@code ssh-container gateway web-link USER} can mint
 * one in another process, without the running gateway, from the key file beside the host key
 * (32 random bytes, 0600, made at the gateway's first start with the web terminal on). The
 * gateway makes each single-use by remembering the ids it accepted until they expire, so its
 * memory is bounded by the logins of one link lifetime (at most 24 h). It also appends each to
 * a file beside the key ({@code KEY.spent}, 0600, one {@code id expiry} line each), read at
 * start and pruned of expired ids by {@link #sweep}: a link used before a restart stays used
 * after it. Thread-safe.
 */
public final class WebLinks {
  /** What {@link #verify} finds: a {@link Token} to spend, or a {@link Refusal}. */
  public sealed interface Verified permits Token, Refusal {}

  /** Why a token was refused; the message is for the log and the page, never the token. */
  public enum Refusal implements Verified {
    /** Whole in form, with a signature this gateway's key did not make: a forgery or a guess. */
    FORGED("the link is not one this gateway made; ask for a new one"),
    /** Not a token's form at all: most often a link cut short or wrapped on its way. */
    INCOMPLETE("the link is incomplete; copy it whole, or ask for a new one"),
    EXPIRED("the link has expired; ask for a new one"),
    USED("the link was used already; ask for a new one");

    final String why;

    Refusal(String why) {
      this.why = why;
    }

    public String why() {
      return why;
    }
  }

  /** A token that verified: its user and id (the id is spent with {@link #spend}). */
  public record Token(String user, ByteBuffer id, long expiresMillis) implements Verified {
    /**
     * The link's name in logs and audit logs: the first 8 bytes of its id in hex. Not a
     * secret (a link needs the key's signature): it ties the login to the SSH connection
     * that asked for the link.
     */
    public String name() {
      return hexName(id);
    }
  }

  /** {@link Token#name} of a link this gateway made (its URL or its token), else "?". */
  public static String nameOf(String link) {
    String token = link.substring(link.indexOf("#t=") < 0 ? 0 : link.indexOf("#t=") + 3).strip();
    int dot = token.indexOf('.');
    try {
      byte[] payload = Base64.getUrlDecoder().decode(token.substring(0, Math.max(0, dot)));
      return payload.length > ID_BYTES ? hexName(ByteBuffer.wrap(payload, 1, ID_BYTES).slice())
          : "?";
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }

  private static String hexName(ByteBuffer id) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(8, id.remaining()); i++) {
      b.append(String.format("%02x", id.get(id.position() + i)));
    }
    return b.toString();
  }

  private static final byte VERSION = 1;
  private static final byte[] CONTEXT = "ssh-container web-link\0".getBytes(
      StandardCharsets.US_ASCII);
  private static final int KEY_BYTES = 32;
  private static final int ID_BYTES = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;
  private final Clock clock;
  private final Map<ByteBuffer, Long> spent = new ConcurrentHashMap<>();
  /** Where spent ids are kept across restarts; null for links that are only minted. */
  private final Path spentFile;

  WebLinks(byte[] key, Clock clock) {
    this(key, clock, null);
  }

  private WebLinks(byte[] key, Clock clock, Path spentFile) {
    this.key = key.clone();
    this.clock = clock;
    this.spentFile = spentFile;
  }

  /**
   * The links of the key in {@code file}, made (32 random bytes, 0600) when missing, with the
   * ids spent before (in {@code file.spent}).
   *
   * @throws IllegalStateException when the key or the spent ids cannot be read or written
   */
  public static WebLinks open(Path file) {
    WebLinks links = new WebLinks(readOrMakeKey(file), Clock.systemUTC(), spentFile(file));
    links.load();
    return links;
  }

  /** The file of spent ids of the key in {@code keyFile}. */
  static Path spentFile(Path keyFile) {
    return keyFile.resolveSibling(keyFile.getFileName() + ".spent");
  }

  private void load() {
    if (!Files.exists(spentFile)) {
      return;
    }
    long now = clock.millis();
    try {
      for (String line : Files.readAllLines(spentFile, StandardCharsets.US_ASCII)) {
        String[] f = line.trim().split(" ");
        if (f.length != 2) {
          continue; // a line cut short by a crash while it was appended
        }
        try {
          long expires = Long.parseLong(f[1]);
          if (expires > now) {
            spent.put(ByteBuffer.wrap(Base64.getUrlDecoder().decode(f[0])), expires);
          }
        } catch (IllegalArgumentException cut) {
          // as above
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the spent web links " + spentFile + ": "
          + e.getMessage() + " (removing it lets links used before be used once more)", e);
    }
    rewrite(); // pruned of the expired
  }

  /** Writes the ids remembered now: a temporary file (0600), then moved over the old one. */
  private synchronized void rewrite() {
    try {
      Path tmp = spentFile.resolveSibling(spentFile.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      try (var out = Files.newBufferedWriter(Files.createFile(tmp, OWNER_ONLY),
          StandardCharsets.US_ASCII)) {
        for (Map.Entry<ByteBuffer, Long> e : spent.entrySet()) {
          out.write(line(e.getKey(), e.getValue()));
        }
      }
      Files.move(tmp, spentFile, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the spent web links " + spentFile + ": "
          + e.getMessage() + " (the directory of the link key must be writable)", e);
    }
  }

  private static String line(ByteBuffer id, long expires) {
    byte[] b = new byte[id.remaining()];
    id.duplicate().get(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b) + " " + expires + "\n";
  }

  private static final java.nio.file.attribute.FileAttribute<Set<PosixFilePermission>>
      OWNER_ONLY = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
          "rw-------"));

  /**
   * The links of the key in {@code file}, which must exist (an operator's CLI mints with the
   * running gateway's key, never a new one).
   *
   * @throws IllegalStateException naming the file and the fix
   */
  public static WebLinks existing(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("no web link key at " + file + ": the gateway makes it "
          + "at its first start with --web; start it once, then mint links");
    }
    return new WebLinks(read(file), Clock.systemUTC());
  }

  private static byte[] readOrMakeKey(Path file) {
    if (!Files.exists(file)) {
      byte[] k = new byte[KEY_BYTES];
      RANDOM.nextBytes(k);
      Path tmp = null;
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        // written whole to a temporary file, 0600 from its creation (never readable by
        // others, not even for a moment), then linked in place: another process that loses
        // the race to make it never reads a file still empty
        tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".web_link_key",
            ".tmp", OWNER_ONLY);
        try (var out = Files.newByteChannel(tmp, Set.of(StandardOpenOption.WRITE))) {
          out.write(ByteBuffer.wrap(k));
        }
        Files.createLink(file, tmp);
        return k;
      } catch (FileAlreadyExistsException raced) {
        // another process made it first: use theirs
      } catch (IOException e) {
        throw new IllegalStateException("cannot make the web link key " + file + ": "
            + e.getMessage() + " (the directory of the host key must be writable)", e);
      } finally {
        if (tmp != null) {
          try {
            Files.deleteIfExists(tmp);
          } catch (IOException ignored) {
            // a stray temporary file, 0600: harmless
          }
        }
      }
    }
    return read(file);
  }

  private static byte[] read(Path file) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.contains(PosixFilePermission.GROUP_READ)
          || mode.contains(PosixFilePermission.OTHERS_READ)) {
        throw new IllegalStateException("the web link key " + file + " is readable by others ("
            + PosixFilePermissions.toString(mode) + "): anyone who reads it can log in as any "
            + "user; chmod 600 it");
      }
      byte[] k = Files.readAllBytes(file);
      if (k.length != KEY_BYTES) {
        throw new IllegalStateException("the web link key " + file + " holds " + k.length
            + " bytes, not " + KEY_BYTES + ": remove it and the gateway makes a new one");
      }
      return k;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the web link key " + file + ": "
          + e.getMessage(), e);
    }
  }

  /** A new token for {@code user}, valid for {@code ttl}, once. */
  public String mint(String user, Duration ttl) {
    byte[] name = user.getBytes(StandardCharsets.UTF_8);
    ByteBuffer p = ByteBuffer.allocate(1 + ID_BYTES + 8 + name.length);
    p.put(VERSION);
    byte[] id = new byte[ID_BYTES];
    RANDOM.nextBytes(id);
    p.put(id);
    p.putLong(clock.millis() + ttl.toMillis());
    p.put(name);
    byte[] payload = p.array();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString(payload) + "." + b64.encodeToString(mac(payload));
  }

  /**
   * The token's user and id if it is this key's and not expired; else the refusal. Does not
   * spend it.
   */
  public Verified verify(String token) {
    int dot = token == null ? -1 : token.indexOf('.');
    if (dot <= 0 || token.length() > 1024) {
      return Refusal.INCOMPLETE;
    }
    byte[] payload;
    byte[] mac;
    try {
      payload = Base64.getUrlDecoder().decode(token.substring(0, dot));
      mac = Base64.getUrlDecoder().decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return Refusal.INCOMPLETE;
    }
    byte[] expected = mac(payload);
    if (mac.length != expected.length || payload.length < 1 + ID_BYTES + 8 + 1) {
      return Refusal.INCOMPLETE;
    }
    if (!MessageDigest.isEqual(mac, expected) || payload[0] != VERSION) {
      return Refusal.FORGED;
    }
    ByteBuffer p = ByteBuffer.wrap(payload);
    p.get();
    byte[] id = new byte[ID_BYTES];
    p.get(id);
    long expires = p.getLong();
    String user = new String(payload, p.position(), p.remaining(), StandardCharsets.UTF_8);
    if (clock.millis() >= expires) {
      return Refusal.EXPIRED;
    }
    if (spent.containsKey(ByteBuffer.wrap(id))) {
      return Refusal.USED;
    }
    return new Token(user, ByteBuffer.wrap(id), expires);
  }

  /** Spends {@code token}: true the first time only. */
  public boolean spend(Token token) {
    if (spent.putIfAbsent(token.id(), token.expiresMillis()) != null) {
      return false;
    }
    if (spentFile != null) {
      synchronized (this) {
        try (var out = Files.newByteChannel(spentFile, Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND), OWNER_ONLY)) {
          out.write(ByteBuffer.wrap(line(token.id(), token.expiresMillis()).getBytes(
              StandardCharsets.US_ASCII)));
        } catch (IOException e) {
          // refused rather than usable again after a restart
          spent.remove(token.id());
          throw new IllegalStateException("cannot record a spent web link in " + spentFile
              + ": " + e.getMessage() + " (the directory of the link key must be writable)", e);
        }
      }
    }
    return true;
  }

  /** Forgets the ids of expired tokens (they are refused as expired anyway), in the file too. */
  public void sweep() {
    long now = clock.millis();
    if (spent.values().removeIf(e -> e <= now) && spentFile != null) {
      rewrite();
    }
  }

  /** How many spent ids are remembered now. */
  int remembered() {
    return spent.size();
  }

  private byte[] mac(byte[] payload) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      m.update(CONTEXT);
      return m.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }
}
