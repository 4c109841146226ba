package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.AuthConfigurations;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.core.SSLConfig;
import java.net.URI;

/**
 * A docker-java configuration made only of what we say: unlike DefaultDockerClientConfig it
 * never reads DOCKER_HOST, DOCKER_TLS_VERIFY, docker-java.properties, ~/.docker/config.json or
 * the current Docker context of the local machine. No API version: the daemon's own is used.
 */
public final class ExplicitDockerConfig implements DockerClientConfig {
  private final URI host;
  private final AuthConfig auth;

  public ExplicitDockerConfig(URI host, AuthConfig auth) {
    this.host = host;
    this.auth = auth;
  }

  @Override
  public URI getDockerHost() {
    return host;
  }

  @Override
  public RemoteApiVersion getApiVersion() {
    return RemoteApiVersion.unknown();
  }

  @Override
  public String getRegistryUsername() {
    return auth == null ? null : auth.getUsername();
  }

  @Override
  public String getRegistryPassword() {
    return auth == null ? null : auth.getPassword();
  }

  @Override
  public String getRegistryEmail() {
    return auth == null ? null : auth.getEmail();
  }

  @Override
  public String getRegistryUrl() {
    return auth == null ? null : auth.getRegistryAddress();
  }

  @Override
  public AuthConfig effectiveAuthConfig(String imageName) {
    return auth;
  }

  @Override
  public AuthConfigurations getAuthConfigurations() {
    AuthConfigurations all = new AuthConfigurations();
    if (auth != null) {
      all.addConfig(auth);
    }
    return all;
  }

  @Override
  public SSLConfig getSSLConfig() {
    return null;
  }
}
