package io.github.sshcontainer.containerd;

import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How {@link ContainerdClient#pull} fetches an image: the platform to pick from a multi-platform
 * index, credentials (given, or found as {@code docker pull} finds them), plain HTTP, progress
 * and a deadline. Immutable.
 *
 * <p>The registry is reached from this machine (the client pulls, as containerd's Go client
 * does on 1.6, which has no Transfer service), and content is written to the remote containerd
 * over the tunnel.
 */
public final class PullOptions {
  /** Progress of a pull: the blob, bytes done and its size, and the layer count so far. */
  public record Progress(String digest, long done, long size, int layer, int layers) {}

  private final String platform;
  private final RegistryAuth auth;
  private final DockerCredentials credentials;
  private final Boolean plainHttp;
  private final Consumer<Progress> progress;
  private final Duration timeout;

  private PullOptions(Builder b) {
    platform = b.platform;
    auth = b.auth;
    credentials = b.credentials;
    plainHttp = b.plainHttp;
    progress = b.progress;
    timeout = b.timeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: the remote host's platform, no credentials, HTTPS except on loopback. */
  public static PullOptions defaults() {
    return builder().build();
  }

  /** {@code os/arch[/variant]}; empty: the remote host's, from {@code uname -m}. */
  public Optional<String> platform() {
    return Optional.ofNullable(platform);
  }

  /** Credentials given for the registry; empty: looked up in {@link #credentials()}. */
  public Optional<RegistryAuth> auth() {
    return Optional.ofNullable(auth);
  }

  /** Where credentials are looked up when none are given. */
  public DockerCredentials credentials() {
    return credentials;
  }

  /** Plain HTTP: empty means only for localhost and 127.0.0.0/8, as Docker does. */
  public Optional<Boolean> plainHttp() {
    return Optional.ofNullable(plainHttp);
  }

  public Consumer<Progress> progress() {
    return progress;
  }

  public Duration timeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return "PullOptions[platform=" + platform + ", auth=" + auth + ", plainHttp="
        + plainHttp + ", timeout=" + timeout + "]";
  }

  /** Builds {@link PullOptions}. */
  public static final class Builder {
    private String platform;
    private RegistryAuth auth;
    private DockerCredentials credentials = DockerCredentials.fromEnvironment();
    private Boolean plainHttp;
    private Consumer<Progress> progress = p -> { };
    private Duration timeout = Duration.ofMinutes(30);

    private Builder() {}

    public Builder platform(String platform) {
      this.platform = SpecChecks.platform(platform);
      return this;
    }

    /** Basic credentials, also used to get a bearer token where the registry asks for one. */
    public Builder basicAuth(String username, String password) {
      return auth(RegistryAuth.basic(username, password));
    }

    /** Credentials for the image's registry. Default: looked up in {@link #credentials}. */
    public Builder auth(RegistryAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /**
     * Where to look up credentials when none are given, as {@code docker pull} does. Default:
     * {@link DockerCredentials#fromEnvironment()}; {@link DockerCredentials#none()} pulls
     * anonymously.
     */
    public Builder credentials(DockerCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    public Builder plainHttp(boolean plain) {
      this.plainHttp = plain;
      return this;
    }

    public Builder progress(Consumer<Progress> listener) {
      this.progress = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = SpecChecks.positive("timeout", timeout);
      return this;
    }

    public PullOptions build() {
      return new PullOptions(this);
    }
  }
}
