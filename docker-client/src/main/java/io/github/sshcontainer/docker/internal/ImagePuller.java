package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import io.github.sshcontainer.registry.CredentialsException;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a container's image present per its pull policy, pulling on the remote host with the
 * registry credentials {@code docker pull} would use. Under {@code IF_NOT_PRESENT} a floating
 * name ({@code :latest} or no tag) is pulled even when a copy is present, as ContainerSSH does,
 * and the present copy is used, with one WARN, when no registry can be reached. An untagged
 * name is pulled as {@code :latest}, never as every tag of the repository.
 */
public final class ImagePuller {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.docker");

  private ImagePuller() {}

  /**
   * @throws RemoteDockerException IMAGE_NOT_FOUND (NEVER and absent), PULL_FAILED,
   *     REGISTRY_AUTH_FAILED, TIMED_OUT
   */
  public static void ensure(DockerClient docker, ContainerSpec spec) {
    boolean present = isPresent(docker, spec.image());
    ImageReference ref = ImageReference.parse(spec.image());
    switch (spec.pullPolicy()) {
      case NEVER -> {
        if (!present) {
          throw new RemoteDockerException(Reason.IMAGE_NOT_FOUND, "image " + spec.image()
              + " is not on the remote host and the pull policy is NEVER: load it there "
              + "first (docker load / docker pull), or use IF_NOT_PRESENT");
        }
      }
      case IF_NOT_PRESENT -> {
        if (!present) {
          pull(docker, spec, ref);
        } else if (ref.floating()) {
          try {
            pull(docker, spec, ref);
          } catch (RemoteDockerException e) {
            if (e.reason() != Reason.PULL_FAILED) {
              throw e;
            }
            log.warn("pulling {} failed, so the copy on the remote host is used: {}",
                spec.image(), e.getMessage());
          }
        }
      }
      case ALWAYS -> pull(docker, spec, ref);
      default -> throw new IllegalStateException(spec.pullPolicy().name());
    }
  }

  /**
   * Whether {@link #ensure} must run before a create: its pull policy pulls even when the
   * image is there (ALWAYS; IF_NOT_PRESENT with a floating tag). For the others a create that
   * finds the image needs nothing more.
   */
  public static boolean pullsFirst(ContainerSpec spec) {
    return switch (spec.pullPolicy()) {
      case ALWAYS -> true;
      case IF_NOT_PRESENT -> ImageReference.parse(spec.image()).floating();
      default -> false;
    };
  }

  /** True if the remote host has {@code image}. */
  public static boolean isPresent(DockerClient docker, String image) {
    try {
      docker.inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  private static void pull(DockerClient docker, ContainerSpec spec, ImageReference ref) {
    AtomicReference<String> streamError = new AtomicReference<>();
    ResultCallback.Adapter<PullResponseItem> progress = new ResultCallback.Adapter<>() {
      @Override
      public void onNext(PullResponseItem item) {
        if (item.getErrorDetail() != null || item.getError() != null) {
          // the HTTP status was 200 already: Podman reports even a refused login this way,
          // Docker a registry that fails midway
          String message = item.getErrorDetail() != null
              && item.getErrorDetail().getMessage() != null
              ? item.getErrorDetail().getMessage() : item.getError();
          streamError.compareAndSet(null, String.valueOf(message));
          return;
        }
        long current = 0;
        long total = 0;
        if (item.getProgressDetail() != null) {
          current = item.getProgressDetail().getCurrent() == null ? 0
              : item.getProgressDetail().getCurrent();
          total = item.getProgressDetail().getTotal() == null ? 0
              : item.getProgressDetail().getTotal();
        }
        spec.pullListener().accept(new ContainerSpec.PullProgress(
            item.getId() == null ? "" : item.getId(),
            item.getStatus() == null ? "" : item.getStatus(), current, total));
      }
    };
    RegistryAuth auth;
    try {
      auth = spec.registryAuth().or(() -> spec.credentials().forImage(spec.image()))
          .orElse(null);
    } catch (CredentialsException e) {
      throw new RemoteDockerException(Reason.REGISTRY_AUTH_FAILED, e.getMessage(), e);
    }
    String registry = DockerCredentials.registryOf(spec.image());
    try {
      var pull = docker.pullImageCmd(ref.repository())
          .withTag(ref.digest() != null ? ref.digest() : ref.pullTag());
      spec.platform().ifPresent(pull::withPlatform);
      if (auth != null) {
        AuthConfig config = new AuthConfig().withRegistryAddress(registry);
        if (auth.isIdentityToken()) {
          config.withIdentityToken(auth.secret());
        } else {
          config.withUsername(auth.username().orElseThrow()).withPassword(auth.secret());
        }
        pull.withAuthConfig(config);
      }
      pull.exec(progress);
      if (!progress.awaitCompletion(spec.pullTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "pulling " + spec.image()
            + " took longer than " + spec.pullTimeout().toMillis() + " ms");
      }
      if (streamError.get() != null) {
        throw new IllegalStateException(streamError.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(Reason.PULL_FAILED, "interrupted pulling "
          + spec.image(), e);
    } catch (RemoteDockerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw classify(spec, registry, auth, e);
    } finally {
      try {
        progress.close();
      } catch (IOException ignored) {
        // done with it
      }
    }
    if (!isPresent(docker, spec.image())) {
      throw new RemoteDockerException(Reason.PULL_FAILED, "pull of " + spec.image()
          + " ended but the image is not on the remote host");
    }
  }

  private static RemoteDockerException classify(ContainerSpec spec, String registry,
      RegistryAuth auth, RuntimeException e) {
    if (refusedCredentials(e)) {
      return new RemoteDockerException(Reason.REGISTRY_AUTH_FAILED, "the registry " + registry
          + " refused to serve " + spec.image() + " "
          + (auth == null ? "without credentials (none given, none found in "
              + spec.credentials().configFile().map(Object::toString).orElse("no config")
              + "): log in with `docker login " + registry + "` or give "
              + "ContainerSpec.registryAuth(...)"
              : "with the credentials " + auth.username().map(u -> "of user " + u + " ")
                  .orElse("") + "(" + auth.source() + "): check the user name and "
                  + "password, or log in again with `docker login " + registry + "`")
          + "; the registry said: " + e.getMessage(), e);
    }
    if (String.valueOf(e.getMessage()).contains("HTTP response to HTTPS client")) {
      return new RemoteDockerException(Reason.PULL_FAILED, "pulling " + spec.image()
          + " on the remote host failed: the daemon speaks HTTPS to " + registry
          + ", which answers plain HTTP. On the remote host, allow it: Podman, "
          + "[[registry]] location=\"" + registry + "\" insecure=true in "
          + "/etc/containers/registries.conf; Docker, \"insecure-registries\": [\""
          + registry + "\"] in /etc/docker/daemon.json (the daemon said: " + e.getMessage()
          + ")", e);
    }
    return new RemoteDockerException(Reason.PULL_FAILED, "pulling " + spec.image()
        + " on the remote host failed: " + e.getMessage()
        + " (is a registry reachable from there? With no registry, load the image with "
        + "docker load and use pull policy NEVER or IF_NOT_PRESENT with a fixed tag)", e);
  }

  /** Docker and Podman word a refusal by the registry thus; the HTTP status is lost. */
  private static boolean refusedCredentials(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("unauthorized") || m.contains("authentication required")
          || m.contains("no basic auth credentials") || m.contains("denied")) {
        return true;
      }
    }
    return false;
  }
}
