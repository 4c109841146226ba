package io.github.sshcontainer.gateway.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.UserAuthFactory;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;

/**
 * The server's authentication methods, with the {@link Admission} in force: publickey always,
 * password only when the admission offers it; no keyboard-interactive, host-based or GSSAPI.
 * A reload replaces the admission for the requests that come next; the old one's webhook is
 * closed once the calls it may still have in flight are past their deadline.
 */
public final class Authentication implements AutoCloseable {
  /** Longer than any webhook timeout an operator would set, so in-flight calls end first. */
  private static final long RETIRE_AFTER_SECONDS = 120;

  /** MINA's I/O threads with an auth webhook: waits for it hold one each (see PublicKeyAuth). */
  public static final int IO_THREADS_WITH_WEBHOOK = 64;

  private volatile Admission admission;
  private final ScheduledExecutorService timer;
  private Semaphore waiting = new Semaphore(1);

  public Authentication(Admission admission, ScheduledExecutorService timer) {
    this.admission = admission;
    this.timer = timer;
  }

  /** Sets the server's methods and authenticators. */
  public void install(SshServer sshd) {
    if (admission.hasWebhook()) {
      CoreModuleProperties.NIO_WORKERS.set(sshd, IO_THREADS_WITH_WEBHOOK);
    }
    int io = CoreModuleProperties.NIO_WORKERS.getRequired(sshd);
    waiting = new Semaphore(Math.max(1, io - 2));
    sshd.setPublickeyAuthenticator(PublicKeyAuth.decided());
    sshd.setKeyboardInteractiveAuthenticator(null);
    sshd.setGSSAuthenticator(null);
    sshd.setHostBasedAuthenticator(null);
    methods(sshd);
  }

  private void methods(SshServer sshd) {
    Admission a = admission;
    List<UserAuthFactory> factories = new ArrayList<>();
    factories.add(PublicKeyAuth.factory(() -> admission, waiting));
    if (a.passwords()) {
      factories.add(UserAuthPasswordFactory.INSTANCE);
      sshd.setPasswordAuthenticator(new PasswordAuth(() -> admission));
      CoreModuleProperties.AUTH_METHODS.set(sshd, "publickey password");
    } else {
      sshd.setPasswordAuthenticator(null);
      CoreModuleProperties.AUTH_METHODS.set(sshd, "publickey");
    }
    sshd.setUserAuthFactories(factories);
  }

  /** New requests are decided by {@code next}. */
  public void replace(Admission next, SshServer sshd) {
    Admission old = admission;
    admission = next;
    methods(sshd);
    try {
      timer.schedule(old::close, RETIRE_AFTER_SECONDS, TimeUnit.SECONDS);
    } catch (RejectedExecutionException closing) {
      old.close();
    }
  }

  @Override
  public void close() {
    admission.close();
  }
}
