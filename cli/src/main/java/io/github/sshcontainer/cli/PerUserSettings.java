package io.github.sshcontainer.cli;

import io.github.sshcontainer.cli.GatewayConfigFile.ContainerKeys;
import io.github.sshcontainer.cli.GatewayConfigFile.DockerSections;
import io.github.sshcontainer.cli.GatewayConfigFile.Invalid;
import io.github.sshcontainer.cli.GatewayConfigFile.MatchBlock;
import io.github.sshcontainer.cli.GatewayConfigFile.Where;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Each login's container settings: the config file's first matching {@code match:} block over
 * the top level. Every block's options are made when the file is loaded, so that a bad block
 * stops the start (or the reload) and never a login.
 *
 * <p>Immutable; thread-safe.
 */
final class PerUserSettings implements PerConnectionOptions {
  /** A command holding the container keys in force, their options, what shaped them. */
  private record Settings(GatewayCommand command, DockerSections docker,
      DockerBackendOptions options, String shapedBy) {}

  private final List<MatchBlock> blocks;
  private final List<Settings> matched;
  private final Settings top;

  private PerUserSettings(List<MatchBlock> blocks, List<Settings> matched, Settings top) {
    this.blocks = blocks;
    this.matched = matched;
    this.top = top;
  }

  /**
   * The settings of {@code command} (its options applied, {@code options} made from them) and
   * of {@code file}'s match blocks (may be null): each block's options made now.
   *
   * @throws Invalid a block whose options cannot be made, naming file, line and key
   */
  static PerUserSettings load(GatewayCommand command, GatewayConfigFile file,
      DockerBackendOptions options) {
    DockerSections docker = file == null ? DockerSections.NONE : file.docker();
    Settings top = new Settings(overlay(command, null), docker, options, "");
    List<MatchBlock> blocks = file == null ? List.of() : file.matches();
    List<Settings> matched = new ArrayList<>();
    for (MatchBlock b : blocks) {
      Where where = file.where(b);
      try {
        GatewayCommand c = overlay(top.command(), b.keys());
        DockerSections d = docker.with(b.keys().docker());
        matched.add(new Settings(c, d, c.backendOptions(d), b.description()));
      } catch (CommandLine.ParameterException | IllegalArgumentException e) {
        throw invalid(e, where, b.keys().names());
      }
    }
    return new PerUserSettings(List.copyOf(blocks), List.copyOf(matched), top);
  }

  /** What the backend asks: this, or {@link PerConnectionOptions#NONE} with nothing to do. */
  PerConnectionOptions choice() {
    return blocks.isEmpty() ? PerConnectionOptions.NONE : this;
  }

  @Override
  public Choice choose(ConnectionInfo connection, DockerBackendOptions base) {
    Settings s = top;
    for (int i = 0; i < blocks.size(); i++) {
      if (blocks.get(i).matches(connection.user(), connection.identity().certificate())) {
        s = matched.get(i);
        break;
      }
    }
    return new Choice(s == top ? base : s.options(), s.shapedBy());
  }

  /**
   * A copy of {@code base} (every option's value) with {@code keys} over it: a key-value
   * option ({@code env}, {@code subsystem}) gets theirs after its own, so that theirs win by
   * name; every other option given is replaced. Null keys: a plain copy.
   *
   * @throws CommandLine.ParameterException a value picocli cannot convert
   */
  private static GatewayCommand overlay(GatewayCommand base, ContainerKeys keys) {
    CommandLine fresh = new CommandLine(GatewayCommand.class, CommandLine.defaultFactory());
    CommandSpec to = fresh.getCommandSpec();
    for (OptionSpec o : base.spec.options()) {
      to.findOption(o.longestName()).setValue(copy(o.getValue()));
    }
    if (keys != null && !keys.arguments().isEmpty()) {
      List<String> args = new ArrayList<>();
      keys.arguments().forEach((key, values) -> values.forEach(v -> args.add("--" + key + "="
          + v)));
      CommandLine parsed = new CommandLine(GatewayCommand.class, CommandLine.defaultFactory());
      parsed.parseArgs(args.toArray(String[]::new));
      for (String key : keys.arguments().keySet()) {
        OptionSpec target = to.findOption("--" + key);
        Object theirs = copy(parsed.getCommandSpec().findOption("--" + key).getValue());
        if (GatewayConfigFile.keyValues(target)) {
          List<Object> merged = new ArrayList<>((List<?>) target.getValue());
          merged.addAll((List<?>) theirs);
          target.setValue(merged);
        } else {
          target.setValue(theirs);
        }
      }
    }
    if (keys != null) {
      keys.flags().forEach((key, on) -> to.findOption("--" + key).setValue(on));
    }
    return fresh.getCommand();
  }

  private static Object copy(Object value) {
    return value instanceof List<?> l ? new ArrayList<>(l) : value;
  }

  /** {@code e} (a value that cannot be used) at the key it names, else at the block. */
  private static Invalid invalid(RuntimeException e, Where where, Set<String> given) {
    String key = null;
    if (e instanceof CommandLine.ParameterException p
        && p.getArgSpec() instanceof OptionSpec o) {
      key = o.longestName().substring(2);
    } else if (e.getMessage() != null && e.getMessage().startsWith("--")) {
      key = e.getMessage().substring(2).split("[ =:]", 2)[0];
    }
    String at = key != null && given.contains(key) ? where.at(key) : where.inBlock()
        ? where.place("") + "key '" + where.name("") + "': " : where.place("");
    return new Invalid(at + e.getMessage(), e);
  }
}
