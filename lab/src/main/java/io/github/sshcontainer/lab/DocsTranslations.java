package io.github.sshcontainer.lab;

import io.github.sshcontainer.lab.MarkdownPage.CodeBlock;
import io.github.sshcontainer.lab.MarkdownPage.Heading;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@link DocsCheck#translations}: each page and its counterpart in the other language. */
final class DocsTranslations {
  private DocsTranslations() {}

  /** Every page has its counterpart with the same headings and code blocks. */
  static List<String> check(Path root) {
    List<String> problems = new ArrayList<>();
    for (Path english : DocsCheck.englishPages(root)) {
      Path chinese = DocsCheck.chineseCounterpart(english);
      if (!Files.isRegularFile(root.resolve(chinese))) {
        problems.add(slashes(english) + ":1: has no Chinese page " + slashes(chinese)
            + " (every English page has its 简体中文 copy under docs/zh-CN/, same file name)");
        continue;
      }
      MarkdownPage e = MarkdownPage.read(root, english);
      MarkdownPage z = MarkdownPage.read(root, chinese);
      headingsMatch(e, z, problems);
      codeBlocksMatch(e, z, problems);
    }
    for (Path chinese : DocsCheck.chinesePages(root)) {
      Path english = DocsCheck.englishCounterpart(chinese);
      if (!Files.isRegularFile(root.resolve(english))) {
        problems.add(slashes(chinese) + ":1: has no English page " + slashes(english));
      }
    }
    return problems;
  }

  private static void headingsMatch(MarkdownPage e, MarkdownPage z, List<String> problems) {
    List<Heading> eh = e.headings();
    List<Heading> zh = z.headings();
    for (int i = 0; i < Math.max(eh.size(), zh.size()); i++) {
      if (i >= zh.size()) {
        problems.add(e.at(eh.get(i).line()) + ": heading " + (i + 1) + " ("
            + show(eh.get(i)) + ") has no counterpart in " + slashes(z.path()) + ", which has "
            + zh.size() + " headings against " + eh.size());
        return;
      }
      if (i >= eh.size()) {
        problems.add(z.at(zh.get(i).line()) + ": heading " + (i + 1) + " ("
            + show(zh.get(i)) + ") has no counterpart in " + slashes(e.path()) + ", which has "
            + eh.size() + " headings against " + zh.size());
        return;
      }
      if (eh.get(i).level() != zh.get(i).level()) {
        problems.add(z.at(zh.get(i).line()) + ": heading " + (i + 1) + " (" + show(zh.get(i))
            + ") is level " + zh.get(i).level() + " where " + e.at(eh.get(i).line()) + " ("
            + show(eh.get(i)) + ") is level " + eh.get(i).level()
            + ": the two pages' headings must match one for one, in order");
        return;
      }
    }
  }

  private static String show(Heading h) {
    return "#".repeat(h.level()) + " " + h.text();
  }

  private static void codeBlocksMatch(MarkdownPage e, MarkdownPage z, List<String> problems) {
    List<CodeBlock> eb = e.codeBlocks();
    List<CodeBlock> zb = z.codeBlocks();
    for (int i = 0; i < Math.max(eb.size(), zb.size()); i++) {
      if (i >= zb.size() || i >= eb.size()) {
        MarkdownPage more = i >= zb.size() ? e : z;
        MarkdownPage fewer = more == e ? z : e;
        CodeBlock extra = (more == e ? eb : zb).get(i);
        problems.add(more.at(extra.line()) + ": code block " + (i + 1) + " (```" + extra.info()
            + ") has no counterpart in " + slashes(fewer.path()) + ", which has "
            + (more == e ? zb : eb).size() + " code blocks against " + (more == e ? eb : zb)
            .size());
        return;
      }
      String why = difference(eb.get(i), zb.get(i));
      if (why != null) {
        problems.add(z.at(zb.get(i).line()) + ": code block " + (i + 1) + " differs from "
            + e.at(eb.get(i).line()) + ": " + why);
        return;
      }
    }
  }

  private static String difference(CodeBlock e, CodeBlock z) {
    if (!e.info().equals(z.info())) {
      return "```" + z.info() + " against ```" + e.info();
    }
    if (!String.valueOf(e.declaration()).equals(String.valueOf(z.declaration()))) {
      return "declared '" + z.declaration() + "' against '" + e.declaration() + "'";
    }
    if (e.section() != z.section()) {
      return "it sits under heading " + (z.section() + 1) + " against " + (e.section() + 1);
    }
    DocsCheck.Kind kind;
    try {
      kind = DocsCheck.Declaration.of(e.declaration()).kind();
    } catch (IllegalArgumentException bad) {
      return null; // codeBlocks reports it
    }
    return switch (kind) {
      case SNIPPET, READ_BY -> e.text().equals(z.text()) ? null
          : "the text differs (a snippet, or a block a test reads, is the same in both)";
      case COMMANDS, SYNOPSIS -> uncommented(e.text()).equals(uncommented(z.text())) ? null
          : "the commands differ (only their # comments may be translated)";
      case NOT_RUN -> e.text().lines().count() == z.text().lines().count() ? null
          : "it has " + z.text().lines().count() + " lines against " + e.text().lines().count();
    };
  }

  private static List<String> uncommented(String text) {
    List<String> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      String s = l.replaceAll("(^|\\s)#.*$", "").stripTrailing();
      if (!s.isBlank()) {
        out.add(s);
      }
    }
    return out;
  }

  private static String slashes(Path p) {
    return DocsCheck.slashes(p);
  }
}
