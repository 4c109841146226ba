package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Markdown page of the project's docs, read as GitHub shows it: its headings (with the
 * anchors GitHub gives them), its fenced code blocks (each with the {@code <!-- docs: … -->}
 * declaration on the line before it, if any) and its inline links. Line numbers count from 1.
 */
public final class MarkdownPage {
  private static final Pattern FENCE = Pattern.compile("^( {0,3})(`{3,}|~{3,})(.*)$");
  private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
  // the target only: a link's text may begin on the line before
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");
  private static final Pattern DECLARATION = Pattern.compile("^\\s*<!--\\s*docs:(.*?)-->\\s*$");

  /** A heading: its level (1 for {@code #}), its text and the anchor GitHub links it by. */
  public record Heading(int line, int level, String text, String anchor) {}

  /**
   * A fenced code block: the line of its opening fence, the fence's info string ("java", or ""),
   * the declaration on the line before the fence (the text after {@code docs:}, or null), its
   * content without the fences, and the index in {@link #headings()} of the heading it sits
   * under (-1 before the first heading).
   */
  public record CodeBlock(int line, String info, String declaration, String text, int section) {}

  /** An inline link or image: the line it is on and its target as written. */
  public record Link(int line, String target) {}

  /** A {@code <!-- docs: … -->} comment that is not on the line before a fence. */
  public record StrayDeclaration(int line, String text) {}

  private final Path path;
  private final List<Heading> headings = new ArrayList<>();
  private final List<CodeBlock> codeBlocks = new ArrayList<>();
  private final List<Link> links = new ArrayList<>();
  private final List<StrayDeclaration> strayDeclarations = new ArrayList<>();

  private MarkdownPage(Path path, String text) {
    this.path = path;
    parse(text);
  }

  /**
   * Reads a page.
   *
   * @param root the project's root directory
   * @param page the page, relative to the root (as messages name it)
   */
  public static MarkdownPage read(Path root, Path page) {
    try {
      return new MarkdownPage(page, Files.readString(root.resolve(page)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page, relative to the project's root. */
  public Path path() {
    return path;
  }

  public List<Heading> headings() {
    return List.copyOf(headings);
  }

  public List<CodeBlock> codeBlocks() {
    return List.copyOf(codeBlocks);
  }

  public List<Link> links() {
    return List.copyOf(links);
  }

  public List<StrayDeclaration> strayDeclarations() {
    return List.copyOf(strayDeclarations);
  }

  /** The anchors a link {@code page.md#anchor} may name. */
  public Set<String> anchors() {
    Set<String> out = new LinkedHashSet<>();
    for (Heading h : headings) {
      out.add(h.anchor());
    }
    return out;
  }

  /** "docs/cli.md:12", as problems name a place. */
  public String at(int line) {
    return path.toString().replace('\\', '/') + ":" + line;
  }

  private void parse(String text) {
    String[] lines = text.split("\n", -1);
    Map<String, Integer> slugs = new HashMap<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      Matcher fence = FENCE.matcher(line);
      if (fence.matches()) {
        int indent = fence.group(1).length();
        String marker = fence.group(2);
        List<String> content = new ArrayList<>();
        int j = i + 1;
        while (j < lines.length && !isClosing(lines[j], marker)) {
          content.add(stripIndent(lines[j], indent));
          j++;
        }
        Matcher declared = i > 0 ? DECLARATION.matcher(lines[i - 1]) : null;
        String declaration = declared != null && declared.matches()
            ? declared.group(1).strip() : null;
        codeBlocks.add(new CodeBlock(i + 1, fence.group(3).strip(), declaration,
            String.join("\n", content), headings.size() - 1));
        i = j; // the closing fence, or the end of the page
        continue;
      }
      Matcher declared = DECLARATION.matcher(line);
      if (declared.matches()
          && (i + 1 >= lines.length || !FENCE.matcher(lines[i + 1]).matches())) {
        strayDeclarations.add(new StrayDeclaration(i + 1, line.strip()));
      }
      Matcher heading = HEADING.matcher(line);
      if (heading.matches()) {
        String title = heading.group(2);
        headings.add(new Heading(i + 1, heading.group(1).length(), title,
            unique(slug(title), slugs)));
      }
      Matcher link = LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
      while (link.find()) {
        links.add(new Link(i + 1, link.group(1)));
      }
    }
  }

  private static boolean isClosing(String line, String marker) {
    String s = line.strip();
    return s.length() >= marker.length() && s.chars().allMatch(c -> c == marker.charAt(0))
        && line.indexOf(marker.charAt(0)) <= 3;
  }

  private static String stripIndent(String line, int indent) {
    int n = 0;
    while (n < indent && n < line.length() && line.charAt(n) == ' ') {
      n++;
    }
    return line.substring(n);
  }

  /**
   * The anchor GitHub gives a heading: lower case, inline markup and punctuation dropped (CJK
   * punctuation too), spaces to hyphens.
   */
  static String slug(String heading) {
    String s = heading.replaceAll("`", "").replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
        .toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (c == ' ') {
        out.append('-');
      } else if (c == '-' || c == '_' || Character.isLetterOrDigit(c)
          || Character.getType(c) == Character.NON_SPACING_MARK) {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }

  private static String unique(String slug, Map<String, Integer> seen) {
    int n = seen.merge(slug, 1, Integer::sum);
    return n == 1 ? slug : slug + "-" + (n - 1);
  }
}
