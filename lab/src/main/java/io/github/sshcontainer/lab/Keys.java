package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Generates OpenSSH keys with the real {@code ssh-keygen}. */
public final class Keys {
  private Keys() {}

  /** Writes an ed25519 key pair: {@code privateKey} and {@code privateKey.pub}. */
  public static void generate(Path privateKey, String passphrase) {
    generate(privateKey, passphrase, "ed25519");
  }

  /** Writes a key pair of {@code type} (ed25519, rsa, ecdsa). */
  public static void generate(Path privateKey, String passphrase, String type) {
    Path keygen = Prerequisites.require("openssh-client", "/usr/bin/ssh-keygen");
    try {
      Files.deleteIfExists(privateKey);
      Files.deleteIfExists(Path.of(privateKey + ".pub"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LabProcess.run(Duration.ofSeconds(30), List.of(keygen.toString(), "-q", "-t", type,
        "-N", passphrase, "-C", "ssh-container-lab", "-f", privateKey.toString()));
  }

  /** The {@code known_hosts} line for a host key served at 127.0.0.1:port. */
  public static String knownHostsLine(Path hostPrivateKey, int port) {
    return knownHostsLine(hostPrivateKey, "127.0.0.1", port);
  }

  /** The {@code known_hosts} line for a host key served at host:port. */
  public static String knownHostsLine(Path hostPrivateKey, String host, int port) {
    try {
      String pub = Files.readString(Path.of(hostPrivateKey + ".pub")).trim();
      String[] parts = pub.split(" ");
      String name = port == 22 ? host : "[" + host + "]:" + port;
      return name + " " + parts[0] + " " + parts[1];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code SHA256:…} fingerprint of a public key file, as ssh-keygen prints it. */
  public static String fingerprint(Path publicKey) {
    Path keygen = Prerequisites.require("openssh-client", "/usr/bin/ssh-keygen");
    String out = LabProcess.run(Duration.ofSeconds(30),
        List.of(keygen.toString(), "-l", "-E", "sha256", "-f", publicKey.toString()));
    return out.trim().split("\\s+")[1];
  }
}
