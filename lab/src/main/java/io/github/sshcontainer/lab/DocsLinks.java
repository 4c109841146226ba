package io.github.sshcontainer.lab;

import io.github.sshcontainer.lab.MarkdownPage.Link;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@link DocsCheck#links}: relative links, anchors, and which language a link leads to. */
final class DocsLinks {
  private DocsLinks() {}

  /** Every relative link and anchor resolves, and stays in its language. */
  static List<String> check(Path root) {
    List<String> problems = new ArrayList<>();
    Set<Path> english = new LinkedHashSet<>(DocsCheck.englishPages(root));
    Set<Path> chinese = new LinkedHashSet<>(DocsCheck.chinesePages(root));
    Map<Path, Set<String>> anchors = new HashMap<>();
    for (MarkdownPage page : DocsCheck.pages(root)) {
      for (Link link : page.links()) {
        String target = link.target();
        if (target.matches("(?i)(https?|mailto):.*")) {
          continue;
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? "" : target.substring(hash + 1);
        Path resolved;
        if (file.isEmpty()) {
          resolved = page.path();
        } else if (file.startsWith("/")) {
          problems.add(page.at(link.line()) + ": '" + target + "' is absolute; link relative to"
              + " the page");
          continue;
        } else {
          Path dir = page.path().getParent();
          resolved = (dir == null ? Path.of(file) : dir.resolve(file)).normalize();
          if (resolved.startsWith("..") || !Files.exists(root.resolve(resolved))) {
            problems.add(page.at(link.line()) + ": '" + target + "' names " + slashes(resolved)
                + ", which is not a file or directory of the project");
            continue;
          }
        }
        if (!anchor.isEmpty()) {
          if (!resolved.toString().endsWith(".md")) {
            problems.add(page.at(link.line()) + ": '" + target + "' has an anchor, and "
                + slashes(resolved) + " is no Markdown page");
            continue;
          }
          Set<String> known = anchors.computeIfAbsent(resolved,
              p -> MarkdownPage.read(root, p).anchors());
          if (!known.contains(anchor)) {
            problems.add(page.at(link.line()) + ": '" + target + "': " + slashes(resolved)
                + " has no heading whose anchor is #" + anchor + " (its anchors: "
                + String.join(", ", known) + ")");
          }
        }
        boolean fromChinese = chinese.contains(page.path());
        if (fromChinese && english.contains(resolved)
            && !resolved.equals(DocsCheck.englishCounterpart(page.path()))
            && Files.exists(root.resolve(DocsCheck.chineseCounterpart(resolved)))) {
          problems.add(page.at(link.line()) + ": '" + target + "' leads a Chinese page to the"
              + " English " + slashes(resolved) + "; link "
              + slashes(DocsCheck.chineseCounterpart(resolved)) + " instead");
        }
        if (!fromChinese && chinese.contains(resolved)
            && !resolved.equals(DocsCheck.chineseCounterpart(page.path()))) {
          problems.add(page.at(link.line()) + ": '" + target + "' leads an English page to the"
              + " Chinese " + slashes(resolved) + "; link "
              + slashes(DocsCheck.englishCounterpart(resolved)) + " instead");
        }
      }
    }
    return problems;
  }

  private static String slashes(Path p) {
    return DocsCheck.slashes(p);
  }
}
