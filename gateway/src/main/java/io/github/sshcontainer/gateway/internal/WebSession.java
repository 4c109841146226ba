package io.github.sshcontainer.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.docker.ExitStatus;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionHandler;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.SessionHandler;
import io.github.sshcontainer.gateway.backend.SessionIo;
import io.github.sshcontainer.gateway.backend.SessionRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session of the web terminal: a gateway connection as an SSH one is (the backend's
 * connection handler, counted against the limits, audited), with one shell on a pty, reached
 * by the page's websocket. The websocket may drop and a new one re-attach within the
 * reconnect window; the shell runs on meanwhile.
 *
 * <p>Bounds, per session: output queued for or in flight to the page, {@link #OUTPUT_BOUND}
 * (1 MiB) plus one chunk ({@link #CHUNK}, 16 KiB); past it the thread that pumps the shell's
 * output waits, so the shell stops being read and a page that cannot keep up stalls only its
 * own session. While no page is attached the output is kept within the same bound, the oldest
 * dropped (the page is told how much: {@code {"type":"lost"}}). Input from the page, {@link
 * #INPUT_BOUND} (64 KiB) plus one message (64 KiB at most); past it no more frames are read from
 * the websocket until the shell has taken half. Thread-safe.
 */
public final class WebSession {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int OUTPUT_BOUND = 1 << 20;
  static final int CHUNK = 16 << 10;
  static final int INPUT_BOUND = 64 << 10;
  static final String TERM = "xterm-256color";
  /**
   * Close codes the page does not retry on (app.js): the session ended (the reason says why:
   * the gateway closing, the idle timeout, the reconnect window passed), another page took
   * it, the cookie is not the session's, no such session.
   */
  static final int ENDED = 4000;
  static final int TAKEN_OVER = 4001;
  static final int NOT_YOURS = 4003;
  static final int NO_SUCH_SESSION = 4004;

  final String id;
  final String sid;
  /** The cookie a page must present; a login of the same browser re-keys it. */
  volatile String cookie;
  final String user;
  private final ConnectionInfo info;
  private final WebServer server;
  private final CompletableFuture<ConnectionHandler> connection;
  private final AuditLog.Connection audit;
  private final Map<String, String> logContext;
  private final SerialExecutor serial;
  private final Input input = new Input();
  private final Output output = new Output();

  private final Object lock = new Object();
  // guarded by lock
  private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
  private long queued;
  private long lost;
  private Endpoint attached;
  private Flusher flusher;
  private boolean startAsked;
  private boolean started;
  private String container = "";
  private ExitStatus exit;
  private boolean exitSent;
  private boolean ended;
  private ScheduledFuture<?> expiry;
  private long peak;
  /** The latest size a page asked for, applied by at most one queued task. */
  private int wantColumns;
  private int wantRows;
  private boolean resizeQueued;
  // on the serial executor only: the size the shell has now
  private int columnsNow;
  private int rowsNow;

  /** When the page last typed or resized, or the shell last wrote (System.nanoTime). */
  private volatile long lastActive = System.nanoTime();
  private volatile SessionHandler handler;
  private volatile AuditLog.Recording recording;
  /** Counted as an open session (the registry's gauge): uncounted exactly once. */
  private final AtomicBoolean counted = new AtomicBoolean();
  /** Begun in the audit: ended there exactly once (an exit and an end may race). */
  private final AtomicBoolean began = new AtomicBoolean();

  WebSession(String id, String sid, String cookie, ConnectionInfo info, WebServer server,
      CompletableFuture<ConnectionHandler> connection, AuditLog.Connection audit,
      Map<String, String> logContext) {
    this.id = id;
    this.sid = sid;
    this.cookie = cookie;
    this.user = info.user();
    this.info = info;
    this.server = server;
    this.connection = connection;
    this.audit = audit;
    this.logContext = logContext;
    this.serial = new SerialExecutor(server.workers(), logContext);
  }

  /** A chunk of output, filled up to {@link #CHUNK} while it waits. */
  private static final class Chunk {
    final byte[] bytes = new byte[CHUNK];
    int off;
    int len;
  }

  /** Waits for a page until the reconnect window has passed, then ends. */
  void awaitPage(Duration window) {
    synchronized (lock) {
      if (ended || attached != null) {
        return;
      }
      if (expiry != null) {
        expiry.cancel(false);
      }
      try {
        expiry = server.timer().schedule(() -> end("no page came back within "
            + window.toSeconds() + " s"), window.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        // the gateway is closing: it ends every session itself
      }
    }
  }

  /**
   * Whether nothing came from the page or the shell for {@code idle} (the websocket's pings
   * do not count): a forgotten tab ends as an idle SSH connection does.
   */
  boolean idleFor(Duration idle) {
    return System.nanoTime() - lastActive > idle.toNanos();
  }

  /** Output bytes held now (queued and in flight): the flow control's diagnostic. */
  long buffered() {
    synchronized (lock) {
      return queued + (flusher == null ? 0 : flusher.inFlight);
    }
  }

  /** The most output ever held at once. */
  long peakBuffered() {
    synchronized (lock) {
      return peak;
    }
  }

  /** A websocket endpoint for a page of {@code columns} x {@code rows}. */
  Endpoint endpoint(int columns, int rows) {
    return new Endpoint(columns, rows);
  }

  /**
   * Pings the attached page, or, if nothing came from it for three pings while its frames
   * were being read (a laptop closed for good, a network gone without a word, which TCP takes
   * many minutes to notice), takes it for gone: its websocket is dropped and the session
   * waits the reconnect window for a page, as for any page that went.
   */
  void ping() {
    Endpoint e;
    synchronized (lock) {
      e = attached;
    }
    Session ws = e == null ? null : e.ws;
    if (ws == null || !ws.isOpen()) {
      return;
    }
    Duration silent = Duration.ofNanos(System.nanoTime() - e.lastHeard);
    if (silent.compareTo(server.options().ping().multipliedBy(3)) > 0 && !input.withholding()) {
      log.info("gateway web session {}: {}'s page answered nothing for {} s; taken for gone",
          id, user, silent.toSeconds());
      ws.disconnect();
      detach(e, 1006, "no answer to pings");
      return;
    }
    ws.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
  }

  private void attach(Endpoint e) {
    Endpoint old;
    Flusher f;
    boolean start = false;
    synchronized (lock) {
      if (ended) {
        e.ws.close(ENDED, "the session has ended", Callback.NOOP);
        return;
      }
      old = attached;
      attached = e;
      f = flusher = new Flusher(e.ws);
      if (expiry != null) {
        expiry.cancel(false);
        expiry = null;
      }
      if (!startAsked) {
        startAsked = true;
        start = true;
      }
      lock.notifyAll();
    }
    if (old != null) {
      log.info("gateway web session {}: another page of {} took it over", id, user);
      old.ws.close(TAKEN_OVER, "another page took this session", Callback.NOOP);
    }
    if (start) {
      serial.execute(() -> start(e.columns, e.rows));
    } else {
      log.info("gateway web session {}: {}'s page re-attached", id, user);
      resize(e.columns, e.rows, null);
    }
    f.iterate();
  }

  private void detach(Endpoint e, int code, String why) {
    boolean endNow;
    synchronized (lock) {
      if (attached != e) {
        return;
      }
      attached = null;
      flusher = null;
      lock.notifyAll();
      // 1000: a client that ends the session (the page never sends it: a closed tab and a
      // reload both send 1001, and a reload must re-attach, so 1001 waits for the window
      // as a dropped connection does); any other end may come back
      endNow = exitSent || exit != null && pending.isEmpty() || code == 1000;
    }
    if (endNow) {
      end(exitSent ? "the shell exited" : "the page closed it");
    } else {
      log.info("gateway web session {}: {}'s page went (close code {}{}); the shell waits {} s "
          + "for it", id, user, code, why == null || why.isBlank() ? "" : ", " + why,
          server.options().reconnect().toSeconds());
      awaitPage(server.options().reconnect());
    }
  }

  private void start(int columns, int rows) {
    ConnectionHandler conn;
    try {
      conn = connection.join(); // bounded by the backend's start timeout
    } catch (CompletionException e) {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      failStart(c instanceof BackendException b ? b : new BackendException(
          BackendException.Reason.FAILED, "the session could not start", c));
      return;
    }
    SessionHandler h;
    try {
      h = conn.onSessionChannel();
    } catch (RuntimeException e) {
      failStart(new BackendException(BackendException.Reason.UNAVAILABLE, "the connection is "
          + "closing", e));
      return;
    }
    synchronized (lock) {
      if (ended) {
        h.close();
        return;
      }
    }
    handler = h;
    server.registry().sessionOpened();
    counted.set(true);
    audit.sessionBegan();
    began.set(true);
    audit.event("channel", "channel", 0);
    audit.event("pty", "channel", 0, "term", TERM, "columns", columns, "rows", rows);
    audit.event("shell", "channel", 0);
    AuditLog.Recording r = null;
    if (audit.active()) {
      r = audit.record(0, columns, rows, TERM);
      if (r == null && audit.refusesSessions()) {
        failStart(new BackendException(BackendException.Reason.REFUSED, AuditLog.REFUSAL));
        return;
      }
      recording = r;
    }
    InputStream in = audit.input(input, r);
    OutputStream out = audit.output(output, r);
    columnsNow = columns;
    rowsNow = rows;
    h.onPty(TERM, columns, rows);
    try {
      h.onStart(SessionRequest.shell(), new SessionIo() {
        @Override
        public InputStream stdin() {
          return in;
        }

        @Override
        public OutputStream stdout() {
          return out;
        }

        @Override
        public OutputStream stderr() {
          return out;
        }

        @Override
        public void exited(ExitStatus status) {
          WebSession.this.exited(status);
        }
      });
    } catch (BackendException e) {
      failStart(e);
      return;
    } catch (RuntimeException e) {
      log.warn("gateway web session {}: the shell failed: {}", id, e.toString());
      failStart(new BackendException(BackendException.Reason.FAILED, "the session could not "
          + "start", e));
      return;
    }
    List<String> ids = conn.containers();
    for (String c : ids) {
      audit.container(c, conn.shapedBy());
    }
    Flusher f;
    synchronized (lock) {
      container = ids.isEmpty() ? "" : ids.get(0).substring(0, Math.min(12,
          ids.get(0).length()));
      started = true;
      f = flusher;
    }
    if (f != null) {
      f.iterate();
    }
  }

  /** As an SSH session's: one line for the user, exit status 1. */
  private void failStart(BackendException e) {
    log.info("gateway web session {}: {}'s shell did not start: {}", id, user, e.getMessage());
    byte[] line = ("gateway: " + e.getMessage() + "\r\n").getBytes(StandardCharsets.UTF_8);
    synchronized (lock) {
      append(line, 0, line.length);
      started = true;
    }
    exited(ExitStatus.code(1));
  }

  private void exited(ExitStatus status) {
    audit.event("exit", "channel", 0, "status", status.isSignal() ? null : status.code(),
        "signal", status.signal().orElse(null));
    endRecording();
    if (began.compareAndSet(true, false)) {
      audit.sessionEnded();
    }
    Flusher f;
    synchronized (lock) {
      if (ended || exit != null) {
        return;
      }
      exit = status;
      f = flusher;
    }
    if (f != null) {
      f.iterate();
    }
  }

  /**
   * Asks for the window to be {@code columns} x {@code rows}. Sizes asked while one is queued
   * merge into it (the latest wins), so that a page sending resizes as fast as it can queues
   * one task, not one each; {@code then} (the page's next read) runs once it has been applied.
   */
  private void resize(int columns, int rows, Runnable then) {
    boolean queue;
    synchronized (lock) {
      wantColumns = Math.max(1, Math.min(columns, 1000));
      wantRows = Math.max(1, Math.min(rows, 1000));
      queue = !resizeQueued;
      resizeQueued = true;
    }
    if (queue) {
      serial.execute(this::applyResize);
    }
    // the next frame is read at once: a burst of resizes while one is applied merges into
    // the last size (one task queued at most, one size kept), so a storm costs the shell a
    // few window changes and the gateway no memory
    if (then != null) {
      then.run();
    }
  }

  private void applyResize() {
    int c;
    int r;
    synchronized (lock) {
      c = wantColumns;
      r = wantRows;
      resizeQueued = false;
    }
    SessionHandler h = handler;
    if (h != null && (c != columnsNow || r != rowsNow)) {
      columnsNow = c;
      rowsNow = r;
      audit.event("window-change", "channel", 0, "columns", c, "rows", r);
      AuditLog.Recording rec = recording;
      if (rec != null) {
        rec.resize(c, r);
      }
      h.onWindowChange(c, r);
    }
  }

  /** A text frame of the page; {@code next} reads the next frame, now or once it is done. */
  private void control(String text, Runnable next) {
    JsonNode m;
    try {
      m = JSON.readTree(text);
    } catch (IOException e) {
      log.debug("gateway web session {}: a text frame that is not JSON, ignored", id);
      next.run();
      return;
    }
    if (m != null && "resize".equals(m.path("type").asText())) {
      resize(m.path("cols").asInt(80), m.path("rows").asInt(24), next);
    } else {
      log.debug("gateway web session {}: an unknown message, ignored", id);
      next.run();
    }
  }

  /** Ends the session as a closed SSH connection ends: the shell, then the connection. */
  void end(String why) {
    Endpoint e;
    synchronized (lock) {
      if (ended) {
        return;
      }
      ended = true;
      e = attached;
      attached = null;
      flusher = null;
      if (expiry != null) {
        expiry.cancel(false);
      }
      pending.clear();
      queued = 0;
      lock.notifyAll();
    }
    server.removed(this);
    input.end();
    if (e != null && e.ws != null && e.ws.isOpen()) {
      e.ws.close(ENDED, closeReason(why), Callback.NOOP); // the page shows why, and stays
    }
    Runnable close = () -> {
      endRecording();
      // the shell is not stopped here: the connection's close below does it as for a closed
      // SSH connection (connection mode: the container removed at once, shell and all; user
      // mode: TERM, then KILL after the stop timeout), where stopping it first waited out the
      // stop timeout for a shell that ignores TERM, and stopping it beside the removal raced it
      if (began.compareAndSet(true, false)) {
        audit.sessionEnded();
      }
      if (counted.compareAndSet(true, false)) {
        server.registry().sessionClosed();
      }
      server.registry().disconnect(connection, logContext);
      server.registry().webClosed(user);
      audit.reason(why);
      audit.close();
      log.info("gateway web session {}: {} closed: {}", id, info.display(), why);
    };
    serial.execute(close); // it runs the close itself when the workers are shut down
  }

  /** {@code why} cut to what a close frame holds (123 bytes of UTF-8). */
  static String closeReason(String why) {
    String r = why;
    while (r.getBytes(StandardCharsets.UTF_8).length > 123) {
      r = r.substring(0, r.length() - 1);
    }
    return r;
  }

  private void endRecording() {
    AuditLog.Recording r = recording;
    if (r != null) {
      recording = null;
      r.close();
    }
  }

  /** Appends to the queue (under lock); detached, the oldest past the bound is dropped. */
  private void append(byte[] b, int off, int len) {
    while (len > 0) {
      Chunk last = pending.peekLast();
      if (last == null || last.off + last.len == CHUNK) {
        last = new Chunk();
        pending.addLast(last);
      }
      int n = Math.min(len, CHUNK - last.off - last.len);
      System.arraycopy(b, off, last.bytes, last.off + last.len, n);
      last.len += n;
      queued += n;
      off += n;
      len -= n;
    }
    if (attached == null) {
      while (queued > OUTPUT_BOUND) {
        Chunk first = pending.peekFirst();
        int drop = (int) Math.min(first.len, queued - OUTPUT_BOUND);
        first.off += drop;
        first.len -= drop;
        queued -= drop;
        lost += drop;
        if (first.len == 0) {
          pending.pollFirst();
        }
      }
    }
    peak = Math.max(peak, queued + (flusher == null ? 0 : flusher.inFlight));
  }

  private static String json(Map<String, Object> m) {
    try {
      return JSON.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The shell's stdout and stderr: into the queue, waiting while the page holds the bound. */
  private final class Output extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      lastActive = System.nanoTime();
      while (len > 0) {
        int n = Math.min(len, CHUNK);
        Flusher f;
        synchronized (lock) {
          while (!ended && attached != null
              && queued + (flusher == null ? 0 : flusher.inFlight) >= OUTPUT_BOUND) {
            try {
              lock.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InterruptedIOException();
            }
          }
          if (ended) {
            throw new IOException("the web session has ended");
          }
          append(b, off, n);
          f = flusher;
        }
        if (f != null) {
          f.iterate();
        }
        off += n;
        len -= n;
      }
    }
  }

  /** What the page typed, for the shell's stdin; bounded, see the class comment. */
  private final class Input extends InputStream {
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int head;
    private int size;
    private boolean closed;
    private Runnable withheld;

    /** Takes {@code b}; false (and {@code demand} kept for later) when the bound is reached. */
    synchronized boolean offer(ByteBuffer b, Runnable demand) {
      if (closed) {
        return true;
      }
      byte[] copy = new byte[b.remaining()];
      b.get(copy);
      if (copy.length > 0) {
        chunks.addLast(copy);
        size += copy.length;
        notifyAll();
      }
      if (size < INPUT_BOUND) {
        return true;
      }
      withheld = demand;
      return false;
    }

    /** Whether the page's frames are not being read now (the shell has not taken its input). */
    synchronized boolean withholding() {
      return withheld != null;
    }

    /**
     * Runs {@code demand} (the page's first read) if the input is below the bound, else keeps
     * it for when the shell has taken half: a new websocket must not add a message past it.
     */
    synchronized boolean demandOrWithhold(Runnable demand) {
      if (closed || size < INPUT_BOUND) {
        return true;
      }
      withheld = demand;
      return false;
    }

    synchronized void end() {
      closed = true;
      chunks.clear();
      size = 0;
      notifyAll();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      Runnable demand = null;
      int n;
      synchronized (this) {
        while (size == 0 && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
          }
        }
        if (size == 0) {
          return -1;
        }
        n = 0;
        while (n < len && !chunks.isEmpty()) {
          byte[] c = chunks.peekFirst();
          int k = Math.min(len - n, c.length - head);
          System.arraycopy(c, head, b, off + n, k);
          n += k;
          head += k;
          if (head == c.length) {
            chunks.pollFirst();
            head = 0;
          }
        }
        size -= n;
        if (withheld != null && size < INPUT_BOUND / 2) {
          demand = withheld;
          withheld = null;
        }
      }
      if (demand != null) {
        demand.run();
      }
      return n;
    }
  }

  /**
   * Sends to one attached page, one frame at a time: hello, then what was lost, then the
   * output, then the exit and the close. Jetty's IteratingCallback, so that a send that
   * completes at once does not recurse.
   */
  private final class Flusher extends IteratingCallback {
    private final Session ws;
    private boolean hello;
    private boolean closing;
    /** Output bytes of the frame being sent (guarded by lock). */
    long inFlight;

    Flusher(Session ws) {
      this.ws = ws;
    }

    @Override
    protected Action process() {
      String text = null;
      Chunk chunk = null;
      boolean close = false;
      synchronized (lock) {
        if (flusher != this || !started) {
          return flusher != this ? Action.SUCCEEDED : Action.IDLE;
        }
        if (!hello) {
          hello = true;
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("type", "hello");
          m.put("user", user);
          m.put("container", container);
          // how long the page may try to come back after a drop (--web-reconnect)
          m.put("reconnect", server.options().reconnect().toSeconds());
          text = json(m);
        } else if (lost > 0) {
          text = json(Map.of("type", "lost", "bytes", lost));
          lost = 0;
        } else if (!pending.isEmpty()) {
          chunk = pending.pollFirst();
          queued -= chunk.len;
          inFlight = chunk.len;
        } else if (exit != null && !exitSent) {
          exitSent = true;
          text = exit.isSignal() ? json(Map.of("type", "exit", "signal",
              exit.signal().orElseThrow())) : json(Map.of("type", "exit", "status",
                  exit.code()));
        } else if (exitSent && !closing) {
          closing = true;
          close = true;
        } else {
          return Action.IDLE;
        }
      }
      Callback done = Callback.from(this::succeeded, this::failed);
      if (close) {
        ws.close(1000, "exit", done);
      } else if (text != null) {
        ws.sendText(text, done);
      } else {
        ws.sendBinary(ByteBuffer.wrap(chunk.bytes, chunk.off, chunk.len), done);
      }
      return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
      synchronized (lock) {
        inFlight = 0;
        lock.notifyAll();
      }
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      synchronized (lock) {
        lost += inFlight; // it may or may not have reached the page
        inFlight = 0;
        lock.notifyAll();
      }
      log.debug("gateway web session {}: a send failed: {}", id, cause.toString());
    }
  }

  /** The server side of one page's websocket; reads on demand (see {@link Input}). */
  /** Public as Jetty calls its methods through method handles. */
  public final class Endpoint implements Session.Listener {
    final int columns;
    final int rows;
    volatile Session ws;
    /** When a frame (a pong included) last came from the page. */
    volatile long lastHeard = System.nanoTime();

    Endpoint(int columns, int rows) {
      this.columns = columns;
      this.rows = rows;
    }

    @Override
    public void onWebSocketOpen(Session session) {
      this.ws = session;
      attach(this);
      if (input.demandOrWithhold(session::demand)) {
        session.demand();
      }
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
      lastActive = System.nanoTime();
      lastHeard = lastActive;
      boolean resizing;
      synchronized (lock) {
        resizing = resizeQueued;
      }
      if (resizing) {
        // keys typed after a resize reach the shell after it (a command that asks for the
        // size gets the new one): queued behind the resize on the serial executor, and no
        // more frames are read until they are in
        ByteBuffer keys = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
        callback.succeed();
        serial.execute(() -> {
          if (input.offer(keys, ws::demand)) {
            ws.demand();
          }
        });
        return;
      }
      boolean more = input.offer(payload, ws::demand);
      callback.succeed();
      if (more) {
        ws.demand();
      }
    }

    @Override
    public void onWebSocketText(String message) {
      lastActive = System.nanoTime();
      lastHeard = lastActive;
      Session session = ws;
      control(message, session::demand);
    }

    /** The browser's answer to a ping: the page is there (not activity: no idle reset). */
    @Override
    public void onWebSocketPong(ByteBuffer payload) {
      lastHeard = System.nanoTime();
      // a pong arrives only on a demand, which it used up: demand again, as the default
      // (no override) would
      ws.demand();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      detach(this, 1006, cause.getClass().getSimpleName());
    }

    @Override
    public void onWebSocketClose(int code, String reason) {
      detach(this, code, reason == null ? "" : reason);
    }
  }
}
