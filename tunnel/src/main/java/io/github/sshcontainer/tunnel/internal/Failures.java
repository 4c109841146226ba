package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelException.Reason;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/** Turns JSch's failures into a reason, an actionable message, and whether to retry. */
final class Failures {
  private Failures() {}

  record Classified(Reason reason, String message, boolean retryable) {}

  static Classified classifyConnect(Throwable e, ResolvedTarget t, HostKeyVerifier v) {
    if (e instanceof TunnelException te) {
      return new Classified(te.reason(), te.getMessage(), false);
    }
    String who = t.display();
    if (e instanceof JSchUnknownHostKeyException
        || (v != null && v.outcome() == HostKeyVerifier.Outcome.UNKNOWN)) {
      String keyscanPort = t.port() == 22 ? "" : "-p " + t.port() + " ";
      return new Classified(Reason.HOST_KEY_UNKNOWN, "the host key of " + t.knownHostsName()
          + " is not known" + offered(v) + " and unknown hosts are refused. Check the fingerprint"
          + " with the host's administrator, then add it with `ssh-keyscan " + keyscanPort
          + t.host() + " >> " + t.knownHosts() + "`, or pass acceptNewHostKeys(true) to trust it"
          + " on first use, or pin it with hostKeyFingerprint(\"" + fingerprintOr(v) + "\")",
          false);
    }
    if (v != null && v.outcome() == HostKeyVerifier.Outcome.PIN_MISMATCH) {
      return new Classified(Reason.HOST_KEY_CHANGED, "the host key of " + t.knownHostsName()
          + offered(v) + " does not match the pinned fingerprint " + v.pinned()
          + ": this may be a man-in-the-middle attack. Connection refused; if the host really "
          + "got a new key, pin the new fingerprint after checking it with the administrator",
          false);
    }
    if (e instanceof JSchChangedHostKeyException
        || (v != null && v.outcome() == HostKeyVerifier.Outcome.CHANGED)) {
      return new Classified(Reason.HOST_KEY_CHANGED, "the host key of " + t.knownHostsName()
          + " has CHANGED" + offered(v) + "; " + t.knownHosts() + " holds a different key. This "
          + "may be a man-in-the-middle attack, so the connection is refused (accept-new never "
          + "replaces a known key). If the host was reinstalled, remove the old key with "
          + "`ssh-keygen -R '" + t.knownHostsName() + "' -f " + t.knownHosts()
          + "` and add the new one", false);
    }
    String text = String.valueOf(e.getMessage());
    if (text.startsWith("Auth fail") || text.startsWith("Auth cancel")
        || text.contains("Too many authentication failures")) {
      return new Classified(Reason.AUTHENTICATION_FAILED, "authentication as " + t.user()
          + " to " + who + " failed (" + scrub(text) + "); keys offered: "
          + (t.identityFiles().isEmpty() ? "ssh-agent or default keys" : t.identityFiles())
          + ". Check that the public key is in the server's authorized_keys for " + t.user()
          + ", the user name, and the passphrase or password", false);
    }
    Throwable cause = rootCause(e);
    if (cause instanceof UnknownHostException) {
      return new Classified(Reason.CANNOT_CONNECT, "cannot connect to " + who + ": host '"
          + t.host() + "' is unknown. Check the name, or add a Host entry for it to ~/.ssh/config",
          false);
    }
    if (cause instanceof SocketTimeoutException || text.startsWith("timeout")) {
      return new Classified(Reason.TIMED_OUT, "connecting to " + who + " timed out after "
          + t.connectTimeout().toMillis() + " ms. Check that the host is up and port " + t.port()
          + " is reachable, or raise connectTimeout", true);
    }
    if (cause instanceof ConnectException) {
      return new Classified(Reason.CANNOT_CONNECT, "cannot connect to " + who + ": "
          + scrub(cause.getMessage()) + ". Check that sshd runs there and listens on port "
          + t.port(), true);
    }
    if (cause instanceof NoRouteToHostException) {
      return new Classified(Reason.CANNOT_CONNECT, "cannot connect to " + who
          + ": no route to host. Check the address and the network", true);
    }
    if (cause instanceof SocketException || text.contains("closed by foreign host")
        || text.contains("session is down") || cause instanceof EOFException) {
      return new Classified(Reason.CANNOT_CONNECT, "cannot connect to " + who
          + ": the connection was closed during the handshake (" + scrub(text)
          + "). Check sshd's log on the host; it may limit connections (MaxStartups)", true);
    }
    return new Classified(Reason.CANNOT_CONNECT, "cannot connect to " + who + ": "
        + scrub(text), false);
  }

  private static String offered(HostKeyVerifier v) {
    if (v == null || v.offeredFingerprint() == null) {
      return "";
    }
    return " (the server offered " + v.offeredType() + " " + v.offeredFingerprint() + ")";
  }

  private static String fingerprintOr(HostKeyVerifier v) {
    return v != null && v.offeredFingerprint() != null ? v.offeredFingerprint() : "SHA256:...";
  }

  static Throwable rootCause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  /** JSch messages never carry secrets, but keep them to one line. */
  static String scrub(String s) {
    return s == null ? "" : s.replace('\n', ' ').trim();
  }
}
