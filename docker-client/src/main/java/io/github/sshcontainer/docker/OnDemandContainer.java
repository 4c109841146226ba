package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.internal.Containers;
import io.github.sshcontainer.docker.internal.LiveContainer;
import io.github.sshcontainer.docker.internal.LiveExec;
import io.github.sshcontainer.docker.internal.Orphans;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers launched on demand on the remote host, removed when done, in the modes
 * ContainerSSH has:
 *
 * <ul>
 *   <li>per connection ({@link #launch}): a container running the idle command, to run any
 *       number of commands in ({@link #exec}, {@link #start(ExecSpec)}); {@link #close()} stops
 *       it (TERM, then KILL after the stop timeout) and removes it;
 *   <li>per session ({@link #start(DockerClient, ContainerSpec)}): the container's own process
 *       is the session, with stdin, a TTY, signals and its exit status;
 *   <li>per command ({@link #runOnce}): the command to its end, output streamed.
 * </ul>
 *
 * Each container carries labels naming its owner (this host and JVM), so that {@link
 * #removeOrphans} can remove what a program that died without closing left behind.
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
  private final ContainerSpec spec;
  private final AtomicBoolean closed = new AtomicBoolean();

  private OnDemandContainer(DockerClient docker, String id, ContainerSpec spec) {
    this.docker = docker;
    this.id = id;
    this.spec = spec;
  }

  /**
   * Per-connection mode: creates and starts a container running the idle command, with the
   * image ensured per the pull policy. Docker's start answers once the idle command runs, so
   * nothing polls here; an idle command that exits at once is found by the first {@link
   * #exec} (CONTAINER_FAILED: not running). Under pull policy NEVER, and IF_NOT_PRESENT with a
   * pinned tag or digest, the image is not looked up first: the create finds it, and only a
   * create that finds none pulls (IF_NOT_PRESENT) or says what to do (NEVER). Three round
   * trips to the daemon fewer than ensure, create, start, wait.
   *
   * @throws RemoteDockerException IMAGE_NOT_FOUND, PULL_FAILED, REGISTRY_AUTH_FAILED,
   *     CONTAINER_FAILED or TIMED_OUT; a container that was created is removed again then
   */
  public static OnDemandContainer launch(DockerClient docker, ContainerSpec spec) {
    String id = Containers.createEnsuringImage(docker, spec, spec.idleCommand(),
        Containers.Stdio.NONE, MANAGED_LABEL, OWNER_LABEL);
    OnDemandContainer c = new OnDemandContainer(docker, id, spec);
    try {
      docker.startContainerCmd(id).exec();
      log.debug("on-demand container {} from {} is running", shortId(id), spec.image());
      return c;
    } catch (RuntimeException e) {
      Containers.remove(docker, id);
      c.closed.set(true);
      if (e instanceof RemoteDockerException) {
        throw e;
      }
      throw new RemoteDockerException(RemoteDockerException.Reason.CONTAINER_FAILED,
          "container from " + spec.image() + " did not start: " + e.getMessage().trim()
          + " (check that the idle command exists in the image)", e);
    }
  }

  /**
   * Takes charge of a container that already exists (one this library launched, found again
   * by its labels, for instance after a restart): {@link #exec}, {@link #start(ExecSpec)},
   * {@link #close()} and {@link #remove()} work on it as on one {@link #launch} made. Nothing
   * is asked of the daemon here.
   */
  public static OnDemandContainer adopt(DockerClient docker, String id, ContainerSpec spec) {
    return new OnDemandContainer(Objects.requireNonNull(docker, "docker"),
        Objects.requireNonNull(id, "id"), Objects.requireNonNull(spec, "spec"));
  }

  /**
   * Per-session mode: a fresh container whose own process (the spec's command, or the image's
   * CMD) is the returned session, with stdin open and the spec's TTY; attached before it starts,
   * so no output is lost. The exit wait has no limit; the container is removed once the process
   * has ended and its output is delivered, or on {@code close()} (which stops it first). The
   * caller owns the session.
   *
   * @throws RemoteDockerException IMAGE_NOT_FOUND, PULL_FAILED, REGISTRY_AUTH_FAILED,
   *     CONTAINER_FAILED or TIMED_OUT (start timeout); nothing is left behind then
   */
  public static ExecSession start(DockerClient docker, ContainerSpec spec) {
    return LiveContainer.start(docker, spec, new Containers.Stdio(true, spec.tty(),
        spec.columns(), spec.rows()), null, null, null, MANAGED_LABEL, OWNER_LABEL);
  }

  /**
   * As {@link #start(DockerClient, ContainerSpec)}, with the process's stdio joined to the
   * given streams (used, not closed): {@code stdin}'s end is the process's end of input, and
   * output is written as it comes; the session's own streams are then empty. The exit is
   * reported once everything was written.
   */
  public static ExecSession start(DockerClient docker, ContainerSpec spec, InputStream stdin,
      OutputStream stdout, OutputStream stderr) {
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    return LiveContainer.start(docker, spec, new Containers.Stdio(true, spec.tty(),
        spec.columns(), spec.rows()), stdin, stdout, stderr, MANAGED_LABEL, OWNER_LABEL);
  }

  /**
   * Per-command mode: runs the spec's command (or the image's CMD) in a fresh container without
   * stdin, streams its output, waits for it to exit (at most the spec's exit timeout, if set),
   * removes the container and returns the exit code.
   *
   * @throws RemoteDockerException as {@link #start(DockerClient, ContainerSpec)}; TIMED_OUT
   *     past the exit timeout, and the container is stopped and removed then
   */
  public static int runOnce(DockerClient docker, ContainerSpec spec, OutputStream stdout,
      OutputStream stderr) {
    try (LiveContainer session = LiveContainer.start(docker, spec, new Containers.Stdio(false,
        spec.tty(), spec.columns(), spec.rows()), null, stdout, stderr, MANAGED_LABEL,
        OWNER_LABEL)) {
      return session.awaitExit(spec.exitTimeout().orElse(FOREVER)).code();
    }
  }

  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

  /**
   * Looks into an image without running it: ensures the image (per the pull policy), creates
   * but does not start a container of {@code spec}, hands its id to {@code read} (which reads
   * files through the daemon's archive API, docker-java's {@code copyArchiveFromContainerCmd}),
   * and removes the container whatever {@code read} did. The container carries the owner
   * labels, so a JVM killed meanwhile leaves nothing that {@link #removeOrphans} misses. A spec
   * with a name gives the container that name: leave it unset.
   *
   * @return what {@code read} returned
   * @throws RemoteDockerException IMAGE_NOT_FOUND, PULL_FAILED, REGISTRY_AUTH_FAILED,
   *     CONTAINER_FAILED; what {@code read} throws passes through
   */
  public static <T> T withCreated(DockerClient docker, ContainerSpec spec,
      Function<String, T> read) {
    Objects.requireNonNull(read, "read");
    String id = Containers.createEnsuringImage(docker, spec, spec.idleCommand(),
        Containers.Stdio.NONE, MANAGED_LABEL, OWNER_LABEL);
    try {
      return read.apply(id);
    } finally {
      Containers.remove(docker, id);
    }
  }

  /** Runs a command in this container to its end (see {@link DockerExec#run}). */
  public ExecResult exec(ExecSpec spec) {
    requireOpen();
    return DockerExec.run(docker, id, spec);
  }

  /** Starts a live command in this container (see {@link DockerExec#start}). */
  public ExecSession start(ExecSpec spec) {
    requireOpen();
    return LiveExec.start(docker, id, spec, true);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("container " + shortId(id) + " was closed");
    }
  }

  public String id() {
    return id;
  }

  /**
   * Whether the container runs now, asked of the daemon (one inspect): false when it has
   * stopped or is gone.
   *
   * @throws RuntimeException what docker-java throws when the daemon cannot be asked
   */
  public boolean running() {
    try {
      var state = docker.inspectContainerCmd(id).exec().getState();
      return state != null && Boolean.TRUE.equals(state.getRunning());
    } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
      return false;
    }
  }

  public String image() {
    return spec.image();
  }

  /**
   * Stops the container (TERM to the idle command; KILL after the spec's stop timeout) and
   * removes it with its anonymous volumes. Idempotent; never throws.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      Containers.stopAndRemove(docker, id, spec.stopTimeout());
    }
  }

  /**
   * Removes the container at once, as {@code docker rm -f} does: its processes get KILL, with
   * no stop timeout to wait out, and its anonymous volumes go with it. For a container whose
   * work is over (its connection closed): one round trip to the daemon where {@link #close()}
   * takes two and waits for the idle command to end. Idempotent; never throws.
   */
  public void remove() {
    if (closed.compareAndSet(false, true)) {
      Containers.remove(docker, id);
    }
  }

  /**
   * Removes containers launched by JVMs on this host that are no longer running (crashed or
   * killed before they could close them).
   *
   * @return the ids removed
   */
  public static List<String> removeOrphans(DockerClient docker) {
    return Orphans.remove(docker, MANAGED_LABEL, OWNER_LABEL, Set.of());
  }

  /**
   * As {@link #removeOrphans(DockerClient)}, leaving the containers whose ids are in {@code
   * keep} (those a caller adopts).
   */
  public static List<String> removeOrphans(DockerClient docker, Set<String> keep) {
    return Orphans.remove(docker, MANAGED_LABEL, OWNER_LABEL, Set.copyOf(keep));
  }

  /**
   * Whether the owner label {@code owner} (a container's {@link #OWNER_LABEL}) names a program
   * of this host that no longer runs: its containers are orphans.
   */
  public static boolean ownerIsGone(String owner) {
    return Orphans.ownerGone(owner);
  }

  /** This JVM's {@link #OWNER_LABEL} value. */
  public static String owner() {
    return Orphans.ownerLabel();
  }

  static String ownerLabel() {
    return Orphans.ownerLabel();
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}
