package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.AgentIdentityRepository;
import com.jcraft.jsch.AgentProxyException;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import com.jcraft.jsch.SSHAgentConnector;
import com.jcraft.jsch.Session;
import io.github.sshcontainer.tunnel.Authentication;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import io.github.sshcontainer.tunnel.TunnelOptions;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens authenticated, host-verified JSch sessions for one set of options, to the target and
 * through the jump hosts that {@link TargetResolver} resolved: chooses credentials, and retries
 * transient failures with backoff.
 */
final class SshConnector {
  private static final Logger log = LoggerFactory.getLogger(SshConnector.class);
  /** AES-GCM first: the JDK runs it on AES-NI/CLMUL intrinsics, the fastest cipher JSch has. */
  private static final String CIPHERS = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
      + "aes128-ctr,aes192-ctr,aes256-ctr,chacha20-poly1305@openssh.com";

  /** Sleeps between attempts; tests replace it so that no test sleeps through a schedule. */
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final TunnelOptions options;
  private final ResolvedTarget target;
  private final List<ResolvedTarget> jumps;
  /** The hop sessions under each connected session, to close with it. */
  private final Map<Session, List<Session>> hops = new ConcurrentHashMap<>();
  private final Backoff backoff;
  private final Sleeper sleeper;

  public SshConnector(TunnelOptions options, Backoff backoff, Sleeper sleeper) {
    TargetResolver resolver = new TargetResolver(options);
    this.options = options;
    this.target = resolver.destination();
    this.jumps = resolver.jumps();
    this.backoff = backoff;
    this.sleeper = sleeper;
  }

  public SshConnector(TunnelOptions options) {
    this(options, new Backoff(options.retry().initialBackoff(), options.retry().maxBackoff()),
        d -> Thread.sleep(d.toMillis()));
  }

  public ResolvedTarget target() {
    return target;
  }

  /** Disconnects a session and the jump sessions under it. */
  public void disconnect(Session s) {
    s.disconnect();
    List<Session> under = hops.remove(s);
    if (under != null) {
      for (int i = under.size() - 1; i >= 0; i--) {
        under.get(i).disconnect();
      }
    }
  }

  /**
   * Connects, retrying transient failures within the attempt and time budget.
   *
   * @param threads makes the session's reader thread
   * @throws TunnelException with the reason of the last failure and the attempt count
   */
  public Session connect(ThreadFactory threads) {
    long deadline = System.nanoTime() + options.retry().deadline().toNanos();
    int attempt = 0;
    while (true) {
      attempt++;
      Attempt a = new Attempt();
      try {
        return connectOnce(threads, a);
      } catch (JSchException | RuntimeException e) {
        Failures.Classified c = Failures.classifyConnect(e, target, a.verifier);
        boolean lastTry = attempt >= options.retry().attempts() || System.nanoTime() >= deadline;
        if (!c.retryable() || lastTry) {
          String attempts = attempt == 1 ? "" : " (after " + attempt + " attempts)";
          throw new TunnelException(c.reason(), c.message() + attempts, e);
        }
        Duration wait = backoff.delay(attempt);
        log.debug("connect to {} failed ({}), attempt {} of {}; retrying in {} ms",
            target.display(), c.reason(), attempt, options.retry().attempts(), wait.toMillis());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new TunnelException(Reason.CLOSED, "interrupted while connecting to "
              + target.display(), ie);
        }
      }
    }
  }

  /**
   * One attempt, no retry: what the reconnect loop makes each round, so that the tunnel knows
   * at once when an attempt has failed (and can answer new local connections promptly).
   *
   * @throws TunnelException with the classified reason
   */
  public Session attempt(ThreadFactory threads) {
    Attempt a = new Attempt();
    try {
      return connectOnce(threads, a);
    } catch (JSchException | RuntimeException e) {
      Failures.Classified c = Failures.classifyConnect(e, target, a.verifier);
      throw new TunnelException(c.reason(), c.message(), e);
    }
  }

  private static final class Attempt {
    HostKeyVerifier verifier;
  }

  /** One TCP connect + handshake + authentication, no retry. */
  Session connectOnce(ThreadFactory threads, Attempt attempt) throws JSchException {
    JSch jsch = new JSch();
    jsch.setInstanceLogger(JschLog.INSTANCE);
    configureIdentities(jsch);
    Path kh = target.knownHosts();
    if (Files.isReadable(kh)) {
      jsch.setKnownHosts(kh.toString());
    } else {
      jsch.setKnownHosts(new ByteArrayInputStream(new byte[0]));
    }
    HostKeyVerifier verifier = new HostKeyVerifier(jsch.getHostKeyRepository(), kh,
        options.hostKeys().acceptNew(), options.hostKeys().pinnedFingerprint().orElse(null));
    attempt.verifier = verifier;
    jsch.setHostKeyRepository(verifier);

    List<Session> chain = new ArrayList<>();
    try {
      Session via = null;
      for (ResolvedTarget hop : jumps) {
        Session h = jsch.getSession(hop.user(), hop.host(), hop.port());
        configure(h, threads, hop);
        if (via != null) {
          h.setProxy(new JumpProxy(via, options.flowControl().windowSize(),
            options.flowControl().packetSize()));
        }
        h.connect((int) Math.min(Integer.MAX_VALUE, hop.connectTimeout().toMillis()));
        chain.add(h);
        via = h;
      }
      Session s = jsch.getSession(target.user(), target.host(), target.port());
      configure(s, threads, target);
      if (via != null) {
        s.setProxy(new JumpProxy(via, options.flowControl().windowSize(),
            options.flowControl().packetSize()));
      }
      s.connect((int) Math.min(Integer.MAX_VALUE, target.connectTimeout().toMillis()));
      if (!chain.isEmpty()) {
        hops.put(s, chain);
      }
      return s;
    } catch (JSchException | RuntimeException e) {
      for (int i = chain.size() - 1; i >= 0; i--) {
        chain.get(i).disconnect();
      }
      throw e;
    }
  }

  private void configure(Session s, ThreadFactory threads, ResolvedTarget where)
      throws JSchException {
    s.setConfig("StrictHostKeyChecking", "yes");
    s.setConfig("HashKnownHosts", "no");
    Authentication auth = options.authentication();
    s.setConfig("PreferredAuthentications", auth.password().isPresent()
        ? "publickey,password" : "publickey");
    // sign at once instead of first asking whether the key would do: one round trip less
    s.setConfig("enable_pubkey_auth_query", "no");
    s.setConfig("cipher.c2s", CIPHERS);
    s.setConfig("cipher.s2c", CIPHERS);
    auth.password().ifPresent(s::setPassword);
    s.setSocketFactory(new SshSocketFactory(where.connectTimeout()));
    s.setDaemonThread(true);
    s.setThreadFactory(threads);
    int keepaliveMs = (int) Math.min(Integer.MAX_VALUE, target.keepalive().toMillis());
    s.setServerAliveInterval(keepaliveMs);
    s.setServerAliveCountMax(target.keepaliveMaxMissed());
  }

  private void configureIdentities(JSch jsch) throws JSchException {
    List<Path> keys = target.identityFiles();
    byte[] passphrase = options.authentication().passphrase().orElse(null);
    if (!keys.isEmpty()) {
      for (Path key : keys) {
        checkDecrypts(key, passphrase);
        jsch.addIdentity(key.toString(), null, passphrase); // finds KEY-cert.pub too
      }
      return;
    }
    Path agentSocket = options.agentSocket().orElse(null);
    if (agentSocket != null && Files.exists(agentSocket)) { // null when the agent is off
      try {
        jsch.setIdentityRepository(new AgentIdentityRepository(
            new SSHAgentConnector(agentSocket)));
        return;
      } catch (AgentProxyException e) {
        log.debug("ssh-agent at SSH_AUTH_SOCK not usable, trying default keys", e);
      }
    }
    for (String name : new String[] {"id_ed25519", "id_ecdsa", "id_rsa"}) {
      Path key = Path.of(System.getProperty("user.home"), ".ssh", name);
      if (Files.isReadable(key)) {
        try {
          checkDecrypts(key, passphrase);
          jsch.addIdentity(key.toString(), null, passphrase); // finds KEY-cert.pub too
        } catch (TunnelException e) {
          log.debug("skipping default key {}: {}", key, e.getMessage());
        }
      }
    }
  }

  private void checkDecrypts(Path key, byte[] passphrase) throws JSchException {
    KeyPair kp = KeyPair.load(new JSch(), key.toString());
    try {
      if (kp.isEncrypted() && (passphrase == null || !kp.decrypt(passphrase))) {
        throw new TunnelException(Reason.AUTHENTICATION_FAILED, "identity file " + key
            + " is encrypted and " + (passphrase == null ? "no passphrase was given"
                : "the passphrase given does not decrypt it")
            + "; pass the right one with passphrase(...) or use an ssh-agent (logging in to "
            + target.display() + ")");
      }
    } finally {
      kp.dispose();
    }
  }
}
