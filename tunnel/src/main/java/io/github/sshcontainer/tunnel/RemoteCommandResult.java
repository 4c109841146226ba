package io.github.sshcontainer.tunnel;

import java.nio.charset.StandardCharsets;

/**
 * What a command run with {@link SocketTunnel#run} did: its exit status and output.
 *
 * @param exitStatus the command's exit status (-1 if the server reported none)
 * @param stdout what it wrote to stdout, at most the limit asked for
 * @param stderr what it wrote to stderr, at most 64 KiB, as UTF-8
 * @param truncated true if stdout had more than the limit
 */
public record RemoteCommandResult(int exitStatus, byte[] stdout, String stderr,
    boolean truncated) {
  /** Keeps its own copy. */
  public RemoteCommandResult {
    stdout = stdout.clone();
  }

  /** A copy of stdout. */
  @Override
  public byte[] stdout() {
    return stdout.clone();
  }

  /** Stdout as UTF-8 text. */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }
}
