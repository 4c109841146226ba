package io.github.sshcontainer.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Positional words before and after a literal {@code --}. */
record Positionals(List<String> before, List<String> after) {
  static Positionals of(CommandLine.Model.CommandSpec spec, List<String> positional) {
    List<String> original = spec.commandLine().getParseResult().originalArgs();
    int dashes = original.indexOf("--");
    if (dashes < 0) {
      return new Positionals(List.copyOf(positional), List.of());
    }
    int after = original.size() - dashes - 1;
    List<String> all = new ArrayList<>(positional);
    return new Positionals(List.copyOf(all.subList(0, all.size() - after)),
        List.copyOf(all.subList(all.size() - after, all.size())));
  }
}
