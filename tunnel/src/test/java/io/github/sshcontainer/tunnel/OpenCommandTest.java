package io.github.sshcontainer.tunnel;

import static io.github.sshcontainer.tunnel.LabTunnels.lab;
import static io.github.sshcontainer.tunnel.LabTunnels.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A remote command's stdin and stdout as a local connection. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenCommandTest {

  @Test
  void stdinToEndOfInputAndStdoutBack() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build());
        SocketChannel c = t.openCommand("wc -c")) {
      byte[] data = new byte[5 << 20];
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.shutdownOutput(); // end of input: wc prints and exits
      String out = new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(String.valueOf(data.length), out.trim());
    }
  }

  @Test
  void outputArrivesWhileTheCommandRuns() throws Exception {
    try (SocketTunnel t = SocketTunnel.open(options(lab().echo().socket()).build());
        SocketChannel c = t.openCommand("echo first; sleep 3; echo second")) {
      InputStream in = Channels.newInputStream(c);
      long start = System.nanoTime();
      byte[] first = in.readNBytes("first\n".length());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals("first\n", new String(first, StandardCharsets.UTF_8));
      assertTrue(ms < 2000, "the first line came before the command ended: " + ms + " ms");
      assertEquals("second\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
