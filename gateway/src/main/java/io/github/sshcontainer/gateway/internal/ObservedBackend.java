package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.gateway.backend.BackendEvents;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionIo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reports what happens in any backend to {@link BackendEvents}, as ContainerSSH's metrics layer:
 * connections opened and closed (with their duration), requests, refusals, failures and the
 * end of each session. The backend itself reports only what it alone knows (a container's
 * start). Thread-safe.
 */
public final class ObservedBackend implements ContainerBackend {
  private final ContainerBackend next;
  private final BackendEvents events;

  public ObservedBackend(ContainerBackend next, BackendEvents events) {
    this.next = Objects.requireNonNull(next, "next");
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public void checkRequest(SessionRequest request) {
    try {
      next.checkRequest(request);
    } catch (BackendException e) {
      events.requestRefused(request, e.getMessage());
      throw e;
    }
  }

  @Override
  public ConnectionHandler onConnection(ConnectionInfo connection) {
    long opened = System.nanoTime();
    ConnectionHandler h;
    try {
      h = next.onConnection(connection);
    } catch (BackendException e) {
      events.failed(connection, e);
      throw e;
    }
    events.connectionOpened(connection);
    AtomicBoolean closed = new AtomicBoolean();
    return new ConnectionHandler() {
      @Override
      public SessionHandler onSessionChannel() {
        return new ObservedSession(h.onSessionChannel(), connection, events);
      }

      @Override
      public List<String> containers() {
        return h.containers();
      }

      @Override
      public String shapedBy() {
        return h.shapedBy();
      }

      @Override
      public void close() {
        if (closed.compareAndSet(false, true)) {
          try {
            h.close();
          } finally {
            events.connectionClosed(connection, Duration.ofNanos(System.nanoTime() - opened));
          }
        }
      }
    };
  }

  @Override
  public void close() {
    next.close();
  }

  private static final class ObservedSession extends ForwardingSessionHandler {
    private final ConnectionInfo connection;
    private final BackendEvents events;

    ObservedSession(SessionHandler next, ConnectionInfo connection, BackendEvents events) {
      super(next);
      this.connection = connection;
      this.events = events;
    }

    @Override
    public void onStart(SessionRequest request, SessionIo io) {
      events.requested(connection, request);
      try {
        super.onStart(request, new SessionIo() {
          @Override
          public InputStream stdin() {
            return io.stdin();
          }

          @Override
          public OutputStream stdout() {
            return io.stdout();
          }

          @Override
          public OutputStream stderr() {
            return io.stderr();
          }

          @Override
          public void exited(ExitStatus status) {
            events.sessionEnded(connection, request, status);
            io.exited(status);
          }
        });
      } catch (BackendException e) {
        events.failed(connection, e);
        throw e;
      }
    }
  }
}
