package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "down", mixinStandardHelpOptions = true,
    description = {"Stop a tunnel 'up' started, and remove its socket, lock and state.",
        "Its Docker context is removed too, if 'up' created it."})
final class DownCommand implements Callable<Integer> {
  private static final long STOP_SECONDS = 15;

  @Parameters(index = "0", paramLabel = "NAME", description = "The name given to 'up'.")
  String name;

  @Override
  public Integer call() throws Exception {
    KeptTunnels.checkName(name);
    KeptTunnels kept = KeptTunnels.fromEnvironment();
    Optional<ObjectNode> state = kept.state(name);
    boolean wasRunning = kept.running(name);
    if (wasRunning) {
      long pid = state.map(s -> s.path("pid").asLong(-1)).orElse(-1L);
      Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
      if (process.isEmpty()) {
        throw new IllegalStateException(name + " is running but its state file "
            + kept.stateFile(name) + " does not say which process it is; stop the process "
            + "that holds " + kept.lockFile(name) + " (fuser " + kept.lockFile(name) + ")");
      }
      process.get().destroy(); // SIGTERM: the tunnel closes and removes its socket
      if (!waitUntilStopped(kept, process.get(), STOP_SECONDS)) {
        process.get().destroyForcibly();
        waitUntilStopped(kept, process.get(), 10);
      }
    }
    Files.deleteIfExists(kept.socket(name));
    Files.deleteIfExists(kept.lockFile(name));
    Files.deleteIfExists(kept.stateFile(name));
    boolean contextCreated = state.map(s -> s.path("contextCreated").asBoolean(false))
        .orElse(false);
    if (contextCreated) {
      kept.removeContext(name);
    }
    System.out.println(wasRunning ? name + " is down" + (contextCreated
        ? "; Docker context " + name + " removed" : "") : name + " was not up");
    return 0;
  }

  private static boolean waitUntilStopped(KeptTunnels kept, ProcessHandle p, long seconds)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (!p.isAlive()) {
        return true;
      }
      Thread.sleep(50);
    }
    return !p.isAlive();
  }
}
