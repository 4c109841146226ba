package io.github.sshcontainer.tunnel;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the server's host key is trusted. Strict by default: the key must be in known_hosts (the
 * given file, else ssh config's {@code UserKnownHostsFile}, else {@code ~/.ssh/known_hosts});
 * an unknown host is refused with the {@code ssh-keyscan} line that adds it, a changed key is
 * always refused. Immutable and thread-safe.
 */
public final class HostKeyPolicy {
  /** Strict checking against the default known_hosts. */
  public static final HostKeyPolicy STRICT = new HostKeyPolicy(null, false, null);

  private final Path knownHosts;
  private final boolean acceptNew;
  private final String pinnedFingerprint;

  private HostKeyPolicy(Path knownHosts, boolean acceptNew, String pinnedFingerprint) {
    if (acceptNew && pinnedFingerprint != null) {
      throw new IllegalStateException("acceptNewHostKeys and hostKeyFingerprint exclude each "
          + "other: a pinned key is never replaced by a new one");
    }
    this.knownHosts = knownHosts;
    this.acceptNew = acceptNew;
    this.pinnedFingerprint = pinnedFingerprint;
  }

  /** The same policy checking against {@code file}. */
  public HostKeyPolicy withKnownHosts(Path file) {
    return new HostKeyPolicy(Objects.requireNonNull(file, "knownHosts"), acceptNew,
        pinnedFingerprint);
  }

  /**
   * Trust on first use when {@code accept}: an unknown host is trusted and its key appended to
   * known_hosts (logged at INFO); a changed key is still refused.
   *
   * @throws IllegalStateException if a fingerprint is pinned
   */
  public HostKeyPolicy withAcceptNew(boolean accept) {
    return new HostKeyPolicy(knownHosts, accept, pinnedFingerprint);
  }

  /**
   * Accepts only the key with this {@code SHA256:…} fingerprint, as {@code ssh-keygen -lf}
   * prints it, whatever known_hosts says.
   *
   * @throws IllegalArgumentException if it is not of that form
   * @throws IllegalStateException if new keys are accepted
   */
  public HostKeyPolicy withPinnedFingerprint(String fingerprint) {
    Objects.requireNonNull(fingerprint, "fingerprint");
    if (!fingerprint.matches("SHA256:[A-Za-z0-9+/]{43}=?")) {
      throw new IllegalArgumentException("host key fingerprint '" + fingerprint
          + "' is not of the form SHA256:<43 base64 characters>, as `ssh-keygen -lf KEY` prints");
    }
    String f = fingerprint.endsWith("=") ? fingerprint.substring(0, fingerprint.length() - 1)
        : fingerprint;
    return new HostKeyPolicy(knownHosts, acceptNew, f);
  }

  /** The known_hosts file; empty: ssh config's {@code UserKnownHostsFile}, else the default. */
  public Optional<Path> knownHosts() {
    return Optional.ofNullable(knownHosts);
  }

  public boolean acceptNew() {
    return acceptNew;
  }

  public Optional<String> pinnedFingerprint() {
    return Optional.ofNullable(pinnedFingerprint);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostKeyPolicy p && Objects.equals(knownHosts, p.knownHosts)
        && acceptNew == p.acceptNew && Objects.equals(pinnedFingerprint, p.pinnedFingerprint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(knownHosts, acceptNew, pinnedFingerprint);
  }

  @Override
  public String toString() {
    return "HostKeyPolicy{knownHosts=" + (knownHosts != null ? knownHosts : "default")
        + ", acceptNew=" + acceptNew + ", pinned=" + pinnedFingerprint + "}";
  }
}
