package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Unix users and groups the lab makes (as root), each named for this lab alone so that runs
 * side by side never share one, and removed when the lab stops.
 */
final class LabUsers {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private String unprivileged;
  private String created;
  private String dockerGroup;
  private String dockerGroupUser;

  /** The group that owns the lab dockerd's socket, as Debian's "docker" group; null if not root. */
  synchronized String dockerGroup() {
    if (dockerGroup == null && Sshd.isRoot()) {
      String group = String.format("sshc-g%08x", ThreadLocalRandom.current().nextInt());
      LabProcess.run(DEADLINE, List.of("groupadd", group));
      dockerGroup = group;
    }
    return dockerGroup;
  }

  synchronized String unprivileged() {
    if (unprivileged == null) {
      if (!Sshd.isRoot()) {
        throw new IllegalStateException("creating a second Unix user needs root");
      }
      String given = System.getProperty(Lab.USER_PROPERTY);
      String name;
      if (given != null) {
        name = given; // a parent test JVM's user: it made it, it removes it
      } else {
        name = String.format("sshc-%08x", ThreadLocalRandom.current().nextInt());
        LabProcess.run(DEADLINE, List.of("useradd", "--no-create-home", "--shell", "/bin/sh",
            name));
        created = name;
      }
      // useradd locks the password ("!"), and sshd refuses locked accounts even for keys;
      // "*" means no password without locking. A password set meanwhile is kept.
      String status = LabProcess.run(DEADLINE, List.of("passwd", "-S", name));
      if (status.split("\\s+").length > 1 && status.split("\\s+")[1].equals("L")) {
        LabProcess.run(DEADLINE, List.of("usermod", "-p", "*", name));
      }
      unprivileged = name;
    }
    return unprivileged;
  }

  /** A member of {@link #dockerGroup()}; the dockerd must exist (its group is made with it). */
  synchronized String dockerGroupUser() {
    if (dockerGroupUser == null) {
      String name = String.format("sshc-d%08x", ThreadLocalRandom.current().nextInt());
      LabProcess.run(DEADLINE, List.of("useradd", "--no-create-home", "--shell", "/bin/sh",
          "-G", dockerGroup(), name));
      dockerGroupUser = name;
      LabProcess.run(DEADLINE, List.of("usermod", "-p", "*", name));
    }
    return dockerGroupUser;
  }

  synchronized void setUnprivilegedPassword(String password) {
    String user = unprivileged();
    try {
      Path in = Files.createTempFile("sshc-pw", "");
      try {
        Files.writeString(in, user + ":" + password + "\n");
        LabProcess.run(DEADLINE, List.of("sh", "-c", "chpasswd < '" + in + "'"));
      } finally {
        Files.deleteIfExists(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes what this lab created; never throws. */
  void remove() {
    List<List<String>> removals = new ArrayList<>();
    synchronized (this) {
      for (String user : new String[] {created, dockerGroupUser}) {
        if (user != null) {
          removals.add(List.of("userdel", user));
        }
      }
      if (dockerGroup != null) {
        removals.add(List.of("groupdel", dockerGroup));
      }
    }
    for (List<String> removal : removals) {
      try {
        LabProcess.run(DEADLINE, removal);
      } catch (RuntimeException e) {
        System.err.println("lab: cannot " + removal + ": " + e.getMessage());
      }
    }
  }
}
