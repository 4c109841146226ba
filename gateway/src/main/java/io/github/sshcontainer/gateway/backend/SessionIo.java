package io.github.sshcontainer.gateway.backend;

import io.github.sshcontainer.docker.ExitStatus;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A session channel's side of a running program: what the client sends, where its output goes,
 * and how its end is reported. Given by the SSH server; the backend uses, never closes, the
 * streams.
 */
public interface SessionIo {
  /** What the client sends; its end is the client's EOF. */
  InputStream stdin();

  /** To the client's stdout. */
  OutputStream stdout();

  /** To the client's stderr (extended data). */
  OutputStream stderr();

  /**
   * The program ended and all its output was written: the server sends {@code exit-status}
   * (or {@code exit-signal}) and closes the channel. Called once.
   */
  void exited(ExitStatus status);
}
