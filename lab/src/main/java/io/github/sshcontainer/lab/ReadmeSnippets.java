package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps README examples true: the code between {@code // README:begin NAME} and {@code //
 * README:end NAME} in a test source must appear verbatim in README.md and README-zh-CN.md.
 */
public final class ReadmeSnippets {
  private ReadmeSnippets() {}

  /**
   * @param testSource the test file, relative to the module directory
   * @param readmeDir the directory holding the READMEs (the project root)
   * @throws AssertionError naming the README that lacks the snippet
   */
  public static void assertShown(Path testSource, String name, Path readmeDir) {
    try {
      String source = Files.readString(testSource);
      String begin = "// README:begin " + name + "\n";
      int from = source.indexOf(begin);
      int to = source.indexOf("// README:end " + name);
      if (from < 0 || to < 0) {
        throw new AssertionError("no README:begin/end " + name + " markers in " + testSource);
      }
      String raw = source.substring(from + begin.length(), to);
      String snippet = raw.substring(0, raw.lastIndexOf('\n')).stripIndent().strip();
      for (String readme : new String[] {"README.md", "README-zh-CN.md"}) {
        String text = Files.readString(readmeDir.resolve(readme));
        if (!text.contains(snippet)) {
          throw new AssertionError(readme + " must contain the '" + name
              + "' example exactly as tested in " + testSource + ":\n" + snippet);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The snippet text, as the READMEs must show it. */
  public static String snippet(Path testSource, String name) {
    try {
      String source = Files.readString(testSource);
      String begin = "// README:begin " + name + "\n";
      int from = source.indexOf(begin);
      int to = source.indexOf("// README:end " + name);
      String raw = source.substring(from + begin.length(), to);
      return raw.substring(0, raw.lastIndexOf('\n')).stripIndent().strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
