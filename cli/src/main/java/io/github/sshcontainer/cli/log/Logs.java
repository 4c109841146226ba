package io.github.sshcontainer.cli.log;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.slf4j.event.Level;

/**
 * How the CLI logs: one line per event on stderr, as text or JSON, with a level per logger
 * prefix. The CLI's own SLF4J provider ({@link CliLogProvider}) reads this; {@code Main} calls
 * {@link #configure} before the first logger exists, and the {@code gateway} command may switch
 * the {@link #format(Format) format} at run time, before the gateway starts.
 *
 * <p>Levels (the longest matching prefix wins; a prefix matches a logger of that name and the
 * loggers under it, at a dot):
 *
 * <table>
 *   <caption>levels</caption>
 *   <tr><th>logger prefix</th><th>default</th><th>{@code --verbose}</th></tr>
 *   <tr><td>(every logger: libraries such as {@code org.apache.sshd},
 *       {@code com.github.dockerjava}, {@code org.apache.hc})</td><td>WARN</td><td>INFO</td></tr>
 *   <tr><td>{@code io.github.sshcontainer}</td><td>WARN</td><td>DEBUG</td></tr>
 *   <tr><td>{@code io.github.sshcontainer.tunnel.jsch} (JSch's own log)</td><td>WARN</td>
 *       <td>INFO</td></tr>
 *   <tr><td>{@code io.github.sshcontainer.docker.PublishedPorts} (which port goes where)</td>
 *       <td>INFO</td><td>DEBUG</td></tr>
 *   <tr><td>{@code io.github.sshcontainer.gateway}, for the {@code gateway} command (listening,
 *       one line per connection)</td><td>INFO</td><td>DEBUG</td></tr>
 *   <tr><td>{@code org.apache.sshd}, for the {@code gateway} command (MINA's per-connection
 *       warnings: undecodable packets, failed key exchanges)</td><td>ERROR</td><td>INFO</td></tr>
 *   <tr><td>{@code io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap} (a harmless warning that
 *       Unix sockets have no SO_KEEPALIVE)</td><td>ERROR</td><td>ERROR</td></tr>
 * </table>
 *
 * <p>System properties override a level: {@code -Dssh-container.log.level.PREFIX=LEVEL} (trace,
 * debug, info, warn, error, off), {@code -Dssh-container.log.level=LEVEL} for every logger.
 *
 * <p>Thread-safe: the configuration is one immutable value swapped at once; lines are written
 * whole, one at a time.
 */
public final class Logs {
  /** The system property prefix of level overrides. */
  public static final String LEVEL_PROPERTY = "ssh-container.log.level";
  static final int OFF = Integer.MAX_VALUE;

  private static volatile Config config = new Config(Format.TEXT, false,
      Map.of("", Level.WARN.toInt()));

  private Logs() {}

  /** The shape of a line. */
  public enum Format {
    /** {@code [thread] LEVEL logger - message}, as slf4j-simple writes it. */
    TEXT,
    /** One JSON object per line. */
    JSON;

    /**
     * {@code text} or {@code json}, in any case.
     *
     * @throws IllegalArgumentException naming the value and the two that are allowed
     */
    public static Format of(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "text" -> TEXT;
        case "json" -> JSON;
        default -> throw new IllegalArgumentException("a log format is text or json, got '"
            + name + "'");
      };
    }
  }

  /** The levels, format and verbosity of one run. */
  record Config(Format format, boolean verbose, Map<String, Integer> levels) {
    Config {
      levels = Map.copyOf(levels);
    }

    int threshold(String logger) {
      String name = logger;
      while (true) {
        Integer level = levels.get(name);
        if (level != null) {
          return level;
        }
        if (name.isEmpty()) {
          return Level.WARN.toInt();
        }
        int dot = name.lastIndexOf('.');
        name = dot < 0 ? "" : name.substring(0, dot);
      }
    }
  }

  /**
   * Sets the levels (see the class comment) and keeps the format; call it before the first
   * logger is made, or loggers made before log at the old levels until their next event.
   *
   * @param verbose {@code --verbose}: DEBUG for the project's loggers, INFO for libraries, and
   *     stack traces
   * @param gateway the {@code gateway} command runs: its INFO lines are shown
   * @throws IllegalArgumentException for a level override that names no level
   */
  public static void configure(boolean verbose, boolean gateway) {
    configure(verbose, gateway, System.getProperties());
  }

  static void configure(boolean verbose, boolean gateway, Properties properties) {
    Map<String, Integer> levels = new LinkedHashMap<>();
    levels.put("", (verbose ? Level.INFO : Level.WARN).toInt());
    levels.put("io.github.sshcontainer", (verbose ? Level.DEBUG : Level.WARN).toInt());
    levels.put("io.github.sshcontainer.tunnel.jsch", (verbose ? Level.INFO : Level.WARN).toInt());
    levels.put("io.github.sshcontainer.docker.PublishedPorts",
        (verbose ? Level.DEBUG : Level.INFO).toInt());
    if (gateway) {
      levels.put("io.github.sshcontainer.gateway", (verbose ? Level.DEBUG : Level.INFO).toInt());
      // MINA's own server logs under the gateway's subclass name (its start-up INFO line)
      levels.put("io.github.sshcontainer.gateway.GatewayServer$Listener",
          (verbose ? Level.INFO : Level.WARN).toInt());
      // MINA warns once per bad connection (a packet it cannot decode, a failed key
      // exchange): what a scanner or a flood sends, nothing an operator acts on line by line;
      // the gateway logs one line per penalty instead
      levels.put("org.apache.sshd", (verbose ? Level.INFO : Level.ERROR).toInt());
    }
    levels.put("io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap", Level.ERROR.toInt());
    for (String key : properties.stringPropertyNames()) {
      if (key.equals(LEVEL_PROPERTY) || key.startsWith(LEVEL_PROPERTY + ".")) {
        String prefix = key.substring(Math.min(key.length(), LEVEL_PROPERTY.length() + 1));
        levels.put(prefix, level(key, properties.getProperty(key)));
      }
    }
    config = new Config(config.format(), verbose, levels);
  }

  private static int level(String key, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT);
    if (v.equals("OFF")) {
      return OFF;
    }
    try {
      return Level.valueOf(v).toInt();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + key + " takes trace, debug, info, warn, error "
          + "or off, got '" + value + "'", e);
    }
  }

  /** Switches the shape of the lines from the next event on. */
  public static void format(Format format) {
    Config c = config;
    config = new Config(java.util.Objects.requireNonNull(format, "format"), c.verbose(),
        c.levels());
  }

  /** The shape of the lines now. */
  public static Format format() {
    return config.format();
  }

  static Config config() {
    return config;
  }

  /** Writes one line (it ends with a newline) to stderr, whole. */
  static void write(String line) {
    PrintStream err = System.err;
    synchronized (Logs.class) {
      err.print(line);
      err.flush();
    }
  }
}
