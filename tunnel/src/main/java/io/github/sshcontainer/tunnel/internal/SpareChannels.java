package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.TunnelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Channels to the remote end opened ahead of time, so that a new local connection does not wait
 * a round trip for its channel. Refilled in the background, never on the accepting thread.
 */
final class SpareChannels {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel");

  private final String id;
  private final int want;
  private final RemoteChannels channels;
  private final SessionHolder sessions;
  private final Executor executor;
  private final AtomicBoolean refilling = new AtomicBoolean();
  private final Deque<RemoteChannels.Opened> idle = new ArrayDeque<>(); // guarded by itself
  private volatile boolean closed;

  SpareChannels(String id, int want, RemoteChannels channels, SessionHolder sessions,
      Executor executor) {
    this.id = id;
    this.want = want;
    this.channels = channels;
    this.sessions = sessions;
    this.executor = executor;
  }

  /** Keeps {@code opened} as a spare if spares are wanted, else closes it. */
  void offer(RemoteChannels.Opened opened) {
    synchronized (idle) {
      if (want > 0 && !closed && idle.size() < want) {
        idle.add(opened);
        return;
      }
    }
    opened.discard();
  }

  /** A fresh spare channel, or null. Call {@link #refill()} after taking one. */
  RemoteChannels.Opened take() {
    RemoteChannels.Opened found = null;
    List<RemoteChannels.Opened> stale = new ArrayList<>();
    synchronized (idle) {
      while (!idle.isEmpty()) {
        RemoteChannels.Opened o = idle.poll();
        if (o.usable()) {
          found = o;
          break;
        }
        stale.add(o);
      }
    }
    stale.forEach(RemoteChannels.Opened::discard);
    return found;
  }

  /** Opens spares up to the wanted number, on the executor. */
  void refill() {
    if (want == 0 || closed || !refilling.compareAndSet(false, true)) {
      return;
    }
    try {
      executor.execute(() -> {
        try {
          fill();
        } finally {
          refilling.set(false);
        }
      });
    } catch (RejectedExecutionException closing) {
      refilling.set(false);
    }
  }

  private void fill() {
    while (!closed) {
      synchronized (idle) {
        if (idle.size() >= want) {
          return;
        }
      }
      Session s = sessions.current();
      if (s == null) {
        return; // the reconnect refills
      }
      RemoteChannels.Opened o;
      try {
        o = channels.open(s);
      } catch (TunnelException e) {
        log.debug("tunnel {}: cannot open a spare channel: {}", id, e.getMessage());
        return;
      }
      if (!sessions.isCurrent(s) || closed) {
        o.discard();
        return;
      }
      offer(o);
    }
  }

  /** Closes every spare (the session is gone, or the tunnel closes). */
  void clear() {
    List<RemoteChannels.Opened> all;
    synchronized (idle) {
      all = new ArrayList<>(idle);
      idle.clear();
    }
    all.forEach(RemoteChannels.Opened::discard);
  }

  void close() {
    closed = true;
    clear();
  }
}
