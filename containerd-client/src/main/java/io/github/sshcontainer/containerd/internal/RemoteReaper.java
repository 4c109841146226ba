package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.tunnel.SocketCommand;
import io.github.sshcontainer.tunnel.SocketTunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clean-up that survives the client: a shell on the remote host that waits on its exec channel
 * and runs a script when its input ends without the word {@code done}: when the SSH connection
 * goes away with the client (a crash, {@code kill -9}, sshd then closes the channel). A normal
 * {@link #close()} says {@code done} first: the client cleaned up itself, and the script must not
 * touch a task that reuses the id afterwards.
 */
final class RemoteReaper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RemoteReaper.class);

  private final SocketChannel channel;

  private RemoteReaper(SocketChannel channel) {
    this.channel = channel;
  }

  /** Starts the shell; {@code script} runs once its input ends. */
  static RemoteReaper start(SocketTunnel tunnel, String script) {
    return new RemoteReaper(tunnel.openCommand("exec sh -c " + SocketCommand.quote(
        "read -r word; [ \"$word\" = done ] || { " + script + "; } >/dev/null 2>&1")));
  }

  /**
   * The script that removes a task the way {@code ctr} would, when the host has {@code ctr}
   * (it comes with containerd): kill, delete the task, the container, the snapshot.
   */
  static String removeTask(String socket, String namespace, String id) {
    String ctr = "ctr -a " + SocketCommand.quote(socket) + " -n " + SocketCommand.quote(namespace);
    String q = SocketCommand.quote(id);
    return "if command -v ctr >/dev/null; then " + ctr + " tasks kill -s SIGKILL " + q + "; "
        + "sleep 1; " + ctr + " tasks rm -f " + q + "; " + ctr + " containers rm " + q + "; "
        + ctr + " snapshots --snapshotter " + ImageStore.SNAPSHOTTER + " rm " + q + "; fi";
  }

  /** The client cleaned up: the script does not run. */
  @Override
  public void close() {
    try {
      channel.write(ByteBuffer.wrap("done\n".getBytes(StandardCharsets.US_ASCII)));
      channel.shutdownOutput();
      channel.close();
    } catch (IOException e) {
      log.debug("closing the remote clean-up: {}", e.toString());
    }
  }
}
