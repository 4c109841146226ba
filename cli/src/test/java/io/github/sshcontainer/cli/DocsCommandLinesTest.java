package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DocsCheck;
import io.github.sshcontainer.lab.DocsCheck.Declaration;
import io.github.sshcontainer.lab.DocsCheck.Kind;
import io.github.sshcontainer.lab.MarkdownPage;
import io.github.sshcontainer.lab.MarkdownPage.CodeBlock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The pages' {@code ssh-container} command lines are ones the CLI accepts, and their synopsis
 * names every command and only options the CLI has: what {@link DocsCheck} leaves to the CLI,
 * checked with the CLI's own parser (picocli), without running anything.
 */
class DocsCommandLinesTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern OPTION = Pattern.compile("^[\\[|]*(--?[A-Za-z][\\w-]*)[\\]|]*$");

  /** The problems of one command line of a commands block, as the CLI's parser sees it. */
  static List<String> commandLineProblems(List<String> command) {
    List<String> args = command.subList(1, command.size());
    try {
      new CommandLine(new Main.Root()).parseArgs(args.toArray(String[]::new));
      return List.of();
    } catch (CommandLine.ParameterException e) {
      return List.of("'" + String.join(" ", command) + "': " + e.getMessage());
    }
  }

  /** The problems of a synopsis: unknown commands and options, commands it leaves out. */
  static List<String> synopsisProblems(String synopsis) {
    Map<String, CommandLine> commands = new CommandLine(new Main.Root()).getSubcommands();
    List<String> entries = new ArrayList<>();
    for (String line : synopsis.split("\n")) {
      if (line.startsWith(" ") && !entries.isEmpty()) {
        entries.set(entries.size() - 1, entries.get(entries.size() - 1) + " " + line.strip());
      } else if (!line.isBlank()) {
        entries.add(line.strip());
      }
    }
    List<String> problems = new ArrayList<>();
    List<String> named = new ArrayList<>();
    for (String entry : entries) {
      String[] words = entry.split("\\s+");
      CommandLine command = words.length > 1 ? commands.get(words[1]) : null;
      if (!words[0].equals("ssh-container") || command == null) {
        problems.add("'" + entry + "' names no command of the CLI (its commands: "
            + String.join(", ", commands.keySet()) + ")");
        continue;
      }
      named.add(words[1]);
      for (String w : words) {
        Matcher option = OPTION.matcher(w);
        if (option.matches()
            && !command.getCommandSpec().optionsMap().containsKey(option.group(1))) {
          problems.add("'" + words[1] + "' has no option " + option.group(1) + " (its options: "
              + String.join(" ", command.getCommandSpec().optionsMap().keySet()) + ")");
        }
      }
    }
    for (String name : commands.keySet()) {
      if (!name.equals("help") && !named.contains(name)) {
        problems.add("the synopsis leaves out the command '" + name + "'");
      }
    }
    return problems;
  }

  @Test
  void everySshContainerCommandLineOfThePagesIsOneTheCliAccepts() {
    List<String> problems = new ArrayList<>();
    int lines = 0;
    for (MarkdownPage page : DocsCheck.pages(ROOT)) {
      for (CodeBlock block : page.codeBlocks()) {
        if (kind(block) != Kind.COMMANDS) {
          continue;
        }
        for (List<String> command : DocsCheck.commands(block.text())) {
          if (DocsCheck.program(command).equals("ssh-container")) {
            lines++;
            for (String p : commandLineProblems(command)) {
              problems.add(page.at(block.line()) + ": " + p);
            }
          }
        }
      }
    }
    assertTrue(lines >= 8, "the pages show ssh-container command lines: found " + lines);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void everySynopsisNamesEveryCommandAndOnlyOptionsTheCliHas() {
    List<String> problems = new ArrayList<>();
    int synopses = 0;
    for (MarkdownPage page : DocsCheck.pages(ROOT)) {
      for (CodeBlock block : page.codeBlocks()) {
        if (kind(block) == Kind.SYNOPSIS) {
          synopses++;
          for (String p : synopsisProblems(block.text())) {
            problems.add(page.at(block.line()) + ": " + p);
          }
        }
      }
    }
    assertTrue(synopses >= 4, "README, docs/cli.md and their Chinese pages show the synopsis:"
        + " found " + synopses);
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void aCommandLineTheCliRefusesIsAProblem() {
    assertEquals(List.of(), commandLineProblems(List.of("ssh-container", "up", "build",
        "ssh://me@build-host", "--use")));
    List<String> problems = commandLineProblems(List.of("ssh-container", "up", "build",
        "--no-such-option"));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("--no-such-option"), problems.get(0));
    assertEquals(1, commandLineProblems(List.of("ssh-container", "frobnicate")).size());
  }

  @Test
  void aSynopsisWithAnUnknownOptionOrWithoutACommandIsAProblem() {
    List<String> problems = synopsisProblems("ssh-container tunnel DEST [--no-such]\n"
        + "    [--tcp]\nssh-container nope X\n");
    assertTrue(problems.get(0).startsWith("'tunnel' has no option --no-such"), problems.get(0));
    assertTrue(problems.get(1).startsWith("'ssh-container nope X' names no command"),
        problems.get(1));
    assertTrue(problems.contains("the synopsis leaves out the command 'forward'"),
        problems.toString());
    assertTrue(problems.stream().noneMatch(p -> p.startsWith("'tunnel' has no option --tcp")),
        problems.toString());
  }

  private static Kind kind(CodeBlock block) {
    try {
      return Declaration.of(block.declaration()).kind();
    } catch (IllegalArgumentException e) {
      return null; // DocsCheck.codeBlocks reports it
    }
  }
}
