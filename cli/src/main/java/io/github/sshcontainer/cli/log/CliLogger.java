package io.github.sshcontainer.cli.log;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NormalizedParameters;
import org.slf4j.spi.LoggingEventAware;
import org.slf4j.spi.MDCAdapter;

/**
 * A logger that writes each event it lets through as one line (see {@link LogLine}) to stderr.
 * {@link LoggingEventAware}: the fluent API's key-value pairs reach it as fields, not folded
 * into the message. Its level comes from {@link Logs}, looked up again when the configuration
 * changes.
 */
final class CliLogger extends LegacyAbstractLogger implements LoggingEventAware {
  private static final long serialVersionUID = 1L;

  private final transient MDCAdapter mdc;
  private transient volatile Threshold threshold;

  /** The level looked up for one configuration. */
  private record Threshold(Logs.Config config, int level) {}

  CliLogger(String name, MDCAdapter mdc) {
    this.name = name;
    this.mdc = mdc;
  }

  private boolean enabled(Level level) {
    Logs.Config c = Logs.config();
    Threshold t = threshold;
    if (t == null || t.config() != c) {
      t = new Threshold(c, c.threshold(name));
      threshold = t;
    }
    return level.toInt() >= t.level();
  }

  @Override
  public boolean isTraceEnabled() {
    return enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern,
      Object[] arguments, Throwable throwable) {
    emit(level, messagePattern, arguments, throwable, List.of(), 0, null);
  }

  @Override
  public void log(LoggingEvent event) {
    if (!enabled(event.getLevel())) {
      return;
    }
    NormalizedParameters p = NormalizedParameters.normalize(event);
    emit(event.getLevel(), p.getMessage(), p.getArguments(), p.getThrowable(),
        event.getKeyValuePairs(), event.getTimeStamp(), event.getThreadName());
  }

  private void emit(Level level, String pattern, Object[] arguments, Throwable throwable,
      List<KeyValuePair> pairs, long millis, String thread) {
    Map<String, String> fields = new LinkedHashMap<>();
    Map<String, String> context = mdc == null ? null : mdc.getCopyOfContextMap();
    if (context != null) {
      fields.putAll(context);
    }
    if (pairs != null) {
      for (KeyValuePair kv : pairs) {
        fields.put(String.valueOf(kv.key), String.valueOf(kv.value));
      }
    }
    String message = MessageFormatter.basicArrayFormat(pattern, arguments);
    Logs.Config c = Logs.config();
    LogEvent e = new LogEvent(millis > 0 ? Instant.ofEpochMilli(millis) : Instant.now(), level,
        name, thread != null ? thread : Thread.currentThread().getName(),
        message == null ? "null" : message, fields, throwable);
    Logs.write(LogLine.format(c.format(), e, c.verbose()));
  }
}
