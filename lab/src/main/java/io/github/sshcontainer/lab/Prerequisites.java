package io.github.sshcontainer.lab;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the real programs the lab runs, failing with the exact command that installs them. */
public final class Prerequisites {
  private Prerequisites() {}

  /**
   * The PATH the lab gives sshd's sessions, as surefire gives it to the tests: Debian's own
   * directories and nothing under {@code /usr/local}, so that a program a development machine
   * happens to have there (a newer docker CLI) is never what a test runs by accident.
   */
  public static final String DEBIAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

  /**
   * How to install everything the lab, the tests and the scripts run: {@code
   * scripts/install-deps.sh} holds the one list (path and Debian package of each program), and
   * InstallDepsTest keeps it complete.
   */
  public static final String INSTALL_ALL = "scripts/install-deps.sh (as root)";

  /**
   * Returns the first existing executable among {@code candidates}.
   *
   * @throws IllegalStateException naming the Debian package and the install command
   */
  public static Path require(String debianPackage, String... candidates) {
    for (String candidate : candidates) {
      Path path = Path.of(candidate);
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    throw new IllegalStateException(
        "The lab needs " + String.join(" or ", candidates) + " (Debian package '" + debianPackage
            + "'), which is not installed. Install it with: sudo apt-get update && sudo "
            + "apt-get install -y " + debianPackage + "   (or run " + INSTALL_ALL + ", which "
            + "installs every package the lab needs)");
  }
}
