package io.github.sshcontainer.gateway.internal;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.auth.password.PasswordAuthenticator;
import org.apache.sshd.server.session.ServerSession;

/**
 * Password authentication, decided by the auth webhook only (never by this host's accounts).
 * The answer comes later ({@link AsyncAuthException}), so a slow webhook does not hold MINA's
 * I/O thread. The password goes to the webhook and nowhere else: no log line, audit event or
 * message holds it.
 */
final class PasswordAuth implements PasswordAuthenticator {
  private final Supplier<Admission> admission;

  PasswordAuth(Supplier<Admission> admission) {
    this.admission = admission;
  }

  @Override
  public boolean authenticate(String user, String password, ServerSession session) {
    CompletableFuture<Admission.Verdict> verdict = admission.get().decide(user, password,
        session);
    if (verdict.isDone()) {
      return admitted(verdict.join(), session);
    }
    AsyncAuthException later = new AsyncAuthException();
    verdict.whenComplete((v, error) -> later.setAuthed(error == null && admitted(v, session)));
    throw later;
  }

  private static boolean admitted(Admission.Verdict v, ServerSession session) {
    if (v.admitted()) {
      session.setAttribute(ConnectionRegistry.IDENTITY, v.identity());
    }
    return v.admitted();
  }
}
