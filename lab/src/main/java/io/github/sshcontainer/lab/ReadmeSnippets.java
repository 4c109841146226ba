package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the docs' examples true: the lines between a {@code README:begin NAME} line and a {@code
 * README:end NAME} line of a source file (in a {@code //}, {@code #} or {@code <!-- -->} comment)
 * are a snippet, and a page shows it as one fenced code block, verbatim, common indentation
 * removed. The test that runs the file checks, with {@link #assertShown}, that the docs show it;
 * {@link DocsCheck} checks that every code block of the docs is such a snippet or says what it
 * is instead.
 */
public final class ReadmeSnippets {
  private static final Pattern MARKER = Pattern.compile(
      "^\\s*(?://|#|<!--)\\s*README:(begin|end)\\s+([A-Za-z0-9._-]+)\\s*(?:-->)?\\s*$");
  private static final long LARGEST_SOURCE = 1 << 20;

  private ReadmeSnippets() {}

  /**
   * A snippet: its name, the file it is marked in (relative to the project's root), the line of
   * its begin marker, and its text as a page shows it.
   */
  public record Snippet(String name, Path file, int line, String text) {
    /** "consumer-test/pom.xml:23", as problems name a place. */
    public String at() {
      return file.toString().replace('\\', '/') + ":" + line;
    }
  }

  /**
   * Asserts that an English page (README.md or a page under docs/) and its Chinese counterpart
   * (README-zh-CN.md, docs/zh-CN/…) show the snippet NAME of {@code source}.
   *
   * @param source the file, relative to the module directory
   * @param root the project's root directory
   * @throws AssertionError naming the snippet, the file, and the pages that lack it
   */
  public static void assertShown(Path source, String name, Path root) {
    String snippet = snippet(source, name);
    List<String> english = new ArrayList<>();
    for (Path page : DocsCheck.englishPages(root)) {
      if (shows(root, page, snippet)) {
        english.add(page.toString());
        Path chinese = DocsCheck.chineseCounterpart(page);
        if (!Files.exists(root.resolve(chinese)) || !shows(root, chinese, snippet)) {
          throw new AssertionError(page + " shows the '" + name + "' example, " + chinese
              + " must show it too, exactly as tested in " + source + ":\n" + snippet);
        }
      }
    }
    if (english.isEmpty()) {
      throw new AssertionError("no page (README.md, docs/*.md) shows the '" + name
          + "' example exactly as tested in " + source + ":\n" + snippet);
    }
  }

  private static boolean shows(Path root, Path page, String snippet) {
    return MarkdownPage.read(root, page).codeBlocks().stream()
        .anyMatch(b -> b.text().equals(snippet));
  }

  /** The snippet text, as the pages must show it. */
  public static String snippet(Path source, String name) {
    try {
      for (Snippet s : inFile(source, Files.readString(source), new ArrayList<>())) {
        if (s.name().equals(name)) {
          return s.text();
        }
      }
      throw new AssertionError("no README:begin/end " + name + " markers in " + source);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every snippet marked in the project: every text file under {@code root} but Markdown pages
   * and what {@code target/} and dot directories hold.
   *
   * @param problems gets one line per malformed marker (a begin without its end, an end without
   *     its begin, a name marked twice), naming the file and line
   */
  public static List<Snippet> all(Path root, List<String> problems) {
    List<Path> files = new ArrayList<>();
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          String name = root.relativize(dir).toString();
          return name.equals("target") || name.endsWith("/target") || name.startsWith(".")
              || name.contains("/.") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (attrs.isRegularFile() && attrs.size() <= LARGEST_SOURCE
              && !file.getFileName().toString().endsWith(".md")) {
            files.add(root.relativize(file));
          }
          return FileVisitResult.CONTINUE;
        }
      });
      files.sort(null);
      List<Snippet> out = new ArrayList<>();
      for (Path file : files) {
        String text;
        try {
          text = Files.readString(root.resolve(file));
        } catch (MalformedInputException binary) {
          continue; // not a text file: no snippet in it
        }
        if (text.contains("README:")) {
          out.addAll(inFile(file, text, problems));
        }
      }
      duplicates(out, problems);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void duplicates(List<Snippet> out, List<String> problems) {
    for (int i = 0; i < out.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (out.get(i).name().equals(out.get(j).name())) {
          problems.add(out.get(i).at() + ": the snippet name '" + out.get(i).name()
              + "' is marked already at " + out.get(j).at() + "; give each snippet its own name");
        }
      }
    }
  }

  private static List<Snippet> inFile(Path file, String text, List<String> problems) {
    List<Snippet> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    String open = null;
    int openLine = 0;
    for (int i = 0; i < lines.length; i++) {
      Matcher m = MARKER.matcher(lines[i]);
      if (!m.matches()) {
        continue;
      }
      String name = m.group(2);
      String where = file.toString().replace('\\', '/') + ":" + (i + 1);
      if (m.group(1).equals("begin")) {
        if (open != null) {
          problems.add(where + ": README:begin " + name + " inside the snippet '" + open
              + "' begun at line " + openLine + "; end that one first");
        }
        open = name;
        openLine = i + 1;
      } else if (!name.equals(open)) {
        problems.add(where + ": README:end " + name + " without its README:begin "
            + name + (open != null ? " (the open snippet is '" + open + "')" : ""));
      } else {
        List<String> body = List.of(lines).subList(openLine, i);
        out.add(new Snippet(name, file, openLine,
            String.join("\n", body).stripIndent().strip()));
        open = null;
      }
    }
    if (open != null) {
      problems.add(file.toString().replace('\\', '/') + ":" + openLine + ": README:begin " + open
          + " without its README:end " + open);
    }
    return out;
  }
}
