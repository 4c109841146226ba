package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback when JSch's internals cannot be reached: JSch grants the window, so the delivering
 * thread blocks once a window is queued, and the writer thread must be draining by then. The
 * channel and session are not touched in this mode; a real Unix socket pair carries the bytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InboundFallbackTest {
  @TempDir Path tmp;

  @Test
  void deliveryBlocksAtTheWindowAndResumesWhenTheClientReads() throws Exception {
    int window = 64 * 1024;
    int total = 8 * window;
    Path path = tmp.resolve("s.sock");
    ExecutorService session = Executors.newSingleThreadExecutor();
    TunnelThreads threads = new TunnelThreads("test");
    LocalWriter writer = new LocalWriter(threads);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path));
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path));
          SocketChannel local = server.accept()) {
        local.configureBlocking(false);
        Inbound in = new Inbound(null, null, window, window, false);
        in.attach(local, null, writer);
        byte[] packet = new byte[16 * 1024];
        Future<?> delivering = session.submit(() -> {
          for (int sent = 0; sent < total; sent += packet.length) {
            java.util.Arrays.fill(packet, (byte) (sent / packet.length));
            in.write(packet, 0, packet.length);
          }
          return null;
        });
        Thread.sleep(500);
        assertFalse(delivering.isDone(), "with the client not reading, delivery must block");
        assertTrue(in.queued() <= window + packet.length, "queued " + in.queued());
        ByteBuffer got = ByteBuffer.allocate(total);
        while (got.hasRemaining()) {
          assertTrue(client.read(got) >= 0, "EOF after " + got.position());
        }
        delivering.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < total; i++) {
          assertEquals((byte) (i / packet.length), got.get(i), "byte " + i + " out of order");
        }
        assertEquals(0, in.queued());
      }
    } finally {
      session.shutdownNow();
      writer.close();
      Files.deleteIfExists(path);
    }
  }
}
