package io.github.sshcontainer.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The programs a Java source starts, read from its text: the argument lists of
 * {@code new ProcessBuilder(…)} and, where {@code argumentLists} is set (the lab, whose lists
 * are command lines), of {@code List.of(…)} and {@code Arrays.asList(…)}, with the scripts they
 * hand to {@code sh -c} (a string or a {@code StringBuilder} of the same file); the paths
 * {@code Prerequisites.require} looks for; and every string that is a program's path
 * ({@code "/usr/bin/setsid"}). String constants of the file are resolved; any other expression
 * is {@link ShellScript#DYNAMIC}, a program found some other way.
 */
final class JavaLaunches {
  /** A {@code Prerequisites.require(package, candidates…)} call. */
  record Require(String debianPackage, List<String> candidates) {}

  private static final Pattern PROGRAM_PATH = Pattern.compile(
      "/(usr/(local/)?|opt/[^/]+/)?s?bin/[A-Za-z0-9._+-]+|/usr/lib/openssh/[A-Za-z0-9._+-]+"
          + "|/usr/libexec/[A-Za-z0-9._+/-]+");
  private static final Pattern COMMAND_NAME = Pattern.compile("[a-z][a-z0-9._+-]*|/\\S+");

  private record Token(char kind, String text) {} // kind: s string, c char, i identifier, n, o

  private final List<Token> t;
  private final Map<String, String> constants = new HashMap<>();
  private final Set<String> programs = new LinkedHashSet<>();
  private final List<Require> requires = new ArrayList<>();

  private JavaLaunches(String source, boolean argumentLists) {
    t = tokens(source);
    for (int k = 0; k + 6 < t.size(); k++) {
      if (is(k, "static") && is(k + 1, "final") && is(k + 2, "String") && is(k + 4, "=")
          && t.get(k + 5).kind() == 's' && is(k + 6, ";")) {
        constants.put(t.get(k + 3).text(), t.get(k + 5).text());
      }
    }
    for (int k = 0; k < t.size(); k++) {
      Token x = t.get(k);
      if (x.kind() == 's' && PROGRAM_PATH.matcher(x.text()).matches()) {
        programs.add(x.text());
      }
      if (is(k, "new") && is(k + 1, "ProcessBuilder") && is(k + 2, "(")) {
        commandLine(arguments(k + 2), false);
      } else if (argumentLists && (is(k, "List") && is(k + 1, ".") && is(k + 2, "of")
          || is(k, "Arrays") && is(k + 1, ".") && is(k + 2, "asList")) && is(k + 3, "(")
          && !(k >= 2 && is(k - 1, "(") && is(k - 2, "addAll"))) {
        commandLine(arguments(k + 3), true);
      } else if (is(k, "Prerequisites") && is(k + 1, ".") && is(k + 2, "require")
          && is(k + 3, "(")) {
        List<String> args = new ArrayList<>();
        for (List<Token> arg : arguments(k + 3)) {
          args.add(word(arg));
        }
        if (!args.isEmpty()) {
          requires.add(new Require(args.get(0), List.copyOf(args.subList(1, args.size()))));
        }
      }
    }
  }

  /** What {@code source} starts; {@code argumentLists}: its List.of(…) lists are commands. */
  static Set<String> programs(String source, boolean argumentLists) {
    return new JavaLaunches(source, argumentLists).programs;
  }

  static List<Require> requires(String source) {
    return new JavaLaunches(source, false).requires;
  }

  private void commandLine(List<List<Token>> arguments, boolean onlyIfCommand) {
    List<String> words = new ArrayList<>();
    for (List<Token> arg : arguments) {
      words.add(word(arg));
    }
    if (words.isEmpty() || onlyIfCommand && !COMMAND_NAME.matcher(words.get(0)).matches()) {
      return; // List.of("--iptables=false", …), List.of("Subsystem none /bin/false"): no command
    }
    programs.addAll(ShellScript.programsOfCommandLine(words));
  }

  /** The value of an argument: its strings and constants, DYNAMIC for anything else. */
  private String word(List<Token> arg) {
    if (arg.size() == 1 && arg.get(0).kind() == 'i' && builder(arg.get(0).text()) != null) {
      return builder(arg.get(0).text());
    }
    if (arg.size() == 5 && arg.get(0).kind() == 'i' && arg.get(2).text().equals("toString")
        && builder(arg.get(0).text()) != null) {
      return builder(arg.get(0).text());
    }
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < arg.size(); k++) {
      Token x = arg.get(k);
      boolean constant = x.kind() == 'i' && constants.containsKey(x.text())
          && !(k + 1 < arg.size() && (arg.get(k + 1).text().equals("(")
              || arg.get(k + 1).text().equals(".")));
      if (x.kind() == 's') {
        out.append(x.text());
      } else if (constant) {
        out.append(constants.get(x.text()));
      } else if (!(x.kind() == 'o' && "+()".contains(x.text()))) {
        dynamic(out);
      }
    }
    return out.toString();
  }

  /**
   * The text a {@code StringBuilder name} of this file is given, in source order, or null when
   * there is none by that name.
   */
  private String builder(String name) {
    StringBuilder out = null;
    for (int k = 0; k + 3 < t.size(); k++) {
      int from = -1;
      if (is(k, "StringBuilder") && is(k + 1, name) && is(k + 2, "=")) {
        from = k + 3;
      } else if (is(k, name) && is(k + 1, ".") && is(k + 2, "append")
          && !(k > 0 && is(k - 1, "."))) {
        from = k + 1;
      }
      if (from < 0) {
        continue;
      }
      out = out == null ? new StringBuilder() : out;
      int depth = 0;
      for (int j = from; j < t.size() && !(depth == 0 && is(j, ";")); j++) {
        Token x = t.get(j);
        depth += is(j, "(") ? 1 : is(j, ")") ? -1 : 0;
        if (x.kind() == 's') {
          out.append(x.text());
        } else if (x.kind() == 'i' && constants.containsKey(x.text())) {
          out.append(constants.get(x.text()));
        } else if (!(x.kind() == 'o' && ".()+".contains(x.text()) || is(j, "append")
            || is(j, "new") || is(j, "StringBuilder") || is(j, "toString"))) {
          dynamic(out);
        }
      }
    }
    return out == null ? null : out.toString();
  }

  private static void dynamic(StringBuilder out) {
    if (out.length() == 0 || out.charAt(out.length() - 1) != ShellScript.DYNAMIC) {
      out.append(ShellScript.DYNAMIC);
    }
  }

  /** The arguments of the call whose "(" is at {@code open}, each as its tokens. */
  private List<List<Token>> arguments(int open) {
    List<List<Token>> args = new ArrayList<>();
    List<Token> arg = new ArrayList<>();
    int depth = 0;
    for (int k = open + 1; k < t.size(); k++) {
      String x = t.get(k).text();
      boolean operator = t.get(k).kind() == 'o';
      if (operator && depth == 0 && (x.equals(")") || x.equals(","))) {
        if (!arg.isEmpty()) {
          args.add(arg);
        }
        if (x.equals(")")) {
          break;
        }
        arg = new ArrayList<>();
        continue;
      }
      if (operator && "([{".contains(x)) {
        depth++;
      } else if (operator && ")]}".contains(x)) {
        depth--;
      }
      arg.add(t.get(k));
    }
    return args;
  }

  private boolean is(int k, String text) {
    return k >= 0 && k < t.size() && t.get(k).kind() != 's' && t.get(k).text().equals(text);
  }

  // ---- a Java lexer: strings (text blocks too), chars, identifiers, numbers, operators

  private static List<Token> tokens(String src) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (src.startsWith("//", i)) {
        i = src.indexOf('\n', i) < 0 ? n : src.indexOf('\n', i);
      } else if (src.startsWith("/*", i)) {
        i = src.indexOf("*/", i + 2) < 0 ? n : src.indexOf("*/", i + 2) + 2;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end;
        String body = src.substring(src.indexOf('\n', i) + 1, end).stripIndent();
        out.add(new Token('s', unescape(body)));
        i = end + 3;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && src.charAt(j) != c) {
          j += src.charAt(j) == '\\' ? 2 : 1;
        }
        out.add(new Token(c == '"' ? 's' : 'c', unescape(src.substring(i + 1, Math.min(j, n)))));
        i = j + 1;
      } else if (Character.isJavaIdentifierStart(c)) {
        int j = i + 1;
        while (j < n && Character.isJavaIdentifierPart(src.charAt(j))) {
          j++;
        }
        out.add(new Token('i', src.substring(i, j)));
        i = j;
      } else if (Character.isDigit(c)) {
        int j = i + 1;
        while (j < n && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '.'
            || src.charAt(j) == '_')) {
          j++;
        }
        out.add(new Token('n', src.substring(i, j)));
        i = j;
      } else {
        out.add(new Token('o', String.valueOf(c)));
        i++;
      }
    }
    return out;
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 == s.length()) {
        out.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case 's' -> out.append(' ');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case '0' -> out.append('\0');
        case '\n' -> { } // a text block's line continuation
        default -> out.append(e); // \" \' \\
      }
    }
    return out.toString();
  }
}
