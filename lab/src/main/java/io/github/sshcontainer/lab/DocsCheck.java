package io.github.sshcontainer.lab;

import io.github.sshcontainer.lab.MarkdownPage.CodeBlock;
import io.github.sshcontainer.lab.MarkdownPage.StrayDeclaration;
import io.github.sshcontainer.lab.ReadmeSnippets.Snippet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The rules the project's pages (README.md, README-zh-CN.md, docs/**.md) keep, each a method
 * that returns the problems it finds, one line each, starting with the file and line:
 *
 * <ul>
 *   <li>{@link #codeBlocks}: every fenced code block is a snippet of a file a test runs (see
 *       {@link ReadmeSnippets}), or its declaration, an HTML comment on the line before the fence,
 *       says what it is instead: {@code <!-- docs: commands -->} (shell commands: each runs a
 *       script of the project, or {@code ssh-container}, whose command lines the CLI's own parser
 *       reads in cli's {@code DocsCommandLinesTest}; other programs are listed after {@code ; not
 *       run by a test:}), {@code <!-- docs: synopsis -->} (the CLI's synopsis, whose commands and
 *       options that test checks against the CLI), {@code <!-- docs: read by PATH -->} (the test
 *       at PATH reads the block from this page and runs it) or {@code <!-- docs: not run:
 *       REASON -->}. Every snippet is shown on an English page and its Chinese one.
 *   <li>{@link #translations}: every English page has its Chinese page (README.md:
 *       README-zh-CN.md; docs/X.md: docs/zh-CN/X.md) and the other way round, with the same
 *       headings (level by level, in order) and the same code blocks (the same declarations,
 *       under the same heading; snippets identical, commands identical but for their comments).
 *   <li>{@link #links}: every relative link names a file or directory of the project, and an
 *       anchor a heading of that page; a Chinese page links to English pages only as its own
 *       English counterpart, and the other way round.
 * </ul>
 */
public final class DocsCheck {
  /** The cli test that parses the docs' {@code ssh-container} command lines and synopsis. */
  public static final String CLI_TEST =
      "cli/src/test/java/io/github/sshcontainer/cli/DocsCommandLinesTest.java";
  private static final String HOW = " (the rules: docs/README.md#how-the-pages-are-checked)";

  private DocsCheck() {}

  /** What a code block's declaration says it is. */
  public enum Kind { SNIPPET, COMMANDS, SYNOPSIS, READ_BY, NOT_RUN }

  /**
   * A code block's declaration: its kind and its argument (the programs not run by a test, the
   * test's path, the reason; "" when there is none).
   */
  public record Declaration(Kind kind, String argument) {
    /**
     * Parses the text after {@code docs:}; null (no declaration) is a snippet.
     *
     * @throws IllegalArgumentException for a declaration that is none of the four
     */
    public static Declaration of(String declaration) {
      if (declaration == null) {
        return new Declaration(Kind.SNIPPET, "");
      }
      String d = declaration.strip();
      if (d.equals("commands")) {
        return new Declaration(Kind.COMMANDS, "");
      }
      if (d.startsWith("commands; not run by a test:")) {
        return new Declaration(Kind.COMMANDS,
            d.substring("commands; not run by a test:".length()).strip());
      }
      if (d.equals("synopsis")) {
        return new Declaration(Kind.SYNOPSIS, "");
      }
      if (d.startsWith("read by ")) {
        return new Declaration(Kind.READ_BY, d.substring("read by ".length()).strip());
      }
      if (d.startsWith("not run:") && !d.substring("not run:".length()).isBlank()) {
        return new Declaration(Kind.NOT_RUN, d.substring("not run:".length()).strip());
      }
      throw new IllegalArgumentException("'docs: " + d + "' is no declaration: one of 'docs:"
          + " commands', 'docs: commands; not run by a test: PROGRAM…', 'docs: synopsis',"
          + " 'docs: read by PATH', 'docs: not run: REASON'");
    }
  }

  /** README.md and the English pages under docs/ (not docs/zh-CN/), relative to the root. */
  public static List<Path> englishPages(Path root) {
    List<Path> out = new ArrayList<>();
    if (Files.exists(root.resolve("README.md"))) {
      out.add(Path.of("README.md"));
    }
    for (Path p : markdownUnder(root, Path.of("docs"))) {
      if (!p.startsWith(Path.of("docs", "zh-CN"))) {
        out.add(p);
      }
    }
    return out;
  }

  /** README-zh-CN.md and the pages under docs/zh-CN/, relative to the root. */
  public static List<Path> chinesePages(Path root) {
    List<Path> out = new ArrayList<>();
    if (Files.exists(root.resolve("README-zh-CN.md"))) {
      out.add(Path.of("README-zh-CN.md"));
    }
    out.addAll(markdownUnder(root, Path.of("docs", "zh-CN")));
    return out;
  }

  /** Where the Chinese page of an English page is. */
  public static Path chineseCounterpart(Path english) {
    if (english.equals(Path.of("README.md"))) {
      return Path.of("README-zh-CN.md");
    }
    return Path.of("docs", "zh-CN").resolve(Path.of("docs").relativize(english));
  }

  /** Where the English page of a Chinese page is. */
  public static Path englishCounterpart(Path chinese) {
    if (chinese.equals(Path.of("README-zh-CN.md"))) {
      return Path.of("README.md");
    }
    return Path.of("docs").resolve(Path.of("docs", "zh-CN").relativize(chinese));
  }

  /** Every page, English then Chinese. */
  public static List<MarkdownPage> pages(Path root) {
    List<MarkdownPage> out = new ArrayList<>();
    for (Path p : englishPages(root)) {
      out.add(MarkdownPage.read(root, p));
    }
    for (Path p : chinesePages(root)) {
      out.add(MarkdownPage.read(root, p));
    }
    return out;
  }

  private static List<Path> markdownUnder(Path root, Path dir) {
    if (!Files.isDirectory(root.resolve(dir))) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root.resolve(dir))) {
      return files.filter(f -> Files.isRegularFile(f) && f.toString().endsWith(".md"))
          .map(root::relativize).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Every code block is a tested snippet or declared; every snippet is shown. */
  public static List<String> codeBlocks(Path root) {
    List<String> problems = new ArrayList<>();
    List<Snippet> snippets = ReadmeSnippets.all(root, problems);
    Map<String, List<Snippet>> byText = new HashMap<>();
    for (Snippet s : snippets) {
      byText.computeIfAbsent(s.text(), t -> new ArrayList<>()).add(s);
    }
    Map<Snippet, Set<Path>> shownOn = new HashMap<>();
    boolean cliLinesShown = false;
    for (MarkdownPage page : pages(root)) {
      for (StrayDeclaration d : page.strayDeclarations()) {
        problems.add(page.at(d.line()) + ": " + d.text()
            + " is not on the line just before a code block's opening fence" + HOW);
      }
      for (CodeBlock block : page.codeBlocks()) {
        Declaration declaration;
        try {
          declaration = Declaration.of(block.declaration());
        } catch (IllegalArgumentException e) {
          problems.add(page.at(block.line() - 1) + ": " + e.getMessage() + HOW);
          continue;
        }
        switch (declaration.kind()) {
          case SNIPPET -> {
            List<Snippet> same = byText.get(block.text());
            if (same == null) {
              problems.add(page.at(block.line()) + ": this ```" + block.info() + " block is no"
                  + " snippet of a tested file: it matches no README:begin/end NAME text in the"
                  + " project" + closest(block.text(), snippets) + "; copy the snippet exactly,"
                  + " or declare what the block is instead" + HOW);
            } else {
              for (Snippet s : same) {
                shownOn.computeIfAbsent(s, k -> new LinkedHashSet<>()).add(page.path());
              }
            }
          }
          case COMMANDS -> cliLinesShown |= commandsRun(root, page, block, declaration, problems);
          case SYNOPSIS -> {
            cliLinesShown = true;
            synopsisShape(page, block, problems);
          }
          case READ_BY -> readBy(root, page, block, declaration.argument(), problems);
          case NOT_RUN -> { } // a reason is given; Declaration.of insists on one
          default -> throw new IllegalStateException(declaration.kind().toString());
        }
      }
    }
    if (cliLinesShown && !Files.isRegularFile(root.resolve(CLI_TEST))) {
      problems.add(CLI_TEST + ": missing, and it is what parses the pages' ssh-container"
          + " command lines and synopsis" + HOW);
    }
    for (Snippet s : snippets) {
      Set<Path> on = shownOn.getOrDefault(s, Set.of());
      List<Path> english = on.stream().filter(p -> !isChinese(p)).toList();
      if (english.isEmpty()) {
        problems.add(s.at() + ": the snippet '" + s.name() + "' is shown on no English page"
            + " (README.md, docs/*.md): show it, or remove its markers");
      }
      for (Path e : english) {
        if (!on.contains(chineseCounterpart(e))) {
          problems.add(s.at() + ": the snippet '" + s.name() + "' is shown on " + slashes(e)
              + " but not on " + slashes(chineseCounterpart(e)));
        }
      }
    }
    return problems;
  }

  /** The snippet the block begins as, the longest way, and where they part. */
  private static String closest(String text, List<Snippet> snippets) {
    List<String> block = text.lines().toList();
    Snippet best = null;
    int same = 0;
    for (Snippet s : snippets) {
      List<String> snippet = s.text().lines().toList();
      int i = 0;
      while (i < block.size() && i < snippet.size() && block.get(i).equals(snippet.get(i))) {
        i++;
      }
      if (i > same) {
        best = s;
        same = i;
      }
    }
    if (best == null) {
      return " (first line: '" + (block.isEmpty() ? "" : block.get(0)) + "')";
    }
    List<String> snippet = best.text().lines().toList();
    return " (it begins as '" + best.name() + "' at " + best.at() + " does, and first differs"
        + " from it at the block's line " + (same + 1) + ": '"
        + (same < block.size() ? block.get(same) : "(the block ends)") + "' against '"
        + (same < snippet.size() ? snippet.get(same) : "(the snippet ends)") + "')";
  }

  /** Checks each command's program; true if one runs ssh-container. */
  private static boolean commandsRun(Path root, MarkdownPage page, CodeBlock block,
      Declaration declaration, List<String> problems) {
    Set<String> notRun = new LinkedHashSet<>(
        List.of(declaration.argument().isBlank() ? new String[0]
            : declaration.argument().split("\\s+")));
    Set<String> used = new LinkedHashSet<>();
    boolean cli = false;
    List<List<String>> commands = commands(block.text());
    if (commands.isEmpty()) {
      problems.add(page.at(block.line()) + ": a commands block with no command in it");
    }
    for (List<String> command : commands) {
      String program = program(command);
      if (program.equals("ssh-container")) {
        cli = true;
      } else if (program.contains("/")) {
        Path project = root.toAbsolutePath().normalize();
        Path file = project.resolve(program).normalize();
        if (!file.startsWith(project) || !Files.isRegularFile(file)
            || !Files.isExecutable(file)) {
          problems.add(page.at(block.line()) + ": '" + program + "' is no executable file of"
              + " the project" + HOW);
        }
      } else if (notRun.contains(program)) {
        used.add(program);
      } else {
        problems.add(page.at(block.line()) + ": '" + program + "' (in '"
            + String.join(" ", command) + "') is neither a script of the project nor"
            + " ssh-container: name it after 'not run by a test:' in the block's declaration"
            + HOW);
      }
    }
    for (String p : notRun) {
      if (!used.contains(p)) {
        problems.add(page.at(block.line() - 1) + ": the declaration names '" + p
            + "' as not run by a test, and no command of the block runs it");
      }
    }
    return cli;
  }

  private static void synopsisShape(MarkdownPage page, CodeBlock block, List<String> problems) {
    List<String> lines = block.text().lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty() || !lines.get(0).startsWith("ssh-container ")) {
      problems.add(page.at(block.line()) + ": a synopsis begins with 'ssh-container '");
    }
    for (String l : lines) {
      if (!l.startsWith("ssh-container ") && !l.startsWith(" ")) {
        problems.add(page.at(block.line()) + ": synopsis line '" + l + "' is neither a command"
            + " ('ssh-container …') nor an indented continuation");
      }
    }
  }

  private static void readBy(Path root, MarkdownPage page, CodeBlock block, String test,
      List<String> problems) {
    Path file = root.resolve(test).normalize();
    if (!test.contains("/src/test/") || !Files.isRegularFile(file)) {
      problems.add(page.at(block.line() - 1) + ": '" + test + "' is no test source of the"
          + " project (a file under a module's src/test/)");
      return;
    }
    try {
      String name = slashes(page.path());
      if (!Files.readString(file).contains(name)) {
        problems.add(page.at(block.line() - 1) + ": " + test + " does not read " + name
            + " (its text never names the page), so it cannot be what runs this block");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The commands of a shell block, each as its words: continuation lines joined, comments
   * dropped, split at {@code &&}, {@code ||}, {@code ;} and {@code |}, quotes removed.
   */
  public static List<List<String>> commands(String text) {
    List<List<String>> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    String joined = text.replace("\\\n", " ");
    for (String line : joined.split("\n")) {
      StringBuilder word = null;
      char quote = 0;
      for (int i = 0; i <= line.length(); i++) {
        char c = i < line.length() ? line.charAt(i) : '\n';
        if (quote != 0) {
          if (c == quote) {
            quote = 0;
          } else if (c != '\n') {
            word.append(c);
          }
          continue;
        }
        if (c == '\'' || c == '"') {
          quote = c;
          word = word == null ? new StringBuilder() : word;
        } else if (c == '#' && word == null) {
          break; // a comment, to the end of the line
        } else if (c == ' ' || c == '\t' || c == '\n') {
          if (word != null) {
            current.add(word.toString());
            word = null;
          }
        } else if (c == ';' || c == '|' || c == '&') {
          if (word != null) {
            current.add(word.toString());
            word = null;
          }
          if (i + 1 < line.length() && line.charAt(i + 1) == c) {
            i++;
          }
          if (!current.isEmpty()) {
            out.add(current);
            current = new ArrayList<>();
          }
        } else {
          word = word == null ? new StringBuilder() : word;
          word.append(c);
        }
      }
      if (word != null) {
        current.add(word.toString());
      }
      if (!current.isEmpty()) {
        out.add(current);
        current = new ArrayList<>();
      }
    }
    return out;
  }

  /** A command's program: its first word after any VAR=value assignments. */
  public static String program(List<String> command) {
    for (String w : command) {
      if (!w.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
        return w;
      }
    }
    return "";
  }

  // ---------------------------------------------------------------------------------------------

  /** Every page has its counterpart with the same headings and code blocks. */
  public static List<String> translations(Path root) {
    return DocsTranslations.check(root);
  }

  /** Every relative link and anchor resolves, and stays in its language. */
  public static List<String> links(Path root) {
    return DocsLinks.check(root);
  }

  private static boolean isChinese(Path page) {
    return page.equals(Path.of("README-zh-CN.md")) || page.startsWith(Path.of("docs", "zh-CN"));
  }

  static String slashes(Path p) {
    return p.toString().replace('\\', '/');
  }
}
