package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionIo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The program of one session channel, as MINA sees it: its start hands the channel's streams,
 * env and pty to the backend, then window changes, signals and the close follow, every one
 * through the session's {@link SerialExecutor}: in the client's order, off MINA's I/O threads
 * (a container may be starting), a signal sent during the start held until the program runs.
 * The backend's exit becomes exit-status or exit-signal. A failure is one stderr line and exit
 * status 1.
 */
final class BackendCommand implements Command {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** What MINA itself puts in the environment; the client's own env requests are the rest. */
  private static final Set<String> MINA_VARIABLES = Set.of(Environment.ENV_USER,
      Environment.ENV_COLUMNS, Environment.ENV_LINES, Environment.ENV_TERM);

  private final GatewayChannel channel;
  private final SessionRequest request;
  private final CompletableFuture<ConnectionHandler> connection;
  private final SerialExecutor serial;
  private final String connectionId;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean destroyed = new AtomicBoolean();
  private final AtomicBoolean released = new AtomicBoolean();
  private InputStream in;
  private OutputStream out;
  private OutputStream err;
  private ExitCallback exit;
  private volatile SessionHandler handler;
  private final AuditLog.Connection audit;
  private volatile AuditLog.Recording recording;

  BackendCommand(GatewayChannel channel, SessionRequest request,
      CompletableFuture<ConnectionHandler> connection, Executor workers,
      Map<String, String> logContext) {
    this.channel = channel;
    this.request = request;
    this.connection = connection;
    this.serial = new SerialExecutor(workers, logContext);
    this.connectionId = logContext.getOrDefault("connection", "?");
    this.audit = AuditLog.of(channel.getSession());
    audit.sessionBegan();
  }

  @Override
  public void setInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void setErrorStream(OutputStream err) {
    this.err = err;
  }

  @Override
  public void setExitCallback(ExitCallback callback) {
    this.exit = callback;
  }

  @Override
  public void start(ChannelSession ignored, Environment env) {
    env.addSignalListener((ch, signal) -> {
      if (signal == Signal.WINCH) {
        // the size is read here, on the thread that set it: the next change may follow at once
        int columns = number(env, Environment.ENV_COLUMNS, 80);
        int rows = number(env, Environment.ENV_LINES, 24);
        audit.event("window-change", "channel", channel.getChannelId(), "columns", columns,
            "rows", rows);
        serial.execute(() -> {
          AuditLog.Recording r = recording;
          if (r != null) {
            r.resize(columns, rows);
          }
          SessionHandler h = handler;
          if (h != null) {
            h.onWindowChange(columns, rows);
          }
        });
      } else {
        audit.event("signal", "channel", channel.getChannelId(), "name", signal.name());
        serial.execute(() -> {
          SessionHandler h = handler;
          if (h != null) {
            h.onSignal(signal.name());
          }
        });
      }
    });
    serial.execute(() -> {
      ConnectionHandler conn;
      try {
        conn = connection.join(); // bounded by the backend's start timeout
      } catch (CompletionException | CancellationException e) {
        fail(cause(e));
        return;
      }
      run(conn, env);
    });
  }

  private void run(ConnectionHandler conn, Environment env) {
    if (destroyed.get()) {
      return;
    }
    SessionHandler h;
    try {
      h = conn.onSessionChannel();
    } catch (RuntimeException e) {
      fail(new BackendException(BackendException.Reason.UNAVAILABLE, "the connection is "
          + "closing", e));
      return;
    }
    handler = h;
    AuditLog.Recording r = null;
    if (audit.active() && request.kind() != SessionRequest.Kind.SUBSYSTEM) {
      // a subsystem speaks a binary protocol (sftp): its audit is its requests, not its bytes
      r = channel.pty() ? audit.record(channel.getChannelId(), number(env,
          Environment.ENV_COLUMNS, 80), number(env, Environment.ENV_LINES, 24), channel.term())
          : audit.record(channel.getChannelId(), 80, 24, null);
      if (r == null && audit.refusesSessions()) {
        h.close();
        fail(new BackendException(BackendException.Reason.REFUSED, AuditLog.REFUSAL));
        return;
      }
      recording = r;
    }
    InputStream stdin = audit.input(in, r);
    OutputStream stdout = audit.output(out, r);
    OutputStream stderr = audit.output(err, r);
    for (Map.Entry<String, String> v : env.getEnv().entrySet()) {
      if (!MINA_VARIABLES.contains(v.getKey())) {
        h.onEnv(v.getKey(), v.getValue());
      }
    }
    if (channel.originalCommand() != null) {
      h.onEnv("SSH_ORIGINAL_COMMAND", channel.originalCommand());
    }
    if (channel.pty()) {
      h.onPty(channel.term(), number(env, Environment.ENV_COLUMNS, 80),
          number(env, Environment.ENV_LINES, 24));
    }
    try {
      h.onStart(request, new SessionIo() {
        @Override
        public InputStream stdin() {
          return stdin;
        }

        @Override
        public OutputStream stdout() {
          return stdout;
        }

        @Override
        public OutputStream stderr() {
          return stderr;
        }

        @Override
        public void exited(ExitStatus status) {
          finish(status);
        }
      });
      for (String id : conn.containers()) {
        audit.container(id, conn.shapedBy());
      }
      if (destroyed.get()) {
        h.close();
      }
    } catch (BackendException e) {
      fail(e);
    } catch (RuntimeException e) {
      log.warn("gateway connection {}: {} failed: {}", connectionId, request, e.toString());
      fail(new BackendException(BackendException.Reason.FAILED, "the session could not start",
          e));
    }
  }

  private static BackendException cause(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c instanceof BackendException b ? b : new BackendException(
        BackendException.Reason.FAILED, "the session could not start", c);
  }

  private void fail(BackendException e) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    audit.event("exit", "channel", channel.getChannelId(), "status", 1, "error",
        e.getMessage());
    endRecording();
    released();
    try {
      err.write(("gateway: " + e.getMessage() + "\r\n").getBytes(StandardCharsets.UTF_8));
      err.flush();
    } catch (IOException gone) {
      // the client went away: nothing to tell
    }
    exit.onExit(1, e.getMessage());
  }

  private void finish(ExitStatus status) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      out.flush();
    } catch (IOException gone) {
      // the channel is closing
    }
    audit.event("exit", "channel", channel.getChannelId(), "status", status.isSignal() ? null
        : status.code(), "signal", status.signal().orElse(null));
    endRecording();
    released();
    if (status.isSignal()) {
      try {
        channel.exitWithSignal(status.signal().orElseThrow());
      } catch (IOException e) {
        exit.onExit(status.code());
      }
    } else {
      exit.onExit(status.code());
    }
  }

  private static int number(Environment env, String name, int fallback) {
    try {
      return Integer.parseInt(env.getEnv().getOrDefault(name, String.valueOf(fallback)));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** Once: the audit log may close when its connection has and every session is released. */
  private void released() {
    if (released.compareAndSet(false, true)) {
      audit.sessionEnded();
    }
  }

  private void endRecording() {
    AuditLog.Recording r = recording;
    if (r != null) {
      r.close();
    }
  }

  @Override
  public void destroy(ChannelSession ignored) {
    if (destroyed.compareAndSet(false, true)) {
      serial.execute(() -> {
        endRecording();
        SessionHandler h = handler;
        if (h != null) {
          h.close();
        } else {
          released(); // never started: no exit to wait for
        }
      });
    }
  }
}
