package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What keeps one source from locking everyone out, as sshd's MaxStartups, PerSourceMaxStartups
 * and PerSourcePenalties do: a cap on each address's connections that have not authenticated,
 * random early drop of new ones between a start and a full mark of all such connections, and
 * a penalty for an address whose connections keep failing authentication or the protocol:
 * refused at once for a time that doubles with each repeat (up to a bound) and is logged once
 * per penalty, not once per connection. Thread-safe.
 */
final class SourceGuard {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** A connection that failed authentication (and never succeeded) costs this much. */
  static final double AUTH_FAILURE_SECONDS = 5;
  /**
   * One that said who it is and then never finished the key exchange: garbage after the
   * banner (MINA then waits for more bytes before it disconnects, as a defence against timing
   * oracles), a scanner that only wanted the host key, a client that did not trust it.
   */
  static final double NO_KEY_EXCHANGE_SECONDS = 2;
  /** One that broke the protocol (a failed key exchange, a bad packet MINA reported). */
  static final double PROTOCOL_FAILURE_SECONDS = 10;
  /** Drops over a source's cap are logged at most once a minute per source. */
  private static final long DROP_LOG_NANOS = Duration.ofMinutes(1).toNanos();

  /** What the guard knows of one address. */
  private static final class Source {
    final AtomicInteger unauthenticated = new AtomicInteger();
    // guarded by this
    double score;
    long scoredAt;
    long blockedUntil;
    int blocks;
    long lastBlockEnd;
    int failures;
    long dropLoggedAt = Long.MIN_VALUE;
  }

  /** Why a new connection is refused, or null. */
  enum Refusal {
    PENALIZED, SOURCE_LIMIT, EARLY_DROP, FULL
  }

  private final Map<String, Source> sources = new ConcurrentHashMap<>();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  /** Sources added since the start (the sweep runs every {@link #SWEEP_EVERY}). */
  private final AtomicInteger added = new AtomicInteger();
  static final int SWEEP_EVERY = 1024;
  /** The key of an address's web logins, apart from its SSH connections'. */
  private static final String WEB = "web ";
  private final LongSupplier clock;

  SourceGuard(LongSupplier nanoClock) {
    this.clock = nanoClock;
  }

  /**
   * A new connection from {@code address}: counted and admitted (null), or refused with why.
   * An admitted one must be {@link #authenticated} or {@link #closed} later, exactly once.
   */
  Refusal admit(String address, GatewayOptions o) {
    // counted inside the map's compute: a sweep (which removes an entry only in the map's
    // compute, and only with nothing counted) cannot remove it under us
    boolean[] made = new boolean[1];
    Source s = sources.compute(address, (a, old) -> {
      Source x = old;
      if (x == null) {
        x = new Source();
        made[0] = true;
      }
      x.unauthenticated.incrementAndGet();
      return x;
    });
    if (made[0] && added.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep(); // now and then, as new addresses come; this one is counted, so it stays
    }
    long now = clock.getAsLong();
    synchronized (s) {
      if (s.blockedUntil - now > 0) {
        s.unauthenticated.decrementAndGet();
        return Refusal.PENALIZED;
      }
    }
    int all = unauthenticated.incrementAndGet();
    int mine = s.unauthenticated.get();
    Refusal r = null;
    if (all > o.maxUnauthenticated()) {
      r = Refusal.FULL;
    } else if (mine > o.maxUnauthenticatedPerSource()) {
      r = Refusal.SOURCE_LIMIT;
    } else if (all > o.earlyDropStart()) {
      // sshd's MaxStartups start:rate:full: from rate% just above start to 100% at full
      double p = o.earlyDropRate() / 100.0 + (1 - o.earlyDropRate() / 100.0)
          * (all - o.earlyDropStart()) / Math.max(1, o.maxUnauthenticated() - o.earlyDropStart());
      if (ThreadLocalRandom.current().nextDouble() < p) {
        r = Refusal.EARLY_DROP;
      }
    }
    if (r != null) {
      unauthenticated.decrementAndGet();
      s.unauthenticated.decrementAndGet();
    }
    return r;
  }

  /**
   * Whether this refusal of {@code address} ({@code "*"} for everyone's) is the first for a
   * minute, to log it once.
   */
  boolean shouldLogDrop(String address) {
    // "*" (drops of everyone's) has an entry of its own too: without it each such drop logged
    Source s = sources.computeIfAbsent(address, a -> new Source());
    long now = clock.getAsLong();
    synchronized (s) {
      if (s.dropLoggedAt == Long.MIN_VALUE || now - s.dropLoggedAt > DROP_LOG_NANOS) {
        s.dropLoggedAt = now;
        return true;
      }
      return false;
    }
  }

  /** An admitted connection authenticated: it no longer counts against the caps. */
  void authenticated(String address) {
    release(address);
  }

  /**
   * An admitted connection closed without authenticating; {@code penaltySeconds} is what it
   * cost its source (0: nothing held against it, such as a client that only looked).
   */
  void closed(String address, double penaltySeconds, GatewayOptions o) {
    Source s = release(address);
    if (s != null) {
      penalize(s, address, penaltySeconds, o);
    }
  }

  /**
   * A web login from {@code address} presented a link whole in form that this gateway never
   * signed (forged or guessed): it costs the address's web logins what a failed SSH
   * authentication costs its SSH connections. The two are kept apart: many users may share
   * one address (a school's NAT, the TLS proxy in front of the page), and a few bad links
   * must not lock them out of SSH.
   */
  void webLoginFailed(String address, GatewayOptions o) {
    String key = WEB + address;
    penalize(track(key), key, AUTH_FAILURE_SECONDS, o);
  }

  /**
   * The entry of {@code address}, made if new; every {@link #SWEEP_EVERY} new sources the
   * ones with nothing left to remember are forgotten, so that a stream of addresses (a scan,
   * many clients) does not grow the map without end.
   */
  private Source track(String address) {
    Source known = sources.get(address);
    if (known != null) {
      return known;
    }
    if (added.incrementAndGet() % SWEEP_EVERY == 0) {
      sweep();
    }
    return sources.computeIfAbsent(address, a -> new Source());
  }

  /** Whether {@code address}'s web logins serve a penalty now (refused at once). */
  boolean webPenalized(String address) {
    Source s = sources.get(WEB + address);
    if (s == null) {
      return false;
    }
    synchronized (s) {
      return s.blockedUntil - clock.getAsLong() > 0;
    }
  }

  private void penalize(Source s, String address, double penaltySeconds, GatewayOptions o) {
    if (penaltySeconds <= 0 || !o.perSourcePenalties()) {
      return;
    }
    long now = clock.getAsLong();
    long blockFor = 0;
    int failures;
    synchronized (s) {
      // the score leaks away at one second per second, as a penalty served
      double elapsed = s.scoredAt == 0 ? 0 : (now - s.scoredAt) / 1e9;
      s.score = Math.max(0, s.score - elapsed) + penaltySeconds;
      s.scoredAt = now;
      s.failures++;
      failures = s.failures;
      if (s.blockedUntil - now <= 0 && s.score >= o.penaltyMin().toSeconds()) {
        // a repeat soon after the last penalty doubles it; a quiet spell starts again
        if (s.blocks > 0 && now - s.lastBlockEnd > o.penaltyMax().toNanos()) {
          s.blocks = 0;
        }
        long seconds = Math.min(o.penaltyMax().toSeconds(),
            o.penaltyMin().toSeconds() << Math.min(20, s.blocks));
        s.blocks++;
        s.blockedUntil = now + Duration.ofSeconds(seconds).toNanos();
        s.lastBlockEnd = s.blockedUntil;
        s.score = 0;
        s.failures = 0;
        blockFor = seconds;
      }
    }
    if (blockFor > 0) {
      MDC.put("event", "source-penalized");
      try {
        if (address.startsWith(WEB)) {
          log.warn("gateway web: refusing logins from {} for {} s: {} links this gateway "
              + "never signed came from it", address.substring(WEB.length()), blockFor,
              failures);
        } else {
          log.warn("gateway: refusing new connections from {} for {} s: {} of its connections "
              + "failed authentication or the protocol", address, blockFor, failures);
        }
      } finally {
        MDC.remove("event");
      }
    }
  }

  private Source release(String address) {
    Source s = sources.get(address);
    if (s != null) {
      unauthenticated.decrementAndGet();
      s.unauthenticated.decrementAndGet();
    }
    return s;
  }

  /** Forgets addresses with nothing open, no penalty and no score left (bounded memory). */
  void sweep() {
    long now = clock.getAsLong();
    for (String address : sources.keySet()) {
      sources.computeIfPresent(address, (a, s) -> {
        synchronized (s) {
          boolean idle = s.unauthenticated.get() == 0 && s.blockedUntil - now <= 0
              && (s.dropLoggedAt == Long.MIN_VALUE || now - s.dropLoggedAt > DROP_LOG_NANOS)
              && (s.scoredAt == 0 || (now - s.scoredAt) / 1e9 > s.score)
              && (s.blocks == 0 || now - s.lastBlockEnd > Duration.ofMinutes(30).toNanos());
          return idle ? null : s;
        }
      });
    }
  }

  /** Connections counted as not yet authenticated now (for tests). */
  int unauthenticated() {
    return unauthenticated.get();
  }

  /** Addresses tracked now (for tests of the sweep). */
  int tracked() {
    return sources.size();
  }
}
