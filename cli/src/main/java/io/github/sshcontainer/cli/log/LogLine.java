package io.github.sshcontainer.cli.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An event as one line: text ({@code [thread] LEVEL logger - message}, as slf4j-simple writes
 * it) or one JSON object. One event is one line unless verbose: newlines in a message become
 * {@code " | "}, and a throwable adds its root cause on the same line, never a stack trace.
 * Verbose, the text line keeps the message's newlines and is followed by the stack trace, and
 * the JSON object gets a {@code stack} field.
 */
final class LogLine {
  /** The fields a JSON line names first, in this order, when an event has them. */
  static final List<String> KNOWN_FIELDS = List.of("connection", "user", "client", "event");
  private static final Set<String> BASE_FIELDS = Set.of("time", "level", "logger", "thread",
      "message", "error", "stack");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern(
      "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private LogLine() {}

  static String format(Logs.Format format, LogEvent e, boolean verbose) {
    return format == Logs.Format.JSON ? json(e, verbose) : text(e, verbose);
  }

  /** {@code [thread] LEVEL logger - key=value… message}, key-value pairs as slf4j-simple. */
  static String text(LogEvent e, boolean verbose) {
    StringBuilder b = new StringBuilder(128);
    b.append('[').append(e.thread()).append("] ").append(e.level()).append(' ')
        .append(e.logger()).append(" - ");
    e.fields().forEach((k, v) -> b.append(k).append('=').append(v).append(' '));
    Throwable t = e.throwable();
    if (verbose) {
      b.append(e.message()).append('\n');
      return t == null ? b.toString() : b.append(stackTrace(t)).toString();
    }
    b.append(oneLine(e.message()));
    if (t != null) {
      b.append(" (cause: ").append(oneLine(rootCause(t).toString())).append(')');
    }
    return oneLine(b.toString()) + "\n";
  }

  /**
   * {@code {"time":…,"level":…,"logger":…,"thread":…,"message":…}}, then the known fields, the
   * other fields (one that repeats a base field's name gets the prefix {@code field.}), {@code
   * error} (the root cause) and, verbose, {@code stack}.
   */
  static String json(LogEvent e, boolean verbose) {
    StringBuilder b = new StringBuilder(256);
    b.append('{');
    field(b, "time", TIME.format(e.time()));
    field(b, "level", e.level().toString());
    field(b, "logger", e.logger());
    field(b, "thread", e.thread());
    field(b, "message", e.message());
    Map<String, String> fields = e.fields();
    for (String k : KNOWN_FIELDS) {
      if (fields.containsKey(k)) {
        field(b, k, fields.get(k));
      }
    }
    fields.forEach((k, v) -> {
      if (!KNOWN_FIELDS.contains(k)) {
        field(b, BASE_FIELDS.contains(k) ? "field." + k : k, v);
      }
    });
    Throwable t = e.throwable();
    if (t != null) {
      field(b, "error", rootCause(t).toString().stripTrailing());
      if (verbose) {
        field(b, "stack", stackTrace(t));
      }
    }
    return b.append('}').append('\n').toString();
  }

  private static void field(StringBuilder b, String name, String value) {
    if (b.length() > 1) {
      b.append(',');
    }
    quote(b, name);
    b.append(':');
    quote(b, value);
  }

  /** A JSON string: quotes, backslashes and control characters escaped, the rest as is. */
  static void quote(StringBuilder b, String s) {
    b.append('"');
    String text = s == null ? "null" : s;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  /** The last cause in the chain (a cycle ends it). */
  static Throwable rootCause(Throwable t) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Throwable root = t;
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    return root;
  }

  /** Inner line breaks as {@code " | "}; trailing ones (a Docker error's JSON) dropped. */
  static String oneLine(String s) {
    if (s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return s.stripTrailing().replace("\r\n", " | ").replace('\r', '\n').replace("\n", " | ");
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    try (PrintWriter p = new PrintWriter(w)) {
      t.printStackTrace(p);
    }
    return w.toString();
  }
}
