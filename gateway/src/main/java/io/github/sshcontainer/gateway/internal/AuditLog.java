package io.github.sshcontainer.gateway.internal;

import io.github.sshcontainer.gateway.GatewayOptions;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's audit trail in {@link GatewayOptions#auditDir()}: one JSON-lines file per
 * connection ({@code ID.jsonl}: connect, each key tried, channels, requests, refusals, exits,
 * containers, disconnect) and one asciicast v2 recording per session ({@code ID-CHANNEL.cast}:
 * the output, the window changes, the input only when asked, as it holds what users type).
 * Env values, passwords and keys never go in; a key goes in as its SHA256 fingerprint.
 *
 * <p>The directory is made 0700 and every file 0600, at creation (never chmod after). Audit
 * lines are written one {@code write} each, in order, by a per-connection {@link
 * SerialExecutor} on the gateway's workers, so that MINA's I/O threads only format them. A
 * recording is written by the thread that pumps the session's output (never a MINA I/O thread)
 * and is bounded by {@link GatewayOptions#auditMaxBytes()}. A file that cannot be written is one
 * ERROR line, once until writing works again; with {@link GatewayOptions#auditRequired()} new
 * sessions are refused meanwhile, otherwise they go on unrecorded. Thread-safe.
 */
public final class AuditLog implements SessionListener {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** What a client is told when its session is refused for want of an audit log. */
  static final String REFUSAL = "the audit log cannot be written; sessions are refused until "
      + "the operator fixes it";
  private static final AttributeKey<Connection> CONNECTION = new AttributeKey<>();
  /** How long a closed connection's file waits for its sessions' exits. */
  private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
  private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path dir;
  private final boolean input;
  private final long maxBytes;
  private final boolean required;
  private final ConnectionRegistry connections;
  private final Executor workers;
  /** Set by the first failure, cleared by the next file that opens: one ERROR per outage. */
  private final AtomicBoolean broken = new AtomicBoolean();

  private AuditLog(GatewayOptions options, ConnectionRegistry connections, Executor workers) {
    this.dir = options.auditDir().orElseThrow();
    this.input = options.auditInput();
    this.maxBytes = options.auditMaxBytes();
    this.required = options.auditRequired();
    this.connections = connections;
    this.workers = workers;
  }

  /**
   * The audit log of {@code options}' directory, made (0700) if missing. A directory that
   * cannot be made is an ERROR line, not a failure: the gateway starts, and each connection
   * tries again (the operator may fix it while it runs).
   */
  public static AuditLog open(GatewayOptions options, ConnectionRegistry connections,
      Executor workers) {
    AuditLog a = new AuditLog(options, connections, workers);
    try {
      a.makeDir();
    } catch (IOException | RuntimeException e) {
      a.failed(e);
    }
    return a;
  }

  private void makeDir() throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, DIR_MODE);
    }
  }

  /** The audit of {@code session}'s connection; one that records nothing without an audit. */
  static Connection of(Session session) {
    Connection c = session == null ? null : session.getAttribute(CONNECTION);
    return c != null ? c : Connection.NONE;
  }

  private void failed(Exception e) {
    if (broken.compareAndSet(false, true)) {
      log.error("gateway: the audit log cannot be written in {}: {}; {}", dir, e.toString(),
          required ? "sessions are refused until it can (--audit-required)"
              : "sessions go on unrecorded");
    }
  }

  private void works() {
    if (broken.compareAndSet(true, false)) {
      log.info("gateway: the audit log in {} can be written again", dir);
    }
  }

  /** A new file {@code dir/name.ext}, 0600; a name taken (an earlier run's) gets a suffix. */
  private FileChannel create(String name, String ext) throws IOException {
    makeDir();
    for (int n = 1; ; n++) {
      Path p = dir.resolve(n == 1 ? name + ext : name + "~" + n + ext);
      try {
        FileChannel f = FileChannel.open(p, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND), FILE_MODE);
        works();
        return f;
      } catch (FileAlreadyExistsException taken) {
        if (n >= 100) {
          throw taken;
        }
      }
    }
  }

  /** The audit of connection {@code id}: its file (none if it cannot be made: failed). */
  private Connection open(String id) {
    FileChannel file = null;
    try {
      file = create(id, ".jsonl");
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
    return new Connection(this, id, file, new SerialExecutor(workers, Map.of("connection",
        id)));
  }

  @Override
  public void sessionCreated(Session session) {
    Connection c = open(connections.idOf(session));
    session.setAttribute(CONNECTION, c);
    SocketAddress client = session.getIoSession().getRemoteAddress();
    SocketAddress server = session.getIoSession().getLocalAddress();
    c.event("connect", "client", client instanceof InetSocketAddress a ? a.getHostString()
        : String.valueOf(client), "client_port", client instanceof InetSocketAddress a
        ? a.getPort() : null, "server_port", server instanceof InetSocketAddress a
        ? a.getPort() : null);
  }

  /**
   * The audit of a web terminal's session, which has no SSH connection: its file, with the
   * connect line and the login ({@code web-link}) written now. {@link Connection#close} it.
   */
  Connection web(String id, InetSocketAddress client, InetSocketAddress server, String user,
      String link) {
    Connection c = open(id);
    c.event("connect", "client", client.getHostString(), "client_port", client.getPort(),
        "server_port", server.getPort(), "via", "web");
    c.event("auth", "user", user, "method", LoginIdentity.webLink().method(), "link", link,
        "result", "accepted");
    return c;
  }

  @Override
  public void sessionEvent(Session session, Event event) {
    if (event == Event.Authenticated) {
      Connection c = session.getAttribute(CONNECTION);
      if (c != null) {
        LoginIdentity identity = session.getAttribute(ConnectionRegistry.IDENTITY);
        LoginIdentity i = identity == null ? LoginIdentity.UNKNOWN : identity;
        c.event("auth", "user", session.getUsername(), "method", i.method(), "key",
            i.fingerprint().isEmpty() ? null : i.fingerprint(), "key_id",
            i.certificate().map(LoginIdentity.Certificate::keyId).orElse(null), "serial",
            i.certificate().map(LoginIdentity.Certificate::serialText).orElse(null),
            "principals", i.certificate().map(x -> String.join(",", x.principals()))
                .orElse(null), "result", "accepted");
      }
    }
  }

  @Override
  public void sessionDisconnect(Session session, int reason, String msg, String language,
      boolean initiator) {
    Connection c = session.getAttribute(CONNECTION);
    if (c != null && c.reason == null) {
      c.reason = (initiator ? "gateway: " : "client: ") + msg;
    }
  }

  @Override
  public void sessionException(Session session, Throwable t) {
    Connection c = session.getAttribute(CONNECTION);
    if (c != null && c.reason == null) {
      c.reason = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
  }

  @Override
  public void sessionClosed(Session session) {
    Connection c = session.getAttribute(CONNECTION);
    if (c != null) {
      c.close();
    }
  }

  /**
   * The audit of one connection: its JSON-lines file and its sessions' recordings. {@link
   * #NONE} (no audit) records nothing.
   */
  static final class Connection {
    static final Connection NONE = new Connection(null, "", null, null);

    private final AuditLog audit;
    private final String id;
    private final SerialExecutor serial;
    private final long openedNanos = System.nanoTime();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final Set<String> containers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Sessions whose exit has not been written yet; guarded by this for the wait. */
    private int live;
    private Object[] disconnect;
    private FileChannel file; // written on serial only
    private volatile boolean writable;
    private volatile String reason;

    private Connection(AuditLog audit, String id, FileChannel file, SerialExecutor serial) {
      this.audit = audit;
      this.id = id;
      this.file = file;
      this.serial = serial;
      this.writable = file != null;
    }

    /** Why the connection ended, for its disconnect line (the first reason given wins). */
    void reason(String why) {
      if (reason == null) {
        reason = why;
      }
    }

    /** True when the audit is required and this connection's cannot be written. */
    boolean refusesSessions() {
      return audit != null && audit.required && !writable;
    }

    /** Whether the audit records this connection at all. */
    boolean active() {
      return audit != null;
    }

    /** A key, certificate or password was refused (never the password itself). */
    void refused(String user, LoginIdentity identity, String why) {
      if (audit == null) {
        return;
      }
      event("auth", "user", user, "method", identity.method(), "key",
          identity.fingerprint().isEmpty() ? null : identity.fingerprint(), "key_id",
          identity.certificate().map(LoginIdentity.Certificate::keyId).orElse(null),
          "serial", identity.certificate().map(LoginIdentity.Certificate::serialText)
              .orElse(null), "result", "refused", "reason", why);
    }

    /**
     * Writes the container's id, once per container, with what shaped its settings (a match
     * block, the config webhook; left out when nothing did).
     */
    void container(String containerId, String shapedBy) {
      if (audit != null && containers.add(containerId)) {
        event("container", "id", containerId, "settings", shapedBy.isEmpty() ? null : shapedBy);
      }
    }

    /**
     * One line: {@code time}, {@code connection}, {@code event}, then {@code fields} as name,
     * value pairs (a null value is left out). Formatted here, written in order on the
     * connection's serial executor.
     */
    void event(String event, Object... fields) {
      if (audit == null) {
        return;
      }
      StringBuilder b = new StringBuilder(128);
      b.append("{\"time\":");
      Json.string(b, Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
      b.append(",\"connection\":");
      Json.string(b, id);
      b.append(",\"event\":");
      Json.string(b, event);
      for (int i = 0; i + 1 < fields.length; i += 2) {
        Object v = fields[i + 1];
        if (v == null) {
          continue;
        }
        b.append(',');
        Json.string(b, (String) fields[i]);
        b.append(':');
        if (v instanceof Number || v instanceof Boolean) {
          b.append(v);
        } else {
          Json.string(b, v.toString());
        }
      }
      b.append("}\n");
      byte[] line = b.toString().getBytes(StandardCharsets.UTF_8);
      serial.execute(() -> write(line));
    }

    private void write(byte[] line) {
      if (file == null) {
        return;
      }
      try {
        ByteBuffer buf = ByteBuffer.wrap(line);
        while (buf.hasRemaining()) {
          file.write(buf);
        }
      } catch (IOException e) {
        writable = false;
        audit.failed(e);
        closeFile();
      }
    }

    private void closeFile() {
      try {
        if (file != null) {
          file.close();
        }
      } catch (IOException e) {
        // nothing more to write to it
      }
      file = null;
    }

    /** A session began: the file stays open until its exit is written. */
    void sessionBegan() {
      if (audit != null) {
        synchronized (this) {
          live++;
        }
      }
    }

    /** A session's exit was written (or it never started). */
    void sessionEnded() {
      if (audit == null) {
        return;
      }
      boolean last;
      synchronized (this) {
        live--;
        last = live == 0 && closed.get();
        notifyAll();
      }
      if (last) {
        finish();
      }
    }

    /**
     * The connection ended. The disconnect line, the last, is written once its sessions'
     * exits are (a session's end can reach the gateway after its connection's), or after
     * {@link #EXIT_WAIT} at most; then the file closes.
     */
    void close() {
      if (audit == null || !closed.compareAndSet(false, true)) {
        return;
      }
      disconnect = new Object[] {"reason", reason, "duration_ms",
          (System.nanoTime() - openedNanos) / 1_000_000, "bytes_in", bytesIn.get(),
          "bytes_out", bytesOut.get()};
      synchronized (this) {
        if (live <= 0) {
          finish();
          return;
        }
      }
      try {
        audit.workers.execute(() -> {
          long end = System.nanoTime() + EXIT_WAIT.toNanos();
          synchronized (this) {
            long left;
            while (live > 0 && (left = end - System.nanoTime()) > 0) {
              try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
              }
            }
          }
          finish();
        });
      } catch (RejectedExecutionException closing) {
        finish();
      }
    }

    private void finish() {
      if (finished.compareAndSet(false, true)) {
        event("disconnect", disconnect);
        serial.execute(this::closeFile);
      }
    }

    /**
     * The recording of session channel {@code channel}, {@code width}x{@code height}; null
     * without an audit or when its file cannot be made (then {@link #refusesSessions()} says
     * whether the session may go on unrecorded).
     */
    Recording record(long channel, int width, int height, String term) {
      if (audit == null) {
        return null;
      }
      FileChannel f;
      try {
        f = audit.create(id + "-" + channel, ".cast");
      } catch (IOException | RuntimeException e) {
        writable = false;
        audit.failed(e);
        return null;
      }
      Recording r = new Recording(this, channel, f, audit.maxBytes, audit.input);
      StringBuilder b = new StringBuilder(128);
      b.append("{\"version\": 2, \"width\": ").append(width).append(", \"height\": ")
          .append(height).append(", \"timestamp\": ")
          .append(System.currentTimeMillis() / 1000).append(", \"env\": {");
      if (term != null && !term.isEmpty()) {
        b.append("\"TERM\": ");
        Json.string(b, term);
      }
      b.append("}}\n");
      r.write(b);
      return r;
    }

    /** The streams a session's program gets: counted, and recorded when {@code r} is. */
    OutputStream output(OutputStream out, Recording r) {
      if (audit == null) {
        return out;
      }
      return new FilterOutputStream(out) {
        private final Utf8 text = new Utf8();

        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          bytesOut.addAndGet(len);
          if (r != null) {
            r.event("o", text, b, off, len);
          }
          out.write(b, off, len);
        }
      };
    }

    /** The session's stdin: counted, and recorded as {@code i} events when the audit asks. */
    InputStream input(InputStream in, Recording r) {
      if (audit == null) {
        return in;
      }
      Recording rec = r != null && r.input ? r : null;
      return new FilterInputStream(in) {
        private final Utf8 text = new Utf8();

        @Override
        public int read() throws IOException {
          int c = in.read();
          if (c >= 0) {
            bytesIn.incrementAndGet();
            if (rec != null) {
              rec.event("i", text, new byte[] {(byte) c}, 0, 1);
            }
          }
          return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = in.read(b, off, len);
          if (n > 0) {
            bytesIn.addAndGet(n);
            if (rec != null) {
              rec.event("i", text, b, off, n);
            }
          }
          return n;
        }
      };
    }
  }

  /**
   * One session's asciicast v2 file. The thread that pumps the stream only copies each chunk
   * (with its time) into a queue; a writer on the gateway's workers escapes it and writes it,
   * one write per event, so that the session's output does not wait for the disk. The queue
   * holds {@link #QUEUE_BYTES} at most: a disk slower than the output holds the session up to
   * {@link #QUEUE_WAIT} per chunk, then the recording stops. Past the bound the recording
   * stops too (nothing more is written) and the audit log says so; a write that fails stops
   * it. The session goes on either way. Events are built as bytes, straight from the stream's:
   * the text is escaped for JSON without being decoded to a String and encoded again.
   */
  static final class Recording {
    private static final int QUEUE_BYTES = 4 << 20;
    private static final Duration QUEUE_WAIT = Duration.ofSeconds(1);

    /** A write for the writer, and the bytes of output it holds. */
    private record Task(int bytes, Runnable run) {}

    private final ArrayDeque<Task> queue = new ArrayDeque<>(); // guarded by queue
    private long queued; // guarded by queue
    private boolean draining; // guarded by queue
    private boolean refusing; // guarded by queue
    private volatile boolean done;
    private final Connection connection;
    private final long channel;
    private final long maxBytes;
    private final boolean input;
    private final long startNanos = System.nanoTime();
    private byte[] line = new byte[8192]; // guarded by this
    private int size; // guarded by this
    private FileChannel file; // guarded by this
    private long written; // guarded by this

    private Recording(Connection connection, long channel, FileChannel file, long maxBytes,
        boolean input) {
      this.connection = connection;
      this.channel = channel;
      this.file = file;
      this.maxBytes = maxBytes;
      this.input = input;
    }

    /** {@code [t, "r", "COLSxROWS"]}, written in turn. */
    void resize(int columns, int rows) {
      long t = micros();
      enqueue(0, () -> resize(t, columns, rows));
    }

    /** {@code [t, code, "text"]} of a copy of the chunk, written in turn. */
    void event(String code, Utf8 text, byte[] b, int off, int len) {
      if (done) {
        return;
      }
      long t = micros();
      byte[] copy = Arrays.copyOfRange(b, off, off + len);
      enqueue(len, () -> event(t, code, text, copy));
    }

    /** The session ended: the file closes once what is queued is written. Idempotent. */
    void close() {
      enqueue(0, this::stop);
    }

    private long micros() {
      return (System.nanoTime() - startNanos) / 1000;
    }

    private void enqueue(int bytes, Runnable run) {
      boolean start = false;
      synchronized (queue) {
        if (refusing) {
          return;
        }
        long end = System.nanoTime() + QUEUE_WAIT.toNanos();
        while (queued > 0 && queued + bytes > QUEUE_BYTES) {
          long left = end - System.nanoTime();
          boolean interrupted = false;
          if (left > 0) {
            try {
              TimeUnit.NANOSECONDS.timedWait(queue, left);
              continue;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              interrupted = true;
            }
          }
          refusing = true; // the last task: stop, and say why
          String why = interrupted ? "interrupted" : "the disk did not keep up with the "
              + "output for " + QUEUE_WAIT.toSeconds() + " s";
          run = () -> {
            stop();
            connection.event("recording-failed", "channel", channel, "reason", why);
          };
          bytes = 0;
          break;
        }
        queue.add(new Task(bytes, run));
        queued += bytes;
        if (!draining) {
          draining = true;
          start = true;
        }
      }
      if (start) {
        try {
          connection.audit.workers.execute(this::drain);
        } catch (RejectedExecutionException closing) {
          drain(); // the gateway is closing: write here rather than lose it
        }
      }
    }

    private void drain() {
      while (true) {
        Task t;
        synchronized (queue) {
          t = queue.poll();
          if (t == null) {
            draining = false;
            return;
          }
        }
        try {
          t.run().run();
        } finally {
          synchronized (queue) {
            queued -= t.bytes();
            queue.notifyAll();
          }
        }
      }
    }

    private synchronized void resize(long micros, int columns, int rows) {
      if (file != null) {
        time(micros);
        ascii(", \"r\", \"" + columns + "x" + rows + "\"]\n");
        write();
      }
    }

    /** Bytes of a character cut at the chunk's end wait for the next. */
    private synchronized void event(long micros, String code, Utf8 text, byte[] b) {
      if (file == null) {
        return;
      }
      int off = 0;
      int len = b.length;
      time(micros);
      ascii(", \"" + code + "\", \"");
      int before = size;
      ensure(len * 6 + 24); // and a carried character's bytes
      size = text.escape(b, off, len, line, size);
      if (size == before) {
        return; // only the start of a character: it comes with the next chunk
      }
      ascii("\"]\n");
      write();
    }

    private void time(long micros) {
      size = 0;
      String frac = Long.toString(1_000_000 + micros % 1_000_000).substring(1);
      ascii("[" + micros / 1_000_000 + "." + frac);
    }

    private void ascii(String s) {
      ensure(s.length());
      for (int i = 0; i < s.length(); i++) {
        line[size++] = (byte) s.charAt(i);
      }
    }

    private void ensure(int more) {
      if (size + more > line.length) {
        line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, size + more));
      }
    }

    /** The header: text that is already JSON. */
    private synchronized void write(CharSequence text) {
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      size = 0;
      ensure(bytes.length);
      System.arraycopy(bytes, 0, line, 0, bytes.length);
      size = bytes.length;
      write();
    }

    private void write() {
      if (written + size > maxBytes) {
        stop();
        connection.event("recording-truncated", "channel", channel, "max_bytes", maxBytes,
            "written_bytes", written);
        return;
      }
      try {
        ByteBuffer buf = ByteBuffer.wrap(line, 0, size);
        while (buf.hasRemaining()) {
          file.write(buf);
        }
        written += size;
      } catch (IOException e) {
        stop();
        connection.audit.failed(e);
        connection.event("recording-failed", "channel", channel, "reason", e.toString());
      }
    }

    private synchronized void stop() {
      done = true;
      try {
        if (file != null) {
          file.close();
        }
      } catch (IOException e) {
        // nothing more to write to it
      }
      file = null;
    }

  }

  /**
   * A byte stream as UTF-8 text for JSON, chunk by chunk: a character whose bytes are split
   * over two chunks is kept whole for the next one; bytes that are not UTF-8 (an overlong form,
   * a surrogate, a stray continuation) become U+FFFD, one per byte.
   */
  static final class Utf8 {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private final byte[] carry = new byte[3];
    private int carried;

    /**
     * Writes the JSON-escaped text of {@code b[off, off+len)} (and what the last chunk left)
     * into {@code out} at {@code at}, which has room for 6 bytes per byte and the carry; returns
     * the end.
     */
    int escape(byte[] b, int off, int len, byte[] out, int at) {
      byte[] a = b;
      int start = off;
      int end = off + len;
      if (carried > 0) {
        a = new byte[carried + len];
        System.arraycopy(carry, 0, a, 0, carried);
        System.arraycopy(b, off, a, carried, len);
        start = 0;
        end = carried + len;
        carried = 0;
      }
      int cut = end;
      for (int i = end - 1; i >= Math.max(start, end - 3); i--) {
        int c = a[i] & 0xff;
        if ((c & 0xc0) == 0x80) {
          continue; // a continuation byte: look further back for its lead
        }
        if (c >= 0xc2 && c <= 0xf4 && end - i < (c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2)) {
          cut = i;
        }
        break;
      }
      carried = end - cut;
      System.arraycopy(a, cut, carry, 0, carried);
      return json(a, start, cut, out, at);
    }

    private static int json(byte[] a, int i, int end, byte[] o, int p) {
      while (i < end) {
        int c = a[i] & 0xff;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          o[p++] = (byte) c;
          i++;
        } else if (c < 0x80) {
          o[p++] = '\\';
          switch (c) {
            case '"' -> o[p++] = '"';
            case '\\' -> o[p++] = '\\';
            case '\n' -> o[p++] = 'n';
            case '\r' -> o[p++] = 'r';
            case '\t' -> o[p++] = 't';
            default -> {
              o[p++] = 'u';
              o[p++] = '0';
              o[p++] = '0';
              o[p++] = HEX[c >> 4];
              o[p++] = HEX[c & 0xf];
            }
          }
          i++;
        } else {
          int n = sequence(a, i, end);
          if (n > 0) {
            System.arraycopy(a, i, o, p, n);
            p += n;
            i += n;
          } else {
            o[p++] = (byte) 0xef; // U+FFFD
            o[p++] = (byte) 0xbf;
            o[p++] = (byte) 0xbd;
            i++;
          }
        }
      }
      return p;
    }

    /** The length of the well-formed UTF-8 sequence at {@code i} (RFC 3629), or 0. */
    private static int sequence(byte[] a, int i, int end) {
      int c = a[i] & 0xff;
      int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
          : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      if (n == 0 || i + n > end) {
        return 0;
      }
      for (int k = 1; k < n; k++) {
        if ((a[i + k] & 0xc0) != 0x80) {
          return 0;
        }
      }
      int c1 = a[i + 1] & 0xff;
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90)
          || (c == 0xf4 && c1 > 0x8f)) {
        return 0; // overlong, surrogate or past U+10FFFF
      }
      return n;
    }
  }

  /** JSON strings, escaped as RFC 8259 asks: quotes, backslashes and control characters. */
  static final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {}

    static void string(StringBuilder b, String s) {
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20 || c == 0x7f) {
              b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
              b.append(c);
            }
          }
        }
      }
      b.append('"');
    }
  }
}
