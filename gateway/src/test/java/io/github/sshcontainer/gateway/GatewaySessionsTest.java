package io.github.sshcontainer.gateway;

import static io.github.sshcontainer.gateway.LabGateway.busybox;
import static io.github.sshcontainer.gateway.LabGateway.lab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.lab.OpenSshClient;
import io.github.sshcontainer.lab.Tmux;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Shells on a terminal, sessions sharing a connection's container, signals, session mode. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GatewaySessionsTest {
  private static final Duration SOON = Duration.ofSeconds(60);
  @TempDir static Path tmp;
  private static LabGateway gateway;

  @BeforeAll
  static void start() {
    gateway = LabGateway.start(tmp.resolve("gw"),
        DockerBackendOptions.builder(busybox().build()).build());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  @Test
  void aShellOnATerminalHasTheWindowsSizeAndFollowsItsResize() throws Exception {
    OpenSshClient c = gateway.client("tty");
    try (Tmux t = Tmux.start(c.ssh(List.of("-tt"), null), 100, 30)) {
      t.await("/ #", SOON); // busybox sh's prompt (capture-pane drops the trailing space)
      t.type("stty size");
      t.await("30 100", SOON);
      t.resize(120, 40);
      t.typeUntil("stty size", "40 120", SOON);
      // the typed line must not hold what is awaited: "TERM-" appears only in the output
      t.type("printf '%s-%s\\n' TERM \"$TERM\"");
      String screen = t.await("TERM-", SOON);
      assertTrue(screen.contains("TERM-tmux") || screen.contains("TERM-screen"),
          "TERM is the client's (tmux's): " + screen);
      t.type("exit");
    }
  }

  @Test
  void sessionsOfOneConnectionShareItsContainerWhichGoesWithTheConnection() throws Exception {
    OpenSshClient c = gateway.client("shared");
    Path control = tmp.resolve("cm-" + System.nanoTime());
    Process m = c.startMaster(control, tmp.resolve("master.log"));
    try {
      String[] mux = OpenSshClient.viaMaster(control).toArray(String[]::new);
      OpenSshClient.Result first = c.ssh("echo one > /tmp/shared; hostname", null, SOON, mux);
      assertEquals(0, first.code(), first.err());
      OpenSshClient.Result second = c.ssh("cat /tmp/shared; hostname", null, SOON, mux);
      assertEquals(0, second.code(), second.err());
      assertEquals("one\n" + first.out(), second.out(), "the same container");
      assertEquals(1, gateway.containersOf("shared").size());
    } finally {
      m.destroy();
      m.waitFor(10, TimeUnit.SECONDS);
    }
    awaitNoContainers("shared");
  }

  /**
   * A ControlMaster's sessions with stdin at /dev/null send EOF first and answer the gateway's
   * EOF with CLOSE at once: the exit status must already be there. Before it was sent ahead of
   * EOF, about one such session in ten ended 255 with its output lost.
   */
  @Test
  void eachSessionOfAControlMasterGetsItsOutputAndExitStatusWhenItsInputEndedFirst()
      throws Exception {
    OpenSshClient c = gateway.client("eof-first");
    Path control = tmp.resolve("cm-" + System.nanoTime());
    Process m = c.startMaster(control, tmp.resolve("eof-master.log"));
    try {
      String[] mux = OpenSshClient.viaMaster(control).toArray(String[]::new);
      for (int i = 0; i < 25; i++) {
        OpenSshClient.Result r = c.ssh("echo run-" + i + "; exit 7", null, SOON, mux);
        assertEquals(7, r.code(), "session " + i + ": " + r.err());
        assertEquals("run-" + i + "\n", r.out(), "session " + i);
      }
    } finally {
      m.destroy();
      m.waitFor(10, TimeUnit.SECONDS);
    }
    awaitNoContainers("eof-first");
  }

  private static void awaitNoContainers(String user) throws InterruptedException {
    gateway.awaitNoContainers(user, Duration.ofSeconds(2 + 5)); // stop timeout + 5 s
  }

  @Test
  void inSessionModeTwoSessionsGetTwoContainersAndBothAreRemoved() throws Exception {
    try (LabGateway session = LabGateway.start(tmp.resolve("gw-session"),
        DockerBackendOptions.builder(busybox().build()).mode(DockerBackendOptions.Mode.SESSION)
            .build())) {
      OpenSshClient c = session.client("per-session");
      Path control = tmp.resolve("cs-" + System.nanoTime());
      Process m = c.startMaster(control, tmp.resolve("master2.log"));
      try {
        String[] mux = OpenSshClient.viaMaster(control).toArray(String[]::new);
        OpenSshClient.Result a = c.ssh("hostname; exit 3", null, SOON, mux);
        OpenSshClient.Result b = c.ssh("hostname", null, SOON, mux);
        assertEquals(3, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertNotEquals(a.out(), b.out(), "two containers");
        session.awaitNoContainers("per-session", Duration.ofSeconds(10));
      } finally {
        m.destroy();
        m.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void termFromAClientLibraryReachesATrap() throws Exception {
    JSch jsch = new JSch();
    jsch.addIdentity(lab().clientKey().toString());
    jsch.setKnownHosts(gateway.knownHosts().toString());
    Session s = jsch.getSession("signal", "127.0.0.1", gateway.server.port());
    s.setConfig("StrictHostKeyChecking", "yes");
    s.connect(30_000);
    try {
      ChannelExec exec = (ChannelExec) s.openChannel("exec");
      exec.setCommand("trap 'echo got TERM; exit 3' TERM; echo ready; "
          + "while :; do sleep 1 & wait $!; done");
      InputStream out = exec.getInputStream();
      exec.connect(30_000);
      StringBuilder text = new StringBuilder();
      readUntil(out, text, "ready");
      exec.sendSignal("TERM");
      readUntil(out, text, "got TERM");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!exec.isClosed() && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertEquals(3, exec.getExitStatus(), text.toString());
    } finally {
      s.disconnect();
    }
  }

  private static void readUntil(InputStream in, StringBuilder text, String expected)
      throws Exception {
    byte[] buf = new byte[1024];
    while (text.indexOf(expected) < 0) {
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("ended before '" + expected + "': " + text);
      }
      text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }

  @Test
  void aProcessKilledBySignalEndsWithExitSignal() throws Exception {
    JSch jsch = new JSch();
    jsch.addIdentity(lab().clientKey().toString());
    jsch.setKnownHosts(gateway.knownHosts().toString());
    Session s = jsch.getSession("killed", "127.0.0.1", gateway.server.port());
    s.setConfig("StrictHostKeyChecking", "yes");
    s.connect(30_000);
    try {
      ChannelExec exec = (ChannelExec) s.openChannel("exec");
      exec.setCommand("echo ready; exec sleep 600");
      InputStream out = exec.getInputStream();
      exec.connect(30_000);
      readUntil(out, new StringBuilder(), "ready");
      exec.sendSignal("KILL");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!exec.isClosed() && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertTrue(exec.isClosed());
      // JSch reports an exit-signal as no exit status (-1); OpenSSH's ssh prints it
      assertEquals(-1, exec.getExitStatus());
    } finally {
      s.disconnect();
    }
    OpenSshClient.Result r = gateway.client("killed2").ssh("kill -KILL $$", null, SOON);
    assertEquals(137, r.code(), "as the shell's own status: " + r.err());
  }
}
