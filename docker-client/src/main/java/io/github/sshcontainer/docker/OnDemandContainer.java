package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import io.github.sshcontainer.registry.CredentialsException;
import io.github.sshcontainer.registry.DockerCredentials;
import io.github.sshcontainer.registry.RegistryAuth;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container launched on demand on the remote host and removed when closed: per-connection mode
 * ({@link #launch}: an idle container to run any number of commands in) and per-command mode
 * ({@link #runOnce}: the image's command in a fresh container). Each carries labels naming its
 * owner (this host and JVM), so that {@link #removeOrphans} can remove what a program that died
 * without closing left behind.
 */
public final class OnDemandContainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OnDemandContainer.class);
  /** Prefix of the labels ssh-container sets. */
  public static final String LABEL_PREFIX = "io.github.sshcontainer.";
  /** Marks containers that ssh-container launched. */
  public static final String MANAGED_LABEL = LABEL_PREFIX + "managed";
  /** {@code host:pid:start-epoch-millis} of the JVM that launched the container. */
  public static final String OWNER_LABEL = LABEL_PREFIX + "owner";

  private final DockerClient docker;
  private final String id;
  private final String image;
  private final AtomicBoolean closed = new AtomicBoolean();

  private OnDemandContainer(DockerClient docker, String id, String image) {
    this.docker = docker;
    this.id = id;
    this.image = image;
  }

  /**
   * Ensures the image (per the pull policy), creates and starts a container running the idle
   * command, and waits until it runs.
   *
   * @throws RemoteDockerException IMAGE_NOT_FOUND, PULL_FAILED, CONTAINER_FAILED or TIMED_OUT;
   *     a container that was created is removed again then
   */
  public static OnDemandContainer launch(DockerClient docker, ContainerSpec spec) {
    ensureImage(docker, spec);
    String id = create(docker, spec, spec.idleCommand());
    OnDemandContainer c = new OnDemandContainer(docker, id, spec.image());
    try {
      docker.startContainerCmd(id).exec();
      awaitRunning(docker, id, spec);
      log.debug("on-demand container {} from {} is running", shortId(id), spec.image());
      return c;
    } catch (RuntimeException e) {
      c.close();
      if (e instanceof RemoteDockerException) {
        throw e;
      }
      throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
          "container from " + spec.image() + " did not start: " + e.getMessage(), e);
    }
  }

  /**
   * Per-command mode: runs the spec's command (or the image's CMD) in a fresh container,
   * streams its output, waits for it to exit, removes the container and returns the exit code.
   */
  public static int runOnce(DockerClient docker, ContainerSpec spec, OutputStream stdout,
      OutputStream stderr) {
    ensureImage(docker, spec);
    String id = create(docker, spec, spec.command().orElse(null));
    try {
      ResultCallback.Adapter<Frame> logs = new ResultCallback.Adapter<>() {
        @Override
        public void onNext(Frame f) {
          try {
            OutputStream target = f.getStreamType()
                == com.github.dockerjava.api.model.StreamType.STDERR ? stderr : stdout;
            target.write(f.getPayload());
            target.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
      docker.startContainerCmd(id).exec();
      docker.logContainerCmd(id).withFollowStream(true).withStdOut(true).withStdErr(true)
          .exec(logs);
      try {
        int code = docker.waitContainerCmd(id).exec(new WaitContainerResultCallback())
            .awaitStatusCode(spec.pullTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (!logs.awaitCompletion(30, TimeUnit.SECONDS)) {
          log.warn("logs of container {} did not end 30 s after it exited", shortId(id));
        }
        return code;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT,
            "interrupted waiting for container " + shortId(id), e);
      } catch (com.github.dockerjava.api.exception.DockerClientException e) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "container "
            + shortId(id) + " from " + spec.image() + " did not exit in time: "
            + e.getMessage(), e);
      } finally {
        DockerExec.closeQuietly(logs);
      }
    } finally {
      remove(docker, id);
    }
  }

  /** Runs a command in this container. */
  public ExecResult exec(ExecSpec spec) {
    if (closed.get()) {
      throw new IllegalStateException("container " + shortId(id) + " was closed");
    }
    return DockerExec.run(docker, id, spec);
  }

  public String id() {
    return id;
  }

  public String image() {
    return image;
  }

  /** Removes the container (forcibly, with its anonymous volumes). Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      remove(docker, id);
    }
  }

  /**
   * Removes containers launched by JVMs on this host that are no longer running (crashed or
   * killed before they could close them).
   *
   * @return the ids removed
   */
  public static List<String> removeOrphans(DockerClient docker) {
    List<String> removed = new ArrayList<>();
    String me = hostName();
    List<Container> managed = docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(MANAGED_LABEL, "true")).exec();
    for (Container c : managed) {
      String owner = c.getLabels() == null ? null : c.getLabels().get(OWNER_LABEL);
      if (owner == null) {
        continue;
      }
      String[] parts = owner.split(":");
      if (parts.length != 3 || !parts[0].equals(me) || ownerAlive(parts)) {
        continue;
      }
      remove(docker, c.getId());
      removed.add(c.getId());
      log.info("removed orphaned container {} (owner {} is gone)", shortId(c.getId()), owner);
    }
    return removed;
  }

  private static boolean ownerAlive(String[] owner) {
    try {
      long pid = Long.parseLong(owner[1]);
      long started = Long.parseLong(owner[2]);
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      return p.isPresent() && p.get().info().startInstant()
          .map(i -> Math.abs(i.toEpochMilli() - started) < 2000).orElse(true);
    } catch (NumberFormatException e) {
      return true; // not ours to judge
    }
  }

  static String ownerLabel() {
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return hostName() + ":" + self.pid() + ":" + started;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replace(':', '_');
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  private static void ensureImage(DockerClient docker, ContainerSpec spec) {
    boolean present = isPresent(docker, spec.image());
    switch (spec.pullPolicy()) {
      case NEVER -> {
        if (!present) {
          throw new RemoteDockerException(RemoteDockerException.Reason.IMAGE_NOT_FOUND,
              "image " + spec.image() + " is not on the remote host and the pull policy is "
                  + "NEVER: load it there first (docker load / docker pull), or use "
                  + "IF_NOT_PRESENT");
        }
      }
      case IF_NOT_PRESENT -> {
        if (!present) {
          pull(docker, spec);
        }
      }
      case ALWAYS -> pull(docker, spec);
      default -> throw new IllegalStateException(spec.pullPolicy().name());
    }
  }

  private static boolean isPresent(DockerClient docker, String image) {
    try {
      docker.inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  private static void pull(DockerClient docker, ContainerSpec spec) {
    java.util.concurrent.atomic.AtomicReference<String> streamError =
        new java.util.concurrent.atomic.AtomicReference<>();
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
      throw new RemoteDockerException(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED,
          e.getMessage(), e);
    }
    try {
      var pull = docker.pullImageCmd(spec.image());
      if (auth != null) {
        AuthConfig config = new AuthConfig()
            .withRegistryAddress(DockerCredentials.registryOf(spec.image()));
        if (auth.isIdentityToken()) {
          config.withIdentityToken(auth.secret());
        } else {
          config.withUsername(auth.username().orElseThrow()).withPassword(auth.secret());
        }
        pull.withAuthConfig(config);
      }
      pull.exec(progress);
      if (!progress.awaitCompletion(spec.pullTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "pulling "
            + spec.image() + " took longer than " + spec.pullTimeout().toMillis() + " ms");
      }
      if (streamError.get() != null) {
        throw new IllegalStateException(streamError.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteDockerException(RemoteDockerException.Reason.PULL_FAILED,
          "interrupted pulling " + spec.image(), e);
    } catch (RemoteDockerException e) {
      throw e;
    } catch (RuntimeException e) {
      if (refusedCredentials(e)) {
        String registry = DockerCredentials.registryOf(spec.image());
        throw new RemoteDockerException(RemoteDockerException.Reason.REGISTRY_AUTH_FAILED,
            "the registry " + registry + " refused to serve " + spec.image() + " "
                + (auth == null ? "without credentials (none given, none found in "
                    + spec.credentials().configFile().map(Object::toString).orElse("no config")
                    + "): log in with `docker login " + registry + "` or give "
                    + "ContainerSpec.registryAuth(...)"
                    : "with the credentials " + auth.username().map(u -> "of user " + u + " ")
                        .orElse("") + "(" + auth.source() + "): check the user name and "
                        + "password, or log in again with `docker login " + registry + "`")
                + "; the registry said: " + e.getMessage(), e);
      }
      String registry = DockerCredentials.registryOf(spec.image());
      if (String.valueOf(e.getMessage()).contains("HTTP response to HTTPS client")) {
        throw new RemoteDockerException(RemoteDockerException.Reason.PULL_FAILED, "pulling "
            + spec.image() + " on the remote host failed: the daemon speaks HTTPS to "
            + registry + ", which answers plain HTTP. On the remote host, allow it: Podman, "
            + "[[registry]] location=\"" + registry + "\" insecure=true in "
            + "/etc/containers/registries.conf; Docker, \"insecure-registries\": [\""
            + registry + "\"] in /etc/docker/daemon.json (the daemon said: " + e.getMessage()
            + ")", e);
      }
      throw new RemoteDockerException(RemoteDockerException.Reason.PULL_FAILED, "pulling "
          + spec.image() + " on the remote host failed: " + e.getMessage()
          + " (is a registry reachable from there? With no registry, load the image with "
          + "docker load and use pull policy NEVER or IF_NOT_PRESENT)", e);
    } finally {
      DockerExec.closeQuietly(progress);
    }
    if (!isPresent(docker, spec.image())) {
      throw new RemoteDockerException(RemoteDockerException.Reason.PULL_FAILED, "pull of "
          + spec.image() + " ended but the image is not on the remote host");
    }
  }

  /** Docker and Podman word a refusal by the registry thus; the HTTP status is lost. */
  private static boolean refusedCredentials(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (m.contains("unauthorized") || m.contains("authentication required")
          || m.contains("no basic auth credentials") || m.contains("denied")) {
        return true;
      }
    }
    return false;
  }

  private static String create(DockerClient docker, ContainerSpec spec, List<String> command) {
    Map<String, String> labels = new HashMap<>(spec.labels());
    labels.put(MANAGED_LABEL, "true");
    labels.put(OWNER_LABEL, ownerLabel());
    HostConfig host = HostConfig.newHostConfig();
    spec.networkMode().ifPresent(host::withNetworkMode);
    if (spec.memoryBytes() > 0) {
      host.withMemory(spec.memoryBytes());
    }
    if (spec.cpus() > 0) {
      host.withNanoCPUs((long) (spec.cpus() * 1e9));
    }
    List<String> env = new ArrayList<>();
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    CreateContainerCmd cmd = docker.createContainerCmd(spec.image()).withLabels(labels)
        .withHostConfig(host).withEnv(env);
    if (command != null) {
      cmd.withCmd(command);
    }
    try {
      return cmd.exec().getId();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(RemoteDockerException.Reason.IMAGE_NOT_FOUND, "image "
          + spec.image() + " is not on the remote host: " + e.getMessage().trim(), e);
    } catch (RemoteDockerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
          "cannot create a container from " + spec.image() + ": " + e.getMessage(), e);
    }
  }

  private static void awaitRunning(DockerClient docker, String id, ContainerSpec spec) {
    long end = System.nanoTime() + spec.startTimeout().toNanos();
    while (true) {
      var state = docker.inspectContainerCmd(id).exec().getState();
      if (Boolean.TRUE.equals(state.getRunning())) {
        return;
      }
      if (state.getFinishedAt() != null && !state.getFinishedAt().startsWith("0001")) {
        throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
            "container from " + spec.image() + " exited at once with code "
                + state.getExitCodeLong() + (state.getError() == null || state.getError()
                    .isEmpty() ? "" : ": " + state.getError())
                + "; check that the idle command exists in the image");
      }
      if (System.nanoTime() > end) {
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "container from "
            + spec.image() + " was not running within " + spec.startTimeout().toMillis() + " ms");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "interrupted", e);
      }
    }
  }

  private static void remove(DockerClient docker, String id) {
    try {
      docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException gone) {
      // already removed
    } catch (RuntimeException e) {
      log.warn("cannot remove container {}: {}", shortId(id), e.getMessage());
    }
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}
