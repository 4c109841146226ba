package io.github.sshcontainer.tunnel;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How the tunnel logs in: the private key files to offer (else ssh config's {@code
 * IdentityFile}, else the ssh-agent, else {@code ~/.ssh/id_ed25519}, {@code id_ecdsa}, {@code
 * id_rsa}), the passphrase that decrypts them, a password, and whether and where to ask an
 * ssh-agent. Secrets are kept as copies and never shown ({@code ***} in {@link #toString()}).
 * Immutable and thread-safe; each {@code with…} returns a new value.
 */
public final class Authentication {
  /** No key file, no passphrase or password, the agent at {@code SSH_AUTH_SOCK}. */
  public static final Authentication DEFAULT =
      new Authentication(List.of(), null, null, true, null);

  private final List<Path> identityFiles;
  private final byte[] passphrase;
  private final byte[] password;
  private final boolean useAgent;
  private final Path agentSocket;

  private Authentication(List<Path> identityFiles, byte[] passphrase, byte[] password,
      boolean useAgent, Path agentSocket) {
    this.identityFiles = List.copyOf(identityFiles);
    this.passphrase = passphrase;
    this.password = password;
    this.useAgent = useAgent;
    this.agentSocket = agentSocket;
  }

  /**
   * Adds a private key file (OpenSSH, PEM or PuTTY format). Checked now: it must exist, be
   * readable and parse as a key.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public Authentication withIdentityFile(Path privateKey) {
    Objects.requireNonNull(privateKey, "privateKey");
    if (!Files.exists(privateKey)) {
      throw new IllegalArgumentException("identity file " + privateKey + " does not exist");
    }
    if (!Files.isRegularFile(privateKey) || !Files.isReadable(privateKey)) {
      throw new IllegalArgumentException("identity file " + privateKey
          + " is not a readable file: check its permissions (chmod 600 " + privateKey + ")");
    }
    try {
      KeyPair.load(new JSch(), privateKey.toString()).dispose();
    } catch (JSchException e) {
      throw new IllegalArgumentException("identity file " + privateKey
          + " is not a private key JSch can read (" + e.getMessage()
          + "): give an OpenSSH, PEM or PuTTY private key", e);
    }
    List<Path> files = new ArrayList<>(identityFiles);
    files.add(privateKey);
    return new Authentication(files, passphrase, password, useAgent, agentSocket);
  }

  /** With the passphrase of encrypted identity files. */
  public Authentication withPassphrase(String passphrase) {
    return new Authentication(identityFiles, Objects.requireNonNull(passphrase, "passphrase")
        .getBytes(StandardCharsets.UTF_8), password, useAgent, agentSocket);
  }

  /** With a password for password authentication. */
  public Authentication withPassword(String password) {
    return new Authentication(identityFiles, passphrase, Objects.requireNonNull(password,
        "password").getBytes(StandardCharsets.UTF_8), useAgent, agentSocket);
  }

  /** Whether to ask the ssh-agent when no identity file is given. */
  public Authentication withAgent(boolean use) {
    return new Authentication(identityFiles, passphrase, password, use, agentSocket);
  }

  /** The ssh-agent socket to ask instead of {@code SSH_AUTH_SOCK}; turns the agent on. */
  public Authentication withAgentSocket(Path socket) {
    return new Authentication(identityFiles, passphrase, password, true,
        Objects.requireNonNull(socket, "socket"));
  }

  /** Private key files to offer, in order; empty: ssh config's, the agent's, or the defaults. */
  public List<Path> identityFiles() {
    return identityFiles;
  }

  /** The passphrase (a copy; never logged). */
  public Optional<byte[]> passphrase() {
    return Optional.ofNullable(passphrase).map(byte[]::clone);
  }

  /** The password (a copy; never logged). */
  public Optional<byte[]> password() {
    return Optional.ofNullable(password).map(byte[]::clone);
  }

  public boolean useAgent() {
    return useAgent;
  }

  /** The agent socket given; empty: {@code SSH_AUTH_SOCK}, read when the options are built. */
  public Optional<Path> agentSocket() {
    return Optional.ofNullable(agentSocket);
  }

  @Override
  public String toString() {
    return "Authentication{identityFiles=" + identityFiles + ", passphrase="
        + (passphrase != null ? "***" : "none") + ", password="
        + (password != null ? "***" : "none") + ", useAgent=" + useAgent + "}";
  }
}
