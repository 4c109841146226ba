package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.UserInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether to trust a server's host key: known_hosts first (through JSch's parser), then
 * the policy. Unknown keys are refused unless accept-new is on, in which case the key is appended
 * to the file; changed keys are always refused; a pinned fingerprint overrides known_hosts. It
 * remembers what the server offered so that the error can say exactly what to do.
 */
final class HostKeyVerifier implements HostKeyRepository {
  private static final Logger log = LoggerFactory.getLogger(HostKeyVerifier.class);

  /** What happened in the last check, for the error message. */
  public enum Outcome { NONE, TRUSTED, ADDED, UNKNOWN, CHANGED, PIN_MISMATCH }

  private final HostKeyRepository known;
  private final Path knownHostsFile;
  private final boolean acceptNew;
  private final String pinned;
  private volatile Outcome outcome = Outcome.NONE;
  private volatile String offeredType;
  private volatile String offeredFingerprint;

  public HostKeyVerifier(HostKeyRepository known, Path knownHostsFile, boolean acceptNew,
      String pinned) {
    this.known = known;
    this.knownHostsFile = knownHostsFile;
    this.acceptNew = acceptNew;
    this.pinned = pinned;
  }

  @Override
  public int check(String host, byte[] key) {
    offeredType = keyType(key);
    offeredFingerprint = fingerprint(key);
    if (pinned != null) {
      if (pinned.equals(offeredFingerprint)) {
        outcome = Outcome.TRUSTED;
        return OK;
      }
      outcome = Outcome.PIN_MISMATCH;
      return CHANGED;
    }
    int result = known.check(host, key);
    if (result == OK) {
      outcome = Outcome.TRUSTED;
      return OK;
    }
    if (result == CHANGED) {
      outcome = Outcome.CHANGED;
      return CHANGED;
    }
    if (acceptNew) {
      append(host, key);
      outcome = Outcome.ADDED;
      log.info("trusted new host key of {} ({} {}) and added it to {}", host, offeredType,
          offeredFingerprint, knownHostsFile);
      return OK;
    }
    outcome = Outcome.UNKNOWN;
    return NOT_INCLUDED;
  }

  private void append(String host, byte[] key) {
    String line = host + " " + offeredType + " " + Base64.getEncoder().encodeToString(key) + "\n";
    try {
      Path parent = knownHostsFile.toAbsolutePath().getParent();
      if (parent != null && !Files.exists(parent)) {
        Files.createDirectories(parent,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Files.writeString(knownHostsFile, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot add the host key to " + knownHostsFile, e);
    }
    try {
      known.add(new HostKey(host, key), null);
    } catch (JSchException e) {
      log.debug("host key added to the file but not to the in-memory list", e);
    }
  }

  public Outcome outcome() {
    return outcome;
  }

  public String offeredType() {
    return offeredType;
  }

  public String offeredFingerprint() {
    return offeredFingerprint;
  }

  public Path knownHostsFile() {
    return knownHostsFile;
  }

  public String pinned() {
    return pinned;
  }

  /** {@code SHA256:<base64 without padding>} of a key blob, as OpenSSH prints it. */
  public static String fingerprint(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The algorithm name at the start of an SSH public key blob. */
  static String keyType(byte[] key) {
    if (key.length < 4) {
      return "unknown";
    }
    int len = ByteBuffer.wrap(key).getInt();
    if (len <= 0 || len > key.length - 4) {
      return "unknown";
    }
    return new String(key, 4, len, StandardCharsets.US_ASCII);
  }

  @Override
  public void add(HostKey hostkey, UserInfo ui) {
    known.add(hostkey, ui);
  }

  @Override
  public void remove(String host, String type) {
    known.remove(host, type);
  }

  @Override
  public void remove(String host, String type, byte[] key) {
    known.remove(host, type, key);
  }

  @Override
  public String getKnownHostsRepositoryID() {
    return known.getKnownHostsRepositoryID();
  }

  @Override
  public HostKey[] getHostKey() {
    return known.getHostKey();
  }

  @Override
  public HostKey[] getHostKey(String host, String type) {
    return known.getHostKey(host, type);
  }
}
