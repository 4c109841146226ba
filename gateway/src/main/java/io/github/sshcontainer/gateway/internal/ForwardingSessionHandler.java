package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionIo;
import io.github.sshcontainer.gateway.backend.SessionRequest;

/**
 * A session handler that passes every call to the one it wraps: the base of the gateway's
 * layers, each of which overrides only what it adds.
 */
abstract class ForwardingSessionHandler implements SessionHandler {
  private final SessionHandler next;

  ForwardingSessionHandler(SessionHandler next) {
    this.next = next;
  }

  @Override
  public void onEnv(String name, String value) {
    next.onEnv(name, value);
  }

  @Override
  public void onPty(String term, int columns, int rows) {
    next.onPty(term, columns, rows);
  }

  @Override
  public void onStart(SessionRequest request, SessionIo io) {
    next.onStart(request, io);
  }

  @Override
  public void onWindowChange(int columns, int rows) {
    next.onWindowChange(columns, rows);
  }

  @Override
  public void onSignal(String signal) {
    next.onSignal(signal);
  }

  @Override
  public void close() {
    next.close();
  }
}
