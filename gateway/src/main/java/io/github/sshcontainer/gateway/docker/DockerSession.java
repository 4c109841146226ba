package io.github.sshcontainer.gateway.docker;

import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.DockerExec;
import io.github.sshcontainer.docker.ExecSession;
import io.github.sshcontainer.docker.ExecSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionIo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import io.github.sshcontainer.tunnel.TunnelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session channel of the Docker backend: its program is an exec in the connection's
 * container, or (session mode) a container of its own. The program's stdio is joined straight
 * to the channel's streams: docker-java's stream thread writes the output into the channel, and
 * the exit is reported once all of it was written.
 */
final class DockerSession implements SessionHandler {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  /** What a shell takes as a variable name. */
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final DockerConnection connection;
  private final int number;
  private final Map<String, String> env = new LinkedHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private String term;
  private int columns;
  private int rows;
  private volatile ExecSession running;
  private volatile SessionRequest request;
  /** Signals that came before the program ran (guarded by this). */
  private final List<String> pendingSignals = new ArrayList<>();

  DockerSession(DockerConnection connection, int number) {
    this.connection = connection;
    this.number = number;
  }

  /**
   * The gateway's policy has already dropped the names it does not allow; the names the
   * gateway sets itself ({@link SessionUser#setByGateway}) are dropped here.
   */
  @Override
  public synchronized void onEnv(String name, String value) {
    if (!ENV_NAME.matcher(name).matches()) {
      log.debug("gateway connection {}: env name '{}' is not a variable name; dropped",
          connection.info().connectionId(), name);
    } else if (SessionUser.setByGateway(name)) {
      log.debug("gateway connection {}: env {} from the client dropped: the gateway sets it",
          connection.info().connectionId(), name);
    } else {
      env.put(name, value);
    }
  }

  @Override
  public synchronized void onPty(String term, int columns, int rows) {
    this.term = term;
    this.columns = Math.max(1, columns);
    this.rows = Math.max(1, rows);
  }

  private List<String> argv(SessionRequest r) {
    DockerBackendOptions o = connection.options();
    return switch (r.kind()) {
      case SHELL -> o.shell();
      case EXEC -> {
        List<String> a = new ArrayList<>(o.shell());
        a.add("-c");
        a.add(r.argument());
        yield a;
      }
      case SUBSYSTEM -> o.subsystems().get(r.argument());
    };
  }

  @Override
  public void onStart(SessionRequest r, SessionIo io) {
    this.request = r;
    List<String> program = argv(r);
    if (program == null) {
      throw new BackendException(Reason.REFUSED, "no subsystem '" + r.argument() + "'");
    }
    SessionUser user = connection.user();
    Map<String, String> vars;
    String tty;
    int c;
    int h;
    synchronized (this) {
      vars = new LinkedHashMap<>(env);
      tty = r.kind() == SessionRequest.Kind.SUBSYSTEM ? null : term;
      c = columns;
      h = rows;
    }
    vars.putAll(user.env(connection.info()));
    if (tty != null) {
      vars.put("TERM", tty);
    }
    List<String> argv = user.argv(program, tty != null);
    ExecSession s;
    try {
      if (connection.container() != null) { // connection and user mode: an exec
        ExecSpec.Builder spec = ExecSpec.of(argv).stdin(io.stdin()).stdout(io.stdout())
            .stderr(io.stderr()).stopTimeout(connection.spec().stopTimeout());
        vars.forEach(spec::env);
        if (user.dockerUser() != null) {
          spec.user(user.dockerUser());
        }
        if (tty != null) {
          spec.tty(c, h);
        }
        ExecSpec exec = spec.build();
        try {
          s = DockerExec.start(connection.docker(), connection.container().id(), exec);
        } catch (RemoteDockerException gone) {
          // user mode: the user's container went behind the gateway's back since it was last
          // seen running; the exec was not created, so it runs in a new one
          OnDemandContainer fresh = dead(gone) ? connection.replaceDeadContainer() : null;
          if (fresh == null) {
            throw gone;
          }
          s = DockerExec.start(connection.docker(), fresh.id(), exec);
        }
      } else {
        ContainerSpec.Builder spec = connection.spec().toBuilder().command(argv);
        String name = connection.options().containerNameFor(connection.info().user(),
            connection.info().connectionId(), number);
        if (name != null) {
          spec.name(name);
        }
        vars.forEach(spec::env);
        if (user.dockerUser() != null) {
          spec.user(user.dockerUser());
        }
        if (tty != null) {
          spec.tty(c, h);
        }
        long t0 = System.nanoTime();
        s = OnDemandContainer.start(connection.docker(), spec.build(), io.stdin(), io.stdout(),
            io.stderr());
        connection.containerMade(s.containerId());
        connection.events().containerStarted(connection.info(),
            Duration.ofNanos(System.nanoTime() - t0));
      }
    } catch (RemoteDockerException | TunnelException e) {
      log.warn("gateway connection {} session {}: {} failed: {}",
          connection.info().connectionId(), number, r, e.getMessage());
      connection.sessionEnded(this, null);
      throw DockerFailures.of(e, connection.options().container().image());
    }
    List<String> held;
    synchronized (this) {
      running = s;
      held = List.copyOf(pendingSignals);
      pendingSignals.clear();
    }
    if (closed.get()) {
      s.close();
    }
    s.onExit(status -> {
      connection.sessionEnded(this, status);
      io.exited(status);
    });
    for (String signal : held) {
      deliver(s, signal);
    }
  }

  private static boolean dead(RemoteDockerException e) {
    return e.reason() == RemoteDockerException.Reason.CONTAINER_NOT_FOUND
        || e.reason() == RemoteDockerException.Reason.CONTAINER_FAILED;
  }

  @Override
  public void onWindowChange(int columns, int rows) {
    synchronized (this) {
      this.columns = Math.max(1, columns);
      this.rows = Math.max(1, rows);
    }
    ExecSession s = running;
    if (s != null) {
      s.resize(Math.max(1, columns), Math.max(1, rows));
    }
  }

  /** A signal that comes before the program runs is held and delivered once it does. */
  @Override
  public void onSignal(String signal) {
    ExecSession s;
    synchronized (this) {
      s = running;
      if (s == null) {
        if (!closed.get() && pendingSignals.size() < 16) {
          pendingSignals.add(signal);
        }
        return;
      }
    }
    deliver(s, signal);
  }

  private void deliver(ExecSession s, String signal) {
    try {
      s.signal(signal);
    } catch (RuntimeException e) {
      log.debug("gateway connection {} session {}: signal {} not delivered: {}",
          connection.info().connectionId(), number, signal, e.getMessage());
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ExecSession s = running;
    if (s != null) {
      s.close();
    }
    if (request == null || s == null) {
      connection.sessionEnded(this, null);
    }
  }
}
