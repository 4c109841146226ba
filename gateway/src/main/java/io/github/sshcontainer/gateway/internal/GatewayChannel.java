package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ContainerBackend;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelListener;
import org.apache.sshd.common.channel.ChannelOutputStream;
import org.apache.sshd.common.channel.PtyMode;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.ChannelSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session channel of the gateway: MINA's, with shell, exec and subsystem mapped onto the
 * backend instead of a program on this host (nothing here ever runs one). A request the backend
 * refuses gets one stderr line, exit status 1 and a channel failure, then the channel closes.
 * It also sends {@code exit-signal}, which MINA's own session has no call for.
 */
public final class GatewayChannel extends ChannelSession {
  private static final Logger gatewayLog =
      LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private final ContainerBackend backend;
  private final ConnectionRegistry connections;
  private final Executor workers;
  /** Session channels open on this channel's connection, this one included once opened. */
  private final AtomicInteger openOnConnection;
  private final int maxSessions;
  /** Answers the {@code web-link} subsystem; null when the web terminal is off. */
  private final WebServer web;
  private volatile boolean pty;
  private volatile String term = "";
  private volatile boolean closeAfterReply;
  /** With a certificate's force-command: what the client asked to run (exec only). */
  private volatile String originalCommand;

  GatewayChannel(ContainerBackend backend, ConnectionRegistry connections, Executor workers,
      AtomicInteger openOnConnection, int maxSessions, WebServer web) {
    this.web = web;
    this.backend = backend;
    this.connections = connections;
    this.workers = workers;
    this.openOnConnection = openOnConnection;
    this.maxSessions = maxSessions;
  }

  /**
   * Opens the channel unless its connection has {@code maxSessions} open already (sshd's
   * MaxSessions): then the open fails, "administratively prohibited" with the limit named, and
   * the connection with its other sessions goes on.
   */
  @Override
  public OpenFuture open(long recipient, long rwSize, long packetSize, Buffer buffer) {
    if (openOnConnection.incrementAndGet() > maxSessions) {
      openOnConnection.decrementAndGet();
      String why = "gateway: this connection has " + maxSessions
          + (maxSessions == 1 ? " session" : " sessions") + " open, the limit per connection; "
          + "end one first";
      gatewayLog.info("gateway connection {}: session refused: {}",
          connections.idOf(getSession()), why);
      AuditLog.of(getSession()).event("refused", "request", "session", "reason", why);
      // the failure is sent here, not through the returned future: MINA would replace its
      // description with "Generic error while opening channel", and the client would never
      // learn which limit it met. The future never completes, so MINA sends nothing more.
      try {
        Buffer failure = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN_FAILURE,
            why.length() + 32);
        failure.putUInt(recipient);
        failure.putUInt(SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED);
        failure.putString(why);
        failure.putString(""); // language tag
        getSession().writePacket(failure);
      } catch (IOException e) {
        getSession().exceptionCaught(e);
      }
      close(true); // unregisters it; nothing goes to the client
      return new DefaultOpenFuture(this, futureLock);
    }
    AtomicBoolean counted = new AtomicBoolean(true); // a close frees its slot once
    connections.sessionOpened();
    AuditLog.of(getSession()).event("channel", "channel", getChannelId());
    addChannelListener(new ChannelListener() {
      @Override
      public void channelClosed(Channel channel, Throwable reason) {
        if (counted.getAndSet(false)) {
          openOnConnection.decrementAndGet();
          connections.sessionClosed();
        }
      }
    });
    return super.open(recipient, rwSize, packetSize, buffer);
  }

  @Override
  protected RequestHandler.Result handlePtyReqParsed(String term, int columns, int rows,
      int width, int height, Map<PtyMode, Integer> modes) throws IOException {
    LoginIdentity identity = getSession().getAttribute(ConnectionRegistry.IDENTITY);
    if (identity != null && !identity.permitsPty()) {
      // as sshd: the pty is refused, the session may go on without one
      gatewayLog.info("gateway connection {}: pty refused: the certificate (key id '{}') has "
          + "no permit-pty", connections.idOf(getSession()), identity.certificate()
              .map(LoginIdentity.Certificate::keyId).orElse(""));
      AuditLog.of(getSession()).event("refused", "channel", getChannelId(), "request", "pty",
          "reason", "certificate without permit-pty");
      return RequestHandler.Result.ReplyFailure;
    }
    this.pty = true;
    this.term = term;
    AuditLog.of(getSession()).event("pty", "channel", getChannelId(), "term", term,
        "columns", columns, "rows", rows);
    return super.handlePtyReqParsed(term, columns, rows, width, height, modes);
  }

  /** Only the name goes in the audit log: values can be secrets. */
  @Override
  protected RequestHandler.Result handleEnvParsed(String name, String value)
      throws IOException {
    if (name.equals("SSH_ORIGINAL_COMMAND")) {
      return RequestHandler.Result.ReplySuccess; // the gateway's to set, never the client's
    }
    AuditLog.of(getSession()).event("env", "channel", getChannelId(), "name", name);
    return super.handleEnvParsed(name, value);
  }

  @Override
  protected RequestHandler.Result handleShellParsed(String request) throws IOException {
    return start(request, SessionRequest.shell());
  }

  @Override
  protected RequestHandler.Result handleExecParsed(String request, String command)
      throws IOException {
    return start(request, SessionRequest.exec(command));
  }

  @Override
  protected RequestHandler.Result handleSubsystemParsed(String request, String name)
      throws IOException {
    return start(request, SessionRequest.subsystem(name));
  }

  private RequestHandler.Result start(String type, SessionRequest asked) throws IOException {
    if (isClosing()) {
      return RequestHandler.Result.ReplyFailure;
    }
    AuditLog.Connection audit = AuditLog.of(getSession());
    SessionRequest request = asked;
    LoginIdentity identity = getSession().getAttribute(ConnectionRegistry.IDENTITY);
    if (identity != null && identity.forceCommand().isPresent()) {
      // as sshd: the certificate's command runs whatever was asked (a subsystem too); what
      // was asked is in SSH_ORIGINAL_COMMAND
      request = SessionRequest.exec(identity.forceCommand().get());
      originalCommand = asked.kind() == SessionRequest.Kind.EXEC ? asked.argument() : null;
      audit.event("force-command", "channel", getChannelId(), "asked", asked.toString(),
          "command", request.argument());
      gatewayLog.debug("gateway connection {}: {} replaced by the certificate's force-command",
          connections.idOf(getSession()), asked);
    }
    if (request.kind() == SessionRequest.Kind.SUBSYSTEM
        && request.argument().equals(WEB_LINK)) {
      return webLink(audit);
    }
    switch (request.kind()) {
      case EXEC -> audit.event("exec", "channel", getChannelId(), "command",
          request.argument());
      case SUBSYSTEM -> audit.event("subsystem", "channel", getChannelId(), "name",
          request.argument());
      default -> audit.event("shell", "channel", getChannelId());
    }
    try {
      backend.checkRequest(request);
    } catch (BackendException refused) {
      audit.event("refused", "channel", getChannelId(), "request", request.toString(),
          "reason", refused.getMessage());
      refuse(refused.getMessage());
      return RequestHandler.Result.ReplyFailure;
    }
    if (audit.refusesSessions()) {
      gatewayLog.info("gateway connection {}: {} refused: the audit log cannot be written",
          connections.idOf(getSession()), request);
      refuse(AuditLog.REFUSAL);
      return RequestHandler.Result.ReplyFailure;
    }
    commandInstance = new BackendCommand(this, request, connections.handlerOf(getServerSession()),
        workers, connections.logContextOf(getServerSession()));
    return prepareChannelCommand(type, commandInstance);
  }

  /** The subsystem the gateway answers itself: a login link to its web terminal. */
  static final String WEB_LINK = "web-link";

  /**
   * {@code ssh -s web-link}: one line, a login link for this connection's user, valid once
   * for the web terminal's link ttl. Answered here: it never reaches the backend (in
   * connection mode the connection's own container was made at authentication, as for any
   * login, and goes with the connection). A certificate without permit-pty or with a
   * source-address restriction is refused: the link would get round both. The audit log gets
   * the request, never the token.
   */
  private RequestHandler.Result webLink(AuditLog.Connection audit) throws IOException {
    audit.event("subsystem", "channel", getChannelId(), "name", WEB_LINK);
    String user = getSession().getUsername();
    if (web == null) {
      refuse("the web terminal is not on at this gateway (the operator starts it with --web)");
      return RequestHandler.Result.ReplyFailure;
    }
    LoginIdentity identity = getSession().getAttribute(ConnectionRegistry.IDENTITY);
    String restricted = identity == null ? null : identity.certificate().map(c -> !c.permitsPty()
        ? "the certificate (key id '" + c.keyId() + "') has no permit-pty"
        : c.criticalOptions().containsKey("source-address") ? "the certificate (key id '"
            + c.keyId() + "') has a source-address restriction" : null).orElse(null);
    if (restricted != null) {
      // a link's session is a pty shell from whatever address opens the link: it would get
      // round both restrictions, so such a certificate makes no links
      audit.event("refused", "channel", getChannelId(), "request", "subsystem " + WEB_LINK,
          "reason", restricted);
      gatewayLog.info("gateway connection {}: web link refused: {}",
          connections.idOf(getSession()), restricted);
      refuse(restricted + ", and a web terminal link gives a pty shell from any address; "
          + "ask for a certificate with permit-pty and no source-address, or use ssh");
      return RequestHandler.Result.ReplyFailure;
    }
    try {
      web.checkShell(); // a link to a shell the policy disables would only be refused later
    } catch (BackendException refused) {
      audit.event("refused", "channel", getChannelId(), "request", "subsystem " + WEB_LINK,
          "reason", refused.getMessage());
      refuse(refused.getMessage());
      return RequestHandler.Result.ReplyFailure;
    }
    java.net.SocketAddress reached = getSession().getIoSession().getLocalAddress();
    String link = web.link(user, reached instanceof java.net.InetSocketAddress i ? i : null);
    String name = WebLinks.nameOf(link);
    audit.event("web-link", "channel", getChannelId(), "link", name);
    gatewayLog.info("gateway connection {}: web terminal link {} made for {}",
        connections.idOf(getSession()), name, user);
    OutputStream stdout = new ChannelOutputStream(this, getRemoteWindow(), log,
        SshConstants.SSH_MSG_CHANNEL_DATA, false);
    stdout.write((link + "\n").getBytes(StandardCharsets.UTF_8));
    stdout.flush();
    sendExitStatus(0);
    closeAfterReply = true;
    return RequestHandler.Result.ReplySuccess;
  }

  /** One stderr line and exit status 1 now; the channel closes after the failure reply. */
  private void refuse(String why) throws IOException {
    OutputStream err = new ChannelOutputStream(this, getRemoteWindow(), log,
        SshConstants.SSH_MSG_CHANNEL_EXTENDED_DATA, false);
    err.write(("gateway: " + why + "\r\n").getBytes(StandardCharsets.UTF_8));
    err.flush();
    sendExitStatus(1);
    closeAfterReply = true;
  }

  @Override
  protected IoWriteFuture sendResponse(Buffer buffer, String req, RequestHandler.Result result,
      boolean wantReply) throws IOException {
    IoWriteFuture f = super.sendResponse(buffer, req, result, wantReply);
    if (closeAfterReply) {
      closeAfterReply = false;
      sendEof();
      close(false);
    }
    return f;
  }

  /** What the client asked to run when a force-command replaced it (exec), else null. */
  String originalCommand() {
    return originalCommand;
  }

  boolean pty() {
    return pty;
  }

  String term() {
    return term;
  }

  /**
   * The program's end, with exit-status ahead of EOF (MINA sends EOF first). A client whose
   * own input is already at EOF, as OpenSSH's ControlMaster with stdin at /dev/null, answers our
   * EOF with CLOSE at once; an exit-status sent after that is discarded, and the client then
   * reports 255 instead of the program's code.
   */
  @Override
  protected void closeShell(int exitValue, boolean closeImmediately) throws IOException {
    if (isClosing()) {
      commandExitFuture.setClosed();
      return;
    }
    if (out != null) {
      out.flush(); // every byte of output before the status
    }
    sendExitStatus(exitValue);
    if (out != null) {
      out.close();
    }
    sendEof();
    commandExitFuture.setClosed();
    close(closeImmediately);
  }

  /** Ends the channel with {@code exit-signal}: the program died of {@code signal}. */
  void exitWithSignal(String signal) throws IOException {
    if (isClosing()) {
      return;
    }
    Buffer b = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 64);
    b.putUInt(getRecipient());
    b.putString("exit-signal");
    b.putBoolean(false);
    b.putString(signal);
    b.putBoolean(false); // no core dump
    b.putString("");
    b.putString("");
    writePacket(b);
    if (out != null) {
      out.close();
    }
    sendEof();
    commandExitFuture.setClosed();
    close(false);
  }
}
