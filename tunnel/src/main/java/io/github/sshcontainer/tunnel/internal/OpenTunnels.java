package io.github.sshcontainer.tunnel.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tunnels not yet closed, so that one JVM shutdown hook can close what a program that never
 * called {@code close()} leaves behind: the socket file, its directory, the SSH session.
 */
final class OpenTunnels {
  private static final Set<AutoCloseable> OPEN = ConcurrentHashMap.newKeySet();
  private static volatile boolean hookInstalled;

  private OpenTunnels() {}

  static void add(AutoCloseable f) {
    installHook();
    OPEN.add(f);
  }

  static void remove(AutoCloseable f) {
    OPEN.remove(f);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // the JVM is exiting; the next tunnel sweeps what is left
    }
  }

  private static void installHook() {
    if (hookInstalled) {
      return;
    }
    synchronized (OpenTunnels.class) {
      if (!hookInstalled) {
        Thread hook = new Thread(() -> {
          for (AutoCloseable f : OPEN) {
            closeQuietly(f);
          }
        }, TunnelThreads.PREFIX + "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        hookInstalled = true;
      }
    }
  }
}
