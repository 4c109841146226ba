package io.github.sshcontainer.tunnel.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes JSch's log to SLF4J under {@code io.github.sshcontainer.tunnel.jsch}, one level quieter
 * than JSch rates it: JSch logs every handshake step at INFO, which is DEBUG for our users.
 */
final class JschLog implements com.jcraft.jsch.Logger {
  public static final JschLog INSTANCE = new JschLog();
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.tunnel.jsch");

  private JschLog() {}

  @Override
  public boolean isEnabled(int level) {
    switch (level) {
      case DEBUG:
        return log.isTraceEnabled();
      case INFO:
        return log.isDebugEnabled();
      case WARN:
        return log.isWarnEnabled();
      default:
        return log.isErrorEnabled();
    }
  }

  @Override
  public void log(int level, String message) {
    switch (level) {
      case DEBUG -> log.trace(message);
      case INFO -> log.debug(message);
      case WARN -> log.warn(message);
      default -> log.error(message);
    }
  }
}
