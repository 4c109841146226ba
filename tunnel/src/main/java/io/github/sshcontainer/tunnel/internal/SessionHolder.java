package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnel's SSH session: owned (connected here, re-established in the background when it
 * drops) or borrowed (the caller's, never disconnected here). Network work (connect, disconnect)
 * is never done while holding the lock.
 *
 * <p>While it reconnects, a caller that needs the session waits for one attempt at most. The
 * first caller of an outage waits for the attempt in progress. Once an attempt has failed: if it
 * failed quickly (a refused port, cheap to repeat), a caller waits for the attempt in progress
 * or has one started at once instead of after the backoff pause; if it took long (a host that
 * does not answer), the caller gets its failure at once. So a client that makes several
 * connections in a row (the Docker CLI pings, then asks) waits about one connect timeout in
 * all, not one per connection or per round.
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
  private final List<Session> extras = new ArrayList<>();
  private TunnelException broken;
  private boolean reconnecting;
  private boolean attemptRunning;
  /** Failed reconnect attempts of this outage; a waiting caller watches it move. */
  private int attemptsFailed;
  private TunnelException lastFailure;
  /** How long the last failed attempt took. */
  private long lastFailureCostNanos;
  /** A caller asks for an attempt now instead of after the backoff pause. */
  private boolean attemptWanted;
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

  /** A new owned session whose reader thread reports its own end; retries per the policy. */
  private Session connectNew() {
    return connectNew(true);
  }

  /** As {@link #connectNew()}; with {@code retry} false, one attempt only. */
  private Session connectNew(boolean retry) {
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
    Session s = retry ? connector.connect(factory) : connector.attempt(factory);
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
        attemptsFailed = 0;
        lastFailure = null;
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

  /** One attempt a round, each after a backoff pause that a waiting caller may cut short. */
  private void reconnectLoop() {
    long started = System.nanoTime();
    int rounds = 0;
    Backoff pause = new Backoff(options.retry().initialBackoff(),
        options.retry().maxBackoff());
    while (true) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        attemptRunning = true;
        attemptWanted = false;
      }
      rounds++;
      long attemptStart = System.nanoTime();
      try {
        Session s = connectNew(false);
        boolean keep;
        synchronized (lock) {
          keep = !closed;
          attemptRunning = false;
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
        log.info("tunnel {}: reconnected to {} in {} ms (reconnect #{}, {} attempts)", id,
            target.display(), (System.nanoTime() - started) / 1_000_000, n, rounds);
        listener.restored();
        return;
      } catch (TunnelException e) {
        boolean transientFailure = e.reason() == Reason.CANNOT_CONNECT
            || e.reason() == Reason.TIMED_OUT;
        synchronized (lock) {
          attemptRunning = false;
          if (closed) {
            return;
          }
          if (!transientFailure) {
            broken = e;
            reconnecting = false;
          } else {
            attemptsFailed++;
            lastFailure = e;
            lastFailureCostNanos = System.nanoTime() - attemptStart;
          }
          lock.notifyAll();
        }
        if (!transientFailure) {
          log.error("tunnel {}: cannot reconnect, giving up: {}", id, e.getMessage());
          return;
        }
        log.debug("tunnel {}: reconnect attempt {} failed: {}", id, rounds, e.getMessage());
        if (!pauseUnlessWanted(pause.delay(rounds))) {
          return;
        }
      }
    }
  }

  /** Waits out {@code pause}, or less when a caller wants an attempt; false once closed. */
  private boolean pauseUnlessWanted(Duration pause) {
    long end = System.nanoTime() + pause.toNanos();
    synchronized (lock) {
      while (!closed && !attemptWanted) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          return false;
        }
      }
      return !closed;
    }
  }

  /**
   * A failed attempt repeats at a caller's request only if it failed within a quarter of the
   * connect timeout: a refused port answers at once, a silent host costs the whole timeout.
   */
  private boolean cheapToRepeat() {
    return lastFailureCostNanos < target.connectTimeout().toNanos() / 4;
  }

  private TunnelException outage(TunnelException failure) {
    return new TunnelException(failure.reason(), "tunnel " + id + ": the SSH connection to "
        + target.display() + " is down and being re-established (" + attemptsFailed
        + " attempts so far; the last: " + failure.getMessage() + "); retry once it is back",
        failure);
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

  /**
   * The current session; while reconnecting, waits up to {@code timeout} for one attempt (see
   * the class comment), and fails with that attempt's reason if it fails.
   */
  Session await(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int failedBefore = -1; // failed attempts when this caller began to wait for one
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
          if (reconnecting) {
            if (failedBefore >= 0 && attemptsFailed > failedBefore) {
              throw outage(lastFailure); // the attempt this caller waited for failed
            }
            if (failedBefore < 0) {
              if (lastFailure != null && !cheapToRepeat()) {
                throw outage(lastFailure); // another slow attempt would only repeat it
              }
              if (!attemptRunning && lastFailure != null) {
                attemptWanted = true;
                lock.notifyAll();
              }
              failedBefore = attemptsFailed;
            }
          }
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
    List<Session> gone;
    synchronized (lock) {
      gone = new ArrayList<>(extras);
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
