package io.github.sshcontainer.docker.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the program that launched a container ({@code host:pid:start-epoch-millis} in its owner
 * label), and removes the containers of programs on this host that are gone: killed or crashed
 * before they could close them.
 */
public final class Orphans {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.docker");

  private Orphans() {}

  /** This JVM's owner label value. */
  public static String ownerLabel() {
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return hostName() + ":" + self.pid() + ":" + started;
  }

  /**
   * Removes the containers labelled {@code managedLabel=true} whose {@code ownerLabel} names a
   * program of this host that no longer runs.
   *
   * @return the ids removed
   */
  public static List<String> remove(DockerClient docker, String managedLabel,
      String ownerLabel, Set<String> keep) {
    List<String> removed = new ArrayList<>();
    String me = hostName();
    List<Container> managed = docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(managedLabel, "true")).exec();
    for (Container c : managed) {
      String owner = c.getLabels() == null ? null : c.getLabels().get(ownerLabel);
      if (owner == null || keep.contains(c.getId())) {
        continue;
      }
      String[] parts = owner.split(":");
      if (parts.length != 3 || !parts[0].equals(me) || ownerAlive(parts)) {
        continue;
      }
      Containers.remove(docker, c.getId());
      removed.add(c.getId());
      log.info("removed orphaned container {} (owner {} is gone)", LiveExec.shortId(c.getId()),
          owner);
    }
    return removed;
  }

  /** Whether {@code owner} (an owner label's value) names a program of this host now gone. */
  public static boolean ownerGone(String owner) {
    String[] parts = owner == null ? new String[0] : owner.split(":");
    return parts.length == 3 && parts[0].equals(hostName()) && !ownerAlive(parts);
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

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replace(':', '_');
    } catch (IOException e) {
      return "unknown-host";
    }
  }
}
