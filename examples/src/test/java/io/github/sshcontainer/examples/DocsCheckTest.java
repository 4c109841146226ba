package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sshcontainer.lab.DocsCheck;
import io.github.sshcontainer.lab.MarkdownPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's pages (README.md, README-zh-CN.md, docs/) keep {@link DocsCheck}'s rules: every
 * code block is a snippet of a file a test runs or says what it is, every English page has a
 * Chinese page with the same headings and code blocks, every relative link resolves. The rules
 * are also run on small made-up projects, broken on purpose, to show that each one fails and
 * names the file and line.
 */
class DocsCheckTest {
  private static final Path ROOT = Path.of("..");
  private static final String JAVA = "class A {\n  int a;\n}";

  @TempDir
  Path tmp;

  private static void assertNone(List<String> problems) {
    assertTrue(problems.isEmpty(), problems.size() + " problem(s):\n"
        + String.join("\n", problems));
  }

  private static void assertOne(String expectedStart, String expectedPart, List<String> problems) {
    assertEquals(1, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith(expectedStart), problems.get(0));
    assertTrue(problems.get(0).contains(expectedPart), problems.get(0));
  }

  private Path write(String file, String text) throws IOException {
    Path p = tmp.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p;
  }

  /** A made-up project whose pages keep every rule: the tests below break one thing each. */
  private void goodProject() throws IOException {
    write("m/src/main/java/A.java", "// README:begin a\n" + JAVA + "\n// README:end a\n");
    write("scripts/run.sh", "#!/bin/sh\n");
    Files.setPosixFilePermissions(tmp.resolve("scripts/run.sh"),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    write("m/src/test/java/PageTest.java", "// reads ../README.md and ../README-zh-CN.md\n");
    write("README.md", "# P\n\n[简体中文](README-zh-CN.md), [guide](docs/guide.md#usage)\n\n"
        + "## Use\n\n```java\n" + JAVA + "\n```\n\n<!-- docs: commands -->\n```\n"
        + "scripts/run.sh   # runs it\n```\n\n<!-- docs: read by m/src/test/java/PageTest.java -->\n"
        + "```ini\n[a]\nb=c\n```\n");
    write("README-zh-CN.md", "# P\n\n[English](README.md)，[指南](docs/zh-CN/guide.md#用法)\n\n"
        + "## 使用\n\n```java\n" + JAVA + "\n```\n\n<!-- docs: commands -->\n```\n"
        + "scripts/run.sh   # 运行它\n```\n\n<!-- docs: read by m/src/test/java/PageTest.java -->\n"
        + "```ini\n[a]\nb=c\n```\n");
    write("docs/guide.md", "# Guide\n\n## Usage\n\n<!-- docs: not run: a picture -->\n```\n"
        + "a -> b\n```\n\nBack to [the top](#guide), or [the README](../README.md#use).\n");
    write("docs/zh-CN/guide.md", "# 指南\n\n## 用法\n\n<!-- docs: not run: a picture -->\n```\n"
        + "甲 -> 乙\n```\n\n回到[顶部](#指南)，或 [README](../../README-zh-CN.md#使用)。\n");
  }

  // --- the project's own pages -----------------------------------------------------------------

  @Test
  void everyCodeBlockIsASnippetOfATestedFileOrSaysWhatItIs() {
    assertNone(DocsCheck.codeBlocks(ROOT));
  }

  @Test
  void everyPageHasItsChinesePageWithTheSameHeadingsAndCodeBlocks() {
    assertNone(DocsCheck.translations(ROOT));
  }

  @Test
  void everyRelativeLinkAndAnchorResolves() {
    assertNone(DocsCheck.links(ROOT));
  }

  @Test
  void theReadmesStayShort() throws IOException {
    for (String readme : List.of("README.md", "README-zh-CN.md")) {
      long lines = Files.readAllLines(ROOT.resolve(readme)).size();
      assertTrue(lines <= 300, readme + " has " + lines + " lines: keep it at 300 or fewer and"
          + " move the rest to a page under docs/");
    }
  }

  @Test
  void theDocsIndexLinksEveryPage() {
    for (Path index : List.of(Path.of("docs", "README.md"), Path.of("docs", "zh-CN",
        "README.md"))) {
      MarkdownPage page = MarkdownPage.read(ROOT, index);
      List<Path> linked = page.links().stream()
          .map(l -> index.getParent().resolve(l.target().replaceAll("#.*", "")).normalize())
          .toList();
      List<Path> pages = new ArrayList<>(index.getNameCount() == 2
          ? DocsCheck.englishPages(ROOT) : DocsCheck.chinesePages(ROOT));
      pages.removeIf(p -> !p.startsWith(index.getParent()) || p.equals(index)
          || p.getNameCount() != index.getNameCount());
      assertTrue(pages.size() >= 17, pages.toString());
      for (Path p : pages) {
        assertTrue(linked.contains(p), index + " lists no link to " + p);
      }
    }
  }

  // --- each rule fails, naming the file and line -----------------------------------------------

  @Test
  void aMadeUpProjectThatKeepsTheRulesHasNoProblem() throws IOException {
    goodProject();
    assertNone(DocsCheck.codeBlocks(tmp));
    assertNone(DocsCheck.translations(tmp));
    assertNone(DocsCheck.links(tmp));
  }

  @Test
  void aBlockThatIsNoSnippetFailsNamingItsPageAndLine() throws IOException {
    goodProject();
    write("docs/guide.md", Files.readString(tmp.resolve("docs/guide.md"))
        + "\n```java\nclass B {}\n```\n");
    assertOne("docs/guide.md:12: ", "matches no README:begin/end", DocsCheck.codeBlocks(tmp));
  }

  @Test
  void aSnippetChangedInItsSourceFailsWhereThePagesShowIt() throws IOException {
    goodProject();
    write("m/src/main/java/A.java", "// README:begin a\n" + JAVA.replace("int a", "long a")
        + "\n// README:end a\n");
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertEquals(3, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith("README.md:7: "), problems.get(0));
    assertTrue(problems.get(0).contains("first differs from it at the block's line 2:"
        + " '  int a;' against '  long a;'"), problems.get(0));
    assertTrue(problems.get(1).startsWith("README-zh-CN.md:7: "), problems.get(1));
    assertTrue(problems.get(2).startsWith("m/src/main/java/A.java:1: the snippet 'a' is shown"
        + " on no English page"), problems.get(2));
  }

  @Test
  void aSnippetShownInEnglishOnlyFails() throws IOException {
    goodProject();
    write("README-zh-CN.md", Files.readString(tmp.resolve("README-zh-CN.md"))
        .replace("```java\n" + JAVA + "\n```\n", ""));
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertOne("m/src/main/java/A.java:1: ", "shown on README.md but not on README-zh-CN.md",
        problems);
  }

  @Test
  void malformedMarkersFail() throws IOException {
    goodProject();
    write("m/src/main/java/B.java", "// README:begin b\nclass B {}\n");
    write("m/src/main/java/C.java", "// README:begin a\nclass C {}\n// README:end a\n");
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertTrue(problems.contains("m/src/main/java/B.java:1: README:begin b without its"
        + " README:end b"), String.join("\n", problems));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("m/src/main/java/C.java:1: the"
        + " snippet name 'a' is marked already at m/src/main/java/A.java:1")),
        String.join("\n", problems));
  }

  @Test
  void unknownAndStrayDeclarationsFail() throws IOException {
    goodProject();
    write("docs/guide.md", Files.readString(tmp.resolve("docs/guide.md"))
        .replace("docs: not run: a picture", "docs: a picture")
        + "\n<!-- docs: synopsis -->\n\ntext\n");
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertEquals(2, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith("docs/guide.md:12: <!-- docs: synopsis --> is not on"
        + " the line just before"), problems.get(0));
    assertTrue(problems.get(1).startsWith("docs/guide.md:5: 'docs: a picture' is no"
        + " declaration"), problems.get(1));
  }

  @Test
  void aCommandThatRunsNoScriptOfTheProjectFails() throws IOException {
    goodProject();
    String page = Files.readString(tmp.resolve("README.md"));
    write("README.md", page.replace("scripts/run.sh   # runs it",
        "scripts/run.sh && curl -s x | sh\nscripts/gone.sh"));
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertEquals(3, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith("README.md:14: 'curl' (in 'curl -s x') is neither a"
        + " script"), problems.get(0));
    assertTrue(problems.get(1).startsWith("README.md:14: 'sh' (in 'sh') is neither"),
        problems.get(1));
    assertTrue(problems.get(2).startsWith("README.md:14: 'scripts/gone.sh' is no executable"
        + " file"), problems.get(2));
    write("README.md", page.replace("docs: commands -->", "docs: commands; not run by a test:"
        + " curl -->"));
    assertOne("README.md:13: ", "names 'curl' as not run by a test, and no command of the"
        + " block runs it", DocsCheck.codeBlocks(tmp));
  }

  @Test
  void aBlockReadByATestThatNeverNamesThePageFails() throws IOException {
    goodProject();
    write("m/src/test/java/PageTest.java", "// reads nothing\n");
    List<String> problems = DocsCheck.codeBlocks(tmp);
    assertEquals(2, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith("README.md:18: m/src/test/java/PageTest.java does not"
        + " read README.md"), problems.get(0));
    write("README.md", Files.readString(tmp.resolve("README.md"))
        .replace("read by m/src/test/java/PageTest.java", "read by m/src/main/java/A.java"));
    assertTrue(DocsCheck.codeBlocks(tmp).get(0).startsWith("README.md:18:"
        + " 'm/src/main/java/A.java' is no test source"));
  }

  @Test
  void aMissingChinesePageFails() throws IOException {
    goodProject();
    write("docs/more.md", "# More\n");
    write("docs/zh-CN/gone.md", "# 没了\n");
    List<String> problems = DocsCheck.translations(tmp);
    assertEquals(List.of("docs/more.md:1: has no Chinese page docs/zh-CN/more.md (every English"
        + " page has its 简体中文 copy under docs/zh-CN/, same file name)",
        "docs/zh-CN/gone.md:1: has no English page docs/gone.md"), problems);
  }

  @Test
  void aHeadingOfAnotherLevelFailsNamingTheFirstDifferingHeading() throws IOException {
    goodProject();
    write("docs/zh-CN/guide.md", Files.readString(tmp.resolve("docs/zh-CN/guide.md"))
        .replace("## 用法", "### 用法"));
    assertOne("docs/zh-CN/guide.md:3: heading 2 (### 用法) is level 3 where docs/guide.md:3"
        + " (## Usage) is level 2", "match one for one", DocsCheck.translations(tmp));
  }

  @Test
  void aHeadingOnlyOnePageHasFails() throws IOException {
    goodProject();
    write("docs/guide.md", Files.readString(tmp.resolve("docs/guide.md")) + "\n## Extra\n");
    assertOne("docs/guide.md:12: heading 3 (## Extra) has no counterpart in"
        + " docs/zh-CN/guide.md, which has 2 headings against 3", "",
        DocsCheck.translations(tmp));
  }

  @Test
  void codeBlocksThatDifferBetweenThePagesFail() throws IOException {
    goodProject();
    String zh = Files.readString(tmp.resolve("README-zh-CN.md"));
    write("README-zh-CN.md", zh.replace("scripts/run.sh   # 运行它", "scripts/run.sh --fast"));
    assertOne("README-zh-CN.md:14: code block 2 differs from README.md:14: ", "the commands"
        + " differ (only their # comments may be translated)", DocsCheck.translations(tmp));
    write("README-zh-CN.md", zh.replace("[a]\nb=c", "[a]\nb=d"));
    assertOne("README-zh-CN.md:19: code block 3 differs from README.md:19: ", "the text differs",
        DocsCheck.translations(tmp));
    write("README-zh-CN.md", zh + "\n```\nmore\n```\n");
    assertOne("README-zh-CN.md:24: code block 4 (```) has no counterpart in README.md", "",
        DocsCheck.translations(tmp));
  }

  @Test
  void aLinkToAMissingFileOrAnchorFails() throws IOException {
    goodProject();
    write("docs/guide.md", Files.readString(tmp.resolve("docs/guide.md"))
        + "\nSee [gone](gone.md), [nowhere](#nowhere), [up](../../x.md) and `[code](no.md)`.\n"
        + "A link whose text [goes on\nto the next line](gone2.md).\n");
    List<String> problems = DocsCheck.links(tmp);
    assertEquals(4, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(0).startsWith("docs/guide.md:12: 'gone.md' names docs/gone.md, which"
        + " is not a file"), problems.get(0));
    assertTrue(problems.get(1).startsWith("docs/guide.md:12: '#nowhere': docs/guide.md has no"
        + " heading whose anchor is #nowhere (its anchors: guide, usage)"), problems.get(1));
    assertTrue(problems.get(2).startsWith("docs/guide.md:12: '../../x.md' names ../x.md"),
        problems.get(2));
    assertTrue(problems.get(3).startsWith("docs/guide.md:14: 'gone2.md' names docs/gone2.md"),
        problems.get(3));
  }

  @Test
  void aChinesePageLinkingAnotherEnglishPageFails() throws IOException {
    goodProject();
    write("docs/zh-CN/guide.md", Files.readString(tmp.resolve("docs/zh-CN/guide.md"))
        + "\n[README](../../README.md)\n");
    assertOne("docs/zh-CN/guide.md:12: '../../README.md' leads a Chinese page to the English"
        + " README.md; link README-zh-CN.md instead", "", DocsCheck.links(tmp));
  }

  @Test
  void anchorsAreTheOnesGithubGives() throws IOException {
    write("p.md", "# The `tunnel` alone\n## Jump hosts, agents: *unknown* paths\n## Live I/O\n"
        + "## 跳板机、agent、受限的服务器\n## Live I/O\n```\n# not a heading\n```\n");
    assertEquals(Set.of("the-tunnel-alone", "jump-hosts-agents-unknown-paths", "live-io",
        "跳板机agent受限的服务器", "live-io-1"), MarkdownPage.read(tmp, Path.of("p.md")).anchors());
  }

  @Test
  void commandsSplitAsAShellSplitsThem() {
    assertEquals(List.of(List.of("apt-get", "update"), List.of("apt-get", "install", "-y", "git"),
        List.of("X=1", "scripts/a.sh", "a b"), List.of("docker", "ps")),
        DocsCheck.commands("apt-get update && apt-get install -y git\n# a comment\n"
            + "X=1 scripts/a.sh 'a b'  # why\ndocker \\\n  ps\n"));
    assertEquals("scripts/a.sh", DocsCheck.program(List.of("X=1", "scripts/a.sh")));
  }
}
