package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.tunnel.RemoteCommandResult;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private directory (0700) on the daemon's host holding the FIFOs a task's shim opens for its
 * stdio. Closing it releases any reader or writer still blocked opening one of them (the task
 * never started) and removes the directory; if this client dies first, a {@link RemoteReaper}
 * does the same on the remote host.
 */
final class FifoDir implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FifoDir.class);
  static final Duration DEADLINE = Duration.ofSeconds(30);

  private final SocketTunnel tunnel;
  private final String dir;
  private final RemoteReaper reaper;

  private FifoDir(SocketTunnel tunnel, String dir, RemoteReaper reaper) {
    this.tunnel = tunnel;
    this.dir = dir;
    this.reaper = reaper;
  }

  /**
   * Makes {@code baseDir/sshc-io-XXXXXXXX} with one FIFO per name. Should this client die
   * before {@link #close()}, the remote host runs {@code alsoOnCrash} (a shell command; empty
   * for none) and then removes the directory.
   */
  static FifoDir make(SocketTunnel tunnel, String baseDir, List<String> fifos,
      String alsoOnCrash) {
    StringBuilder names = new StringBuilder();
    fifos.forEach(f -> names.append(" \"$d\"/").append(SocketCommand.quote(f)));
    RemoteCommandResult made = tunnel.run("umask 077 && d=$(mktemp -d "
        + SocketCommand.quote(baseDir) + "/sshc-io-XXXXXXXX) && mkfifo" + names
        + " && printf %s \"$d\"", DEADLINE, 4096);
    if (made.exitStatus() != 0 || made.stdoutText().isBlank()) {
      throw new ContainerdException(ContainerdException.Reason.FAILED, "cannot make the task's"
          + " FIFOs under " + baseDir + " on " + tunnel.remote() + " (exit " + made.exitStatus()
          + "): " + made.stderr().trim() + "; is the directory writable by the SSH user?");
    }
    String dir = made.stdoutText().trim();
    String onCrash = alsoOnCrash.isEmpty() ? release(dir) : alsoOnCrash + "; " + release(dir);
    try {
      return new FifoDir(tunnel, dir, RemoteReaper.start(tunnel, onCrash));
    } catch (RuntimeException e) {
      try {
        tunnel.run(release(dir), DEADLINE, 0);
      } catch (RuntimeException notRemoved) {
        e.addSuppressed(notRemoved);
      }
      throw e;
    }
  }

  /** The remote path of {@code name} in this directory. */
  String path(String name) {
    return dir + "/" + name;
  }

  /** The remote path of the directory. */
  String path() {
    return dir;
  }

  @Override
  public void close() {
    try {
      RemoteCommandResult r = tunnel.run(release(dir), DEADLINE, 0);
      if (r.exitStatus() != 0) {
        log.warn("removing {} on {} exited with {}: {}", dir, tunnel.remote(), r.exitStatus(),
            r.stderr().trim());
      }
    } catch (RuntimeException e) {
      log.warn("cannot remove the task's FIFOs {} on {}: {}", dir, tunnel.remote(),
          e.getMessage());
    }
    reaper.close();
  }

  /**
   * Opens each FIFO read-write for a moment, which lets an open of either end that waits for
   * the other one return (a {@code cat} joined to a FIFO the shim never opened), then removes
   * the directory.
   */
  private static String release(String dir) {
    String q = SocketCommand.quote(dir);
    return "for f in " + q + "/*; do [ -p \"$f\" ] && (exec 3<>\"$f\"); done; rm -rf -- " + q;
  }
}
