package io.github.sshcontainer.tunnel.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tunnels not yet closed, so that one JVM shutdown hook can close what a program that never
 * called {@code close()} leaves behind: the socket file, its directory, the SSH session.
 */
final class OpenTunnels {
  private static final Set<Forwarder> OPEN = ConcurrentHashMap.newKeySet();
  private static volatile boolean hookInstalled;

  private OpenTunnels() {}

  static void add(Forwarder f) {
    installHook();
    OPEN.add(f);
  }

  static void remove(Forwarder f) {
    OPEN.remove(f);
  }

  private static void installHook() {
    if (hookInstalled) {
      return;
    }
    synchronized (OpenTunnels.class) {
      if (!hookInstalled) {
        Thread hook = new Thread(() -> {
          for (Forwarder f : OPEN) {
            f.close();
          }
        }, TunnelThreads.PREFIX + "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        hookInstalled = true;
      }
    }
  }
}
