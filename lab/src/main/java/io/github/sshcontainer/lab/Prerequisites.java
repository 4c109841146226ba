package io.github.sshcontainer.lab;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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

  /**
   * Returns Debian's {@code /usr/bin/python3} once it imports {@code module} (PATH may hold
   * another python, one without Debian's modules: tests run this one by its path).
   *
   * @throws IllegalStateException naming the Debian package and the install command
   */
  public static Path requirePythonModule(String module, String debianPackage) {
    Path python = require("python3", "/usr/bin/python3");
    boolean imports;
    try {
      Process p = new ProcessBuilder(python.toString(), "-c", "import " + module)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(python + " -c 'import " + module + "' did not end "
            + "within 30 s");
      }
      imports = p.exitValue() == 0;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + python + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted checking " + python + " for " + module, e);
    }
    if (!imports) {
      throw new IllegalStateException(
          "The lab needs the Python module '" + module + "' for " + python + " (Debian package '"
              + debianPackage + "'), which is not installed. Install it with: sudo apt-get "
              + "update && sudo apt-get install -y " + debianPackage + "   (or run "
              + INSTALL_ALL + ", which installs every package the lab needs)");
    }
    return python;
  }
}
