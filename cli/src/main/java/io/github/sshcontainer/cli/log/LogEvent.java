package io.github.sshcontainer.cli.log;

import java.time.Instant;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * One event as a line shows it.
 *
 * @param fields MDC entries and the fluent API's key-value pairs, in order (a key-value pair
 *     wins over an MDC entry of the same name)
 * @param throwable null when none is attached
 */
record LogEvent(Instant time, Level level, String logger, String thread, String message,
    Map<String, String> fields, Throwable throwable) {}
