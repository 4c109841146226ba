package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.RemoteCommandResult;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** One command over an exec channel, with a deadline and bounded output: {@code ssh host cmd}. */
final class RemoteExec {
  private static final int MAX_STDERR = 64 * 1024;

  private RemoteExec() {}

  /**
   * Runs {@code command} and waits for it to exit, at most {@code deadline}.
   *
   * @throws TunnelException TIMED_OUT past the deadline, CLOSED if the session is down,
   *     REMOTE_SOCKET_UNAVAILABLE if the server refuses the exec channel
   */
  static RemoteCommandResult run(Session session, String where, String command,
      Duration deadline, int maxStdout) {
    ChannelExec exec = null;
    try {
      exec = (ChannelExec) session.openChannel("exec");
      if (exec == null) { // JSch's answer while the session is disconnecting
        throw new TunnelException(Reason.CLOSED, "the SSH connection to " + where
            + " is closing; cannot run a command");
      }
      exec.setCommand(command);
      InputStream out = exec.getInputStream();
      InputStream err = exec.getErrStream();
      long end = System.nanoTime() + deadline.toNanos();
      exec.connect((int) Math.max(1, Math.min(Integer.MAX_VALUE, deadline.toMillis())));
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      ByteArrayOutputStream stderr = new ByteArrayOutputStream();
      boolean truncated = false;
      byte[] buf = new byte[8192];
      while (true) {
        boolean progress = false;
        if (out.available() > 0) {
          int n = out.read(buf);
          if (n > 0) {
            int keep = Math.max(0, Math.min(n, maxStdout - stdout.size()));
            stdout.write(buf, 0, keep);
            truncated |= keep < n;
            progress = true;
          }
        }
        if (err.available() > 0) {
          int n = err.read(buf);
          if (n > 0) {
            stderr.write(buf, 0, Math.max(0, Math.min(n, MAX_STDERR - stderr.size())));
            progress = true;
          }
        }
        if (!progress) {
          if (exec.isClosed() && out.available() <= 0 && err.available() <= 0) {
            break;
          }
          if (System.nanoTime() > end) {
            throw new TunnelException(Reason.TIMED_OUT, "`" + command + "` on " + where
                + " did not finish within " + deadline.toMillis() + " ms");
          }
          Thread.sleep(2);
        }
      }
      return new RemoteCommandResult(exec.getExitStatus(), stdout.toByteArray(),
          stderr.toString(StandardCharsets.UTF_8), truncated);
    } catch (JSchException e) {
      throw new TunnelException(session.isConnected() ? Reason.REMOTE_SOCKET_UNAVAILABLE
          : Reason.CLOSED, "the SSH server " + where + " refused to run a command: "
          + e.getMessage(), e);
    } catch (IOException e) {
      throw new TunnelException(Reason.CLOSED, "reading a command's output from " + where
          + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TunnelException(Reason.CLOSED, "interrupted running a command on " + where, e);
    } finally {
      if (exec != null) {
        exec.disconnect();
      }
    }
  }
}
