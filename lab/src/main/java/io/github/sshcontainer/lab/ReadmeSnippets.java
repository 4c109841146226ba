package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps README examples true: the lines between a {@code README:begin NAME} line and a {@code
 * README:end NAME} line of a source file (in a {@code //} or {@code <!-- -->} comment) must
 * appear verbatim, common indentation removed, in README.md and README-zh-CN.md.
 */
public final class ReadmeSnippets {
  private ReadmeSnippets() {}

  /**
   * @param source the file, relative to the module directory
   * @param readmeDir the directory holding the READMEs (the project root)
   * @throws AssertionError naming the README that lacks the snippet
   */
  public static void assertShown(Path source, String name, Path readmeDir) {
    try {
      String snippet = snippet(source, name);
      for (String readme : new String[] {"README.md", "README-zh-CN.md"}) {
        String text = Files.readString(readmeDir.resolve(readme));
        if (!text.contains(snippet)) {
          throw new AssertionError(readme + " must contain the '" + name
              + "' example exactly as tested in " + source + ":\n" + snippet);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The snippet text, as the READMEs must show it. */
  public static String snippet(Path source, String name) {
    try {
      String text = Files.readString(source);
      int begin = text.indexOf("README:begin " + name + "\n");
      if (begin < 0) {
        begin = text.indexOf("README:begin " + name + " -->\n");
      }
      int end = text.indexOf("README:end " + name);
      if (begin < 0 || end < 0) {
        throw new AssertionError("no README:begin/end " + name + " markers in " + source);
      }
      int from = text.indexOf('\n', begin) + 1;
      int to = text.lastIndexOf('\n', end); // without it: a last empty line has no indent
      return text.substring(from, Math.max(from, to)).stripIndent().strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
