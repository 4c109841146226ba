package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.tunnel.RemoteCommandResult;
import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
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
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SocketTunnel tunnel;
  private final String dir;
  private final RemoteReaper reaper;

  private FifoDir(SocketTunnel tunnel, String dir, RemoteReaper reaper) {
    this.tunnel = tunnel;
    this.dir = dir;
    this.reaper = reaper;
  }

  /**
   * Makes {@code baseDir/sshc-io-<random>} with one FIFO per name. Should this client die
   * before {@link #close()}, the remote host runs {@code alsoOnCrash} (a shell command; empty
   * for none) and then removes the directory.
   */
  static FifoDir make(SocketTunnel tunnel, String baseDir, List<String> fifos,
      String alsoOnCrash) {
    // named here, not by mktemp, so that a command which times out after making it can still
    // be cleaned up; mkdir fails if the name exists, and nobody can guess it
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    String dir = baseDir + "/sshc-io-" + HexFormat.of().formatHex(random);
    String q = SocketCommand.quote(dir);
    StringBuilder make = new StringBuilder("umask 077 && mkdir -- " + q + " || exit 3; mkfifo --");
    fifos.forEach(f -> make.append(' ').append(SocketCommand.quote(dir + "/" + f)));
    make.append(" || { rm -rf -- ").append(q).append("; exit 4; }");
    RemoteCommandResult made;
    try {
      made = tunnel.run(make.toString(), DEADLINE, 0);
    } catch (RuntimeException e) {
      throw removing(tunnel, dir, e); // it may have made the directory
    }
    if (made.exitStatus() != 0) { // and it removed what it made
      throw new ContainerdException(ContainerdException.Reason.FAILED, "cannot make the task's"
          + " FIFOs in " + dir + " on " + tunnel.remote() + " (exit " + made.exitStatus()
          + "): " + made.stderr().trim() + "; is " + baseDir + " writable by the SSH user?");
    }
    String onCrash = alsoOnCrash.isEmpty() ? release(dir) : alsoOnCrash + "; " + release(dir);
    try {
      return new FifoDir(tunnel, dir, RemoteReaper.start(tunnel, onCrash));
    } catch (RuntimeException e) {
      throw removing(tunnel, dir, e);
    }
  }

  /** {@code failure}, once the directory is removed (or with why it could not be). */
  private static RuntimeException removing(SocketTunnel tunnel, String dir,
      RuntimeException failure) {
    try {
      tunnel.run(release(dir), DEADLINE, 0);
    } catch (RuntimeException notRemoved) {
      failure.addSuppressed(notRemoved);
    }
    return failure;
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
