package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnel's SSH session: owned (connected here, re-established in the background when it
 * drops) or borrowed (the caller's, never disconnected here). Network work (connect, disconnect)
 * is never done while holding the lock.
 */
final class SessionHolder {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");

  /** What the tunnel does when the session goes and comes back. */
  interface Listener {
    /** The session ended: its channels are gone. */
    void lost();

    /** A new session is up after a reconnect. */
    void restored();
  }

  private final String id;
  private final TunnelOptions options;
  private final SshConnector connector;
  private final ResolvedTarget target;
  private final TunnelThreads threads;
  private final Listener listener;
  private final AtomicInteger reconnects = new AtomicInteger();
  private final Object lock = new Object();

  // guarded by lock
  private Session session;
  private final java.util.List<Session> extras = new java.util.ArrayList<>();
  private TunnelException broken;
  private boolean reconnecting;
  private boolean closed;

  /** An owned session made by {@code connector}, or the caller's when it is null. */
  SessionHolder(String id, TunnelOptions options, SshConnector connector, ResolvedTarget target,
      TunnelThreads threads, Listener listener) {
    this.id = id;
    this.options = options;
    this.connector = connector;
    this.target = target;
    this.threads = threads;
    this.listener = listener;
  }

  boolean owned() {
    return connector != null;
  }

  /** Connects (owned) or takes the caller's session; the first thing a tunnel does. */
  Session start() {
    Session s = owned() ? connectNew() : options.session().orElseThrow();
    Session stale = null;
    synchronized (lock) {
      if (closed) {
        stale = s;
      } else {
        session = s;
      }
    }
    if (stale != null) {
      disconnect(stale);
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " closed while connecting");
    }
    return s;
  }

  /** A new owned session whose reader thread reports its own end. */
  private Session connectNew() {
    AtomicReference<Session> made = new AtomicReference<>();
    ThreadFactory factory = body -> threads.create("session", () -> {
      try {
        body.run();
      } finally {
        Session ended = made.get();
        if (ended != null) {
          ended(ended);
        }
      }
    });
    Session s = connector.connect(factory);
    made.set(s);
    return s;
  }

  /** The session {@code s} ended (its reader thread returned, or it was found disconnected). */
  private void ended(Session s) {
    boolean reconnect = false;
    synchronized (lock) {
      if (closed || s != session) {
        return;
      }
      session = null;
      if (owned() && options.reconnect()) {
        reconnect = !reconnecting;
        reconnecting = true;
      } else {
        broken = new TunnelException(Reason.CLOSED, "the SSH connection to " + target.display()
            + " was lost and the tunnel does not reconnect ("
            + (owned() ? "reconnect is off" : "it uses the caller's session")
            + "); open a new tunnel");
      }
      lock.notifyAll();
    }
    if (reconnect) {
      log.warn("tunnel {}: SSH connection to {} lost; reconnecting", id, target.display());
    } else {
      log.warn("tunnel {}: SSH connection to {} lost", id, target.display());
    }
    listener.lost();
    if (owned()) {
      connector.disconnect(s); // and the jump hosts under it
      dropExtras();
    }
    if (reconnect) {
      threads.start("reconnect", this::reconnectLoop);
    }
  }

  private void reconnectLoop() {
    long started = System.nanoTime();
    int rounds = 0;
    Backoff pause = new Backoff(options.retry().initialBackoff(),
        options.retry().maxBackoff());
    while (!isClosed()) {
      rounds++;
      try {
        Session s = connectNew();
        boolean keep;
        synchronized (lock) {
          keep = !closed;
          if (keep) {
            session = s;
            reconnecting = false;
            lock.notifyAll();
          }
        }
        if (!keep) {
          connector.disconnect(s);
          return;
        }
        int n = reconnects.incrementAndGet();
        log.info("tunnel {}: reconnected to {} in {} ms (reconnect #{})", id, target.display(),
            (System.nanoTime() - started) / 1_000_000, n);
        listener.restored();
        return;
      } catch (TunnelException e) {
        if (isClosed()) {
          return;
        }
        if (e.reason() != Reason.CANNOT_CONNECT && e.reason() != Reason.TIMED_OUT) {
          synchronized (lock) {
            broken = e;
            reconnecting = false;
            lock.notifyAll();
          }
          log.error("tunnel {}: cannot reconnect, giving up: {}", id, e.getMessage());
          return;
        }
        log.debug("tunnel {}: reconnect round {} failed: {}", id, rounds, e.getMessage());
        try {
          Thread.sleep(pause.delay(rounds).toMillis());
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** The session if it is up now, else null (no waiting). */
  Session current() {
    synchronized (lock) {
      return session != null && session.isConnected() ? session : null;
    }
  }

  /** True while {@code s} is the tunnel's session. */
  boolean isCurrent(Session s) {
    synchronized (lock) {
      return s == session && !closed;
    }
  }

  /** The current session, waiting up to {@code timeout} while reconnecting. */
  Session await(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Session dead = null;
      synchronized (lock) {
        if (closed) {
          throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
        }
        if (session != null) {
          if (session.isConnected()) {
            return session;
          }
          dead = session; // its reader thread has not reported yet
        } else if (broken != null) {
          throw broken;
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new TunnelException(Reason.TIMED_OUT, "tunnel " + id + ": no SSH connection "
                + "to " + target.display() + " within " + timeout.toMillis()
                + " ms (reconnecting)");
          }
          try {
            lock.wait(Math.max(1, left / 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TunnelException(Reason.CLOSED, "interrupted waiting for the SSH "
                + "connection");
          }
        }
      }
      if (dead != null) {
        ended(dead);
      }
    }
  }

  int reconnects() {
    return reconnects.get();
  }

  /**
   * Another SSH connection to the same target, for servers whose MaxSessions limits how many
   * session channels one connection may hold (the command fallback opens one per local
   * connection). It lives until the tunnel closes or its main connection is lost.
   *
   * @return the new session, or null when the tunnel runs on the caller's session
   * @throws TunnelException if it cannot connect
   */
  Session extra() {
    if (!owned()) {
      return null;
    }
    synchronized (lock) {
      if (closed) {
        throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
      }
    }
    Session s = connector.connect(body -> threads.create("session", body));
    boolean keep;
    synchronized (lock) {
      keep = !closed;
      if (keep) {
        extras.add(s);
      }
    }
    if (!keep) {
      connector.disconnect(s);
      throw new TunnelException(Reason.CLOSED, "tunnel " + id + " is closed");
    }
    log.debug("tunnel {}: extra SSH connection #{} to {} (the server limits sessions)", id,
        extras.size(), target.display());
    return s;
  }

  private void dropExtras() {
    java.util.List<Session> gone;
    synchronized (lock) {
      gone = new java.util.ArrayList<>(extras);
      extras.clear();
    }
    for (Session e : gone) {
      connector.disconnect(e);
    }
  }

  /** Stops reconnecting and disconnects an owned session (never the caller's). */
  void close() {
    Session s;
    synchronized (lock) {
      closed = true;
      s = session;
      session = null;
      lock.notifyAll();
    }
    if (s != null && owned()) {
      connector.disconnect(s);
    }
    if (owned()) {
      dropExtras();
    }
  }

  private void disconnect(Session s) {
    if (owned()) {
      connector.disconnect(s);
    }
  }
}
