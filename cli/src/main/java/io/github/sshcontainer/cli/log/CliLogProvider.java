package io.github.sshcontainer.cli.log;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The CLI's SLF4J 2 provider, found by SLF4J through {@code
 * META-INF/services/org.slf4j.spi.SLF4JServiceProvider}: one line per event on stderr, text or
 * JSON, levels per logger prefix, all set in {@link Logs}. Public because {@link
 * java.util.ServiceLoader} makes it; nothing else should.
 */
public final class CliLogProvider implements SLF4JServiceProvider {
  private final MDCAdapter mdc = new BasicMDCAdapter();
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final ILoggerFactory loggers = new CliLoggerFactory(mdc);

  @Override
  public ILoggerFactory getLoggerFactory() {
    return loggers;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    // everything is made with the provider; the configuration lives in Logs
  }
}
