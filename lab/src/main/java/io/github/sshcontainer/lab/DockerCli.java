package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Docker CLI the tests run. Debian's ({@code /usr/bin/docker} from docker.io) is the one a
 * user of this project has, so it is what tests use unless they compare versions; a machine may
 * also have another one on the PATH of whoever runs the build (this development machine has
 * 28.x in {@code /usr/local/bin}), and where behaviour differs by version, tests run each.
 *
 * @param path the executable
 * @param version what {@code docker --version} prints, e.g. {@code Docker version 20.10.24+dfsg1}
 */
public record DockerCli(Path path, String version) {
  /** System property carrying the build user's PATH (surefire replaces the tests' own). */
  public static final String USER_PATH_PROPERTY = "sshc.user.path";

  /**
   * Debian's CLI.
   *
   * @throws IllegalStateException naming the package to install when it is missing
   */
  public static DockerCli debian() {
    return of(Prerequisites.require("docker.io", "/usr/bin/docker"));
  }

  /**
   * Debian's CLI first, then every other distinct {@code docker} on the build user's PATH (by
   * real path).
   */
  public static List<DockerCli> onThisMachine() {
    Map<Path, Path> byRealPath = new LinkedHashMap<>();
    DockerCli debian = debian();
    byRealPath.put(realPath(debian.path()), debian.path());
    String path = System.getProperty(USER_PATH_PROPERTY, System.getenv("PATH"));
    for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "docker");
      if (Files.isExecutable(candidate)) {
        byRealPath.putIfAbsent(realPath(candidate), candidate);
      }
    }
    List<DockerCli> clis = new ArrayList<>();
    for (Path p : byRealPath.values()) {
      clis.add(p.equals(debian.path()) ? debian : of(p));
    }
    return clis;
  }

  private static DockerCli of(Path path) {
    String out = LabProcess.run(Duration.ofSeconds(30), List.of(path.toString(), "--version"));
    return new DockerCli(path, out.strip());
  }

  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  @Override
  public String toString() {
    return path + " (" + version + ")";
  }
}
