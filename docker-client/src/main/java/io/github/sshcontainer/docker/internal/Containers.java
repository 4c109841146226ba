package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.RemoteDockerException.Reason;
import io.github.sshcontainer.docker.RemoteDockerException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creating, waiting for, stopping and removing the containers a {@link ContainerSpec} makes. */
public final class Containers {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.docker");

  private Containers() {}

  /** How the container's own process is attached. */
  public record Stdio(boolean stdin, boolean tty, int columns, int rows) {
    public static final Stdio NONE = new Stdio(false, false, 0, 0);
  }

  /**
   * Creates (does not start) a container from {@code spec} running {@code command} (null: the
   * image's CMD), labelled as ssh-container's and this JVM's.
   *
   * @throws RemoteDockerException IMAGE_NOT_FOUND, CONTAINER_FAILED
   */
  public static String create(DockerClient docker, ContainerSpec spec, List<String> command,
      Stdio stdio, String managedLabel, String ownerLabel) {
    // the Engine API passthrough first, so that every typed setting below wins over it
    ContainerSpec.Passthrough pass = spec.passthrough();
    CreateContainerCmd cmd = docker.createContainerCmd(spec.image());
    EngineSettings.apply(cmd, EngineSettings.copy("config", pass.config()),
        EngineSettings.copy("hostConfig", pass.hostConfig()),
        EngineSettings.copy("networkingConfig", pass.networkingConfig()));
    cmd.withImage(spec.image());
    Map<String, String> labels = new HashMap<>();
    if (cmd.getLabels() != null) {
      labels.putAll(cmd.getLabels());
    }
    labels.putAll(spec.labels());
    labels.put(managedLabel, "true");
    labels.put(ownerLabel, Orphans.ownerLabel());
    HostConfig host = cmd.getHostConfig() != null ? cmd.getHostConfig()
        : HostConfig.newHostConfig();
    spec.networkMode().ifPresent(host::withNetworkMode);
    if (spec.memoryBytes() > 0) {
      host.withMemory(spec.memoryBytes());
    }
    if (spec.cpus() > 0) {
      host.withNanoCPUs((long) (spec.cpus() * 1e9));
    }
    if (spec.pidsLimit() > 0) {
      host.withPidsLimit(spec.pidsLimit());
    }
    if (spec.readOnlyRootfs() || host.getReadonlyRootfs() == null) {
      host.withReadonlyRootfs(spec.readOnlyRootfs());
    }
    // never from the passthrough: privileged only when the typed setting asks
    host.withPrivileged(spec.privileged());
    if (!spec.capDrop().isEmpty()) {
      host.withCapDrop(capabilities(spec.capDrop()));
    }
    if (!spec.capAdd().isEmpty()) {
      host.withCapAdd(capabilities(spec.capAdd()));
    }
    if (!spec.binds().isEmpty()) {
      List<Bind> binds = new ArrayList<>();
      for (ContainerSpec.BindMount b : spec.binds()) {
        binds.add(Bind.parse(b.source() + ":" + b.target() + (b.readOnly() ? ":ro" : ":rw")));
      }
      host.withBinds(binds);
    }
    if (!spec.tmpfs().isEmpty()) {
      host.withTmpFs(spec.tmpfs());
    }
    if (stdio.tty() && stdio.columns() > 0) {
      // Docker 23+ (API 1.42) sizes the terminal at creation; older ones ignore it on Linux
      // and take the resize made right after start
      host.withConsoleSize(List.of(stdio.rows(), stdio.columns()));
    }
    List<String> env = new ArrayList<>();
    if (cmd.getEnv() != null) {
      for (String e : cmd.getEnv()) {
        if (!spec.env().containsKey(e.split("=", 2)[0])) {
          env.add(e);
        }
      }
    }
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    cmd.withLabels(labels).withHostConfig(host).withEnv(env);
    if (command != null) {
      cmd.withCmd(command);
    }
    spec.name().ifPresent(cmd::withName);
    spec.platform().ifPresent(cmd::withPlatform);
    spec.user().ifPresent(cmd::withUser);
    spec.workingDir().ifPresent(cmd::withWorkingDir);
    spec.hostname().ifPresent(cmd::withHostName);
    if (stdio.stdin() || stdio.tty()) {
      cmd.withTty(stdio.tty()).withAttachStdin(stdio.stdin()).withStdinOpen(stdio.stdin())
          .withStdInOnce(stdio.stdin()).withAttachStdout(true).withAttachStderr(true);
    }
    spec.customizer().accept(cmd);
    try {
      return cmd.exec().getId();
    } catch (NotFoundException e) {
      throw new RemoteDockerException(Reason.IMAGE_NOT_FOUND, "image " + spec.image()
          + " is not on the remote host: " + e.getMessage().trim(), e);
    } catch (ConflictException e) {
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "cannot create a container from "
          + spec.image() + spec.name().map(n -> " named " + n).orElse("") + ": "
          + e.getMessage().trim() + (spec.name().isPresent() ? " (the name is taken: choose "
              + "another or leave it unset)" : ""), e);
    } catch (RemoteDockerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RemoteDockerException(Reason.CONTAINER_FAILED, "cannot create a container from "
          + spec.image() + ": " + e.getMessage(), e);
    }
  }

  /**
   * As {@link #create}, with the image ensured per the spec's pull policy in as few round trips
   * as it allows: under ALWAYS, and IF_NOT_PRESENT with a floating tag, the pull comes first
   * ({@link ImagePuller#ensure}); otherwise the create is tried first and only a create that
   * finds no image pulls (IF_NOT_PRESENT) or fails with NEVER's advice, then creates again.
   */
  public static String createEnsuringImage(DockerClient docker, ContainerSpec spec,
      List<String> command, Stdio stdio, String managedLabel, String ownerLabel) {
    if (ImagePuller.pullsFirst(spec)) {
      ImagePuller.ensure(docker, spec);
      return create(docker, spec, command, stdio, managedLabel, ownerLabel);
    }
    try {
      return create(docker, spec, command, stdio, managedLabel, ownerLabel);
    } catch (RemoteDockerException e) {
      if (e.reason() != Reason.IMAGE_NOT_FOUND) {
        throw e;
      }
      ImagePuller.ensure(docker, spec); // pulls, or says what NEVER needs
      return create(docker, spec, command, stdio, managedLabel, ownerLabel);
    }
  }

  private static Capability[] capabilities(List<String> names) {
    Capability[] caps = new Capability[names.size()];
    for (int i = 0; i < caps.length; i++) {
      caps[i] = Capability.valueOf(names.get(i));
    }
    return caps;
  }

  /**
   * Waits until the container runs, or has already exited when {@code exitOk}.
   *
   * @return true if it runs, false if it has exited (only with {@code exitOk})
   * @throws RemoteDockerException CONTAINER_FAILED (exited at once), TIMED_OUT
   */
  public static boolean awaitRunning(DockerClient docker, String id, ContainerSpec spec,
      boolean exitOk) {
    long end = System.nanoTime() + spec.startTimeout().toNanos();
    long pause = 1;
    while (true) {
      InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec()
          .getState();
      if (Boolean.TRUE.equals(state.getRunning())) {
        return true;
      }
      if (state.getFinishedAt() != null && !state.getFinishedAt().startsWith("0001")) {
        if (exitOk) {
          return false;
        }
        throw new RemoteDockerException(Reason.CONTAINER_FAILED, "container from "
            + spec.image() + " exited at once with code " + state.getExitCodeLong()
            + (state.getError() == null || state.getError().isEmpty() ? ""
                : ": " + state.getError()) + "; check that the idle command exists in the "
            + "image");
      }
      if (System.nanoTime() > end) {
        throw new RemoteDockerException(Reason.TIMED_OUT, "container from " + spec.image()
            + " was not running within " + spec.startTimeout().toMillis() + " ms");
      }
      ExecExits.pause(pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  /**
   * Stops the container as {@code docker stop} does (its stop signal, TERM by default; KILL
   * after {@code timeout}), then removes it with its anonymous volumes. Never throws.
   */
  public static void stopAndRemove(DockerClient docker, String id, Duration timeout) {
    try {
      docker.stopContainerCmd(id).withTimeout((int) Math.max(1,
          (timeout.toMillis() + 999) / 1000)).exec();
    } catch (NotFoundException gone) {
      return;
    } catch (NotModifiedException | ConflictException notRunning) {
      // already stopped
    } catch (RuntimeException e) {
      log.debug("stopping container {}: {}", LiveExec.shortId(id), e.getMessage());
    }
    remove(docker, id);
  }

  /** Removes the container (forcibly, with its anonymous volumes); never throws. */
  public static void remove(DockerClient docker, String id) {
    try {
      docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
    } catch (NotFoundException gone) {
      // already removed
    } catch (ConflictException inProgress) {
      // "removal already in progress": someone else removes it
    } catch (RuntimeException e) {
      log.warn("cannot remove container {}: {}", LiveExec.shortId(id), e.getMessage());
    }
  }
}
