package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Session;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the session channels (exec, for the socket command) each SSH connection holds, and
 * learns the server's limit per connection (OpenSSH's MaxSessions, 10 by default) from its first
 * refusal, so that the next channel goes on a connection with room, or on a new one.
 */
final class SessionSlots {
  private static final Logger log = LoggerFactory.getLogger(SessionSlots.class);

  /** Channels one connection holds, and the most it may hold as far as we know. */
  private static final class Slot {
    int live;
    int limit = Integer.MAX_VALUE;
  }

  private final String where;
  private final Map<Session, Slot> slots = new LinkedHashMap<>(); // guarded by itself
  /** Connects another session when the server's limit is reached; null: cannot. */
  private volatile Supplier<Session> extraSessions;

  SessionSlots(String where) {
    this.where = where;
  }

  /** Where to get another SSH connection when the server refuses more channels on one. */
  void extraSessions(Supplier<Session> supplier) {
    this.extraSessions = supplier;
  }

  /** True if another connection can be made when one is full. */
  boolean canGrow() {
    return extraSessions != null;
  }

  /**
   * The session the next channel goes on: {@code primary} while it has room, else an extra
   * connection with room, else a new one. Takes the place before returning.
   */
  Session reserve(Session primary) {
    synchronized (slots) {
      slots.keySet().removeIf(s -> s != primary && !s.isConnected());
      for (Session s : candidates(primary)) {
        Slot slot = slots.computeIfAbsent(s, k -> new Slot());
        if (slot.live < slot.limit) {
          slot.live++;
          return s;
        }
      }
    }
    Supplier<Session> more = extraSessions;
    Session extra = more == null ? null : more.get();
    if (extra == null) {
      return primary; // the caller's session: nothing else to try
    }
    synchronized (slots) {
      Slot slot = new Slot();
      slot.live = 1;
      slots.put(extra, slot);
    }
    return extra;
  }

  private List<Session> candidates(Session primary) {
    List<Session> list = new ArrayList<>();
    list.add(primary);
    for (Session s : slots.keySet()) {
      if (s != primary) {
        list.add(s);
      }
    }
    return list;
  }

  /** Gives back a place; returns how many channels the session still holds. */
  int release(Session session) {
    synchronized (slots) {
      Slot slot = slots.get(session);
      if (slot == null) {
        return 0;
      }
      slot.live = Math.max(0, slot.live - 1);
      return slot.live;
    }
  }

  /** The server refused one more: what the session holds now is its limit. */
  void learnLimit(Session session) {
    synchronized (slots) {
      Slot slot = slots.get(session);
      if (slot != null) {
        slot.limit = Math.max(1, slot.live);
        log.debug("{}: the server allows {} session channels per connection", where,
            slot.limit);
      }
    }
  }
}
