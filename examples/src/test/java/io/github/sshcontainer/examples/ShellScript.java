package io.github.sshcontainer.examples;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The programs a shell script runs, read from its text: the first word of each simple command
 * (after keywords and assignments), the command a wrapper runs ({@code exec}, {@code env},
 * {@code xargs}, {@code runuser … --}, {@code unshare}, {@code timeout}, …), and the commands
 * inside {@code $(…)}, {@code <(…)}, back quotes, {@code sh -c '…'} and {@code trap '…'}.
 * Here-documents, {@code [[ … ]]}, arithmetic and case patterns are skipped. Builtins, the
 * script's own functions, the project's own scripts (relative paths) and words only known at
 * run time ({@code "$tool"}) are not programs.
 *
 * <p>Not a shell: enough of one to read this project's scripts, and the {@code sh -c} texts its
 * Java code builds. {@link InstallDepsTest} pins what it finds in small cases.
 */
final class ShellScript {
  /** Stands for text only known at run time: a parameter, a substitution, a Java expression. */
  static final char DYNAMIC = '\u0000';

  private static final Set<String> KEYWORDS = Set.of("if", "then", "else", "elif", "fi", "do",
      "done", "while", "until", "{", "}", "!", "time", "esac");
  /** Keywords whose words up to the next separator are not commands. */
  private static final Set<String> NO_COMMAND = Set.of("for", "select", "case", "function", "in");
  private static final Set<String> BUILTINS = Set.of(".", ":", "[", "[[", "alias", "bg", "bind",
      "break", "builtin", "caller", "cd", "command", "compgen", "complete", "compopt", "continue",
      "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export", "false",
      "fc", "fg", "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "logout",
      "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return",
      "set", "shift", "shopt", "source", "suspend", "test", "times", "trap", "true", "type",
      "typeset", "ulimit", "umask", "unalias", "unset", "wait");
  private static final Pattern ASSIGNMENT =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\[[^]]*])?\\+?=.*", Pattern.DOTALL);

  private final Set<String> programs;
  private final Set<String> functions;
  private final String s;
  private int i;
  private final List<List<String>> commands = new ArrayList<>();
  private final List<String> nested = new ArrayList<>();
  private List<String> current = new ArrayList<>();
  private final StringBuilder word = new StringBuilder();
  private boolean inWord;
  private boolean redirectTarget;
  private final List<String> heredocs = new ArrayList<>(); // delimiters; "-" prefix: <<-
  private int caseDepth;
  private boolean patternNext;

  private ShellScript(String text, Set<String> programs, Set<String> functions) {
    this.s = text;
    this.programs = programs;
    this.functions = functions;
  }

  /** The programs {@code script} runs, as written: names looked up on PATH, or paths. */
  static Set<String> programs(String script) {
    Set<String> found = new LinkedHashSet<>();
    read(script, found, new LinkedHashSet<>());
    return found;
  }

  /**
   * The programs that running the argument list {@code words} starts (it is run directly, as
   * by Java's ProcessBuilder: its first word is a program even where a shell has a builtin).
   */
  static Set<String> programsOfCommandLine(List<String> words) {
    Set<String> found = new LinkedHashSet<>();
    new ShellScript("", found, new LinkedHashSet<>()).commandLine(words, 0, false);
    return found;
  }

  private static void read(String script, Set<String> found, Set<String> functions) {
    ShellScript sh = new ShellScript(script, found, functions);
    sh.scan();
    for (List<String> command : sh.commands) {
      sh.commandLine(command, 0, true);
    }
    for (String inner : sh.nested) {
      read(inner, found, functions);
    }
  }

  // ---- what a command line runs

  private void commandLine(List<String> words, int k, boolean shell) {
    while (k < words.size()) {
      String w = words.get(k);
      if (shell && NO_COMMAND.contains(w)) {
        if (w.equals("function") && k + 1 < words.size()) {
          functions.add(words.get(k + 1).replace("()", ""));
        }
        return;
      }
      if (shell && KEYWORDS.contains(w) || ASSIGNMENT.matcher(w).matches()) {
        k++;
        continue;
      }
      break;
    }
    if (k >= words.size()) {
      return;
    }
    String command = words.get(k);
    record(command, shell);
    String name = command.substring(command.lastIndexOf('/') + 1);
    switch (name) {
      case "exec" -> inner(words, k + 1, Set.of("-a"), 0);
      case "command" -> {
        if (k + 1 < words.size() && !words.get(k + 1).matches("-[a-zA-Z]*[vV].*")) {
          inner(words, k + 1, Set.of(), 0);
        }
      }
      case "trap" -> {
        if (k + 1 < words.size() && !words.get(k + 1).startsWith("-")) {
          read(words.get(k + 1), programs, functions);
        }
      }
      case "sh", "bash", "dash" -> {
        for (int j = k + 1; j + 1 < words.size() && words.get(j).startsWith("-"); j++) {
          if (words.get(j).matches("-[a-z]*c[a-z]*")) {
            read(words.get(j + 1), programs, functions);
            break;
          }
        }
      }
      case "env" -> inner(words, k + 1, Set.of("-u", "--unset", "-C", "--chdir"), 0);
      case "xargs" -> inner(words, k + 1, Set.of("-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s",
          "--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars"), 0);
      case "timeout" -> inner(words, k + 1, Set.of("-s", "-k", "--signal", "--kill-after"), 1);
      case "flock" -> inner(words, k + 1, Set.of("-w", "-E", "--timeout", "--conflict-exit-code"),
          1);
      case "chroot" -> inner(words, k + 1, Set.of("--userspec", "--groups"), 1);
      case "runuser", "sudo", "su" -> inner(words, k + 1,
          Set.of("-u", "-g", "-G", "-w", "-s", "-C", "-h", "-p", "-U", "--user", "--group"), 0);
      case "unshare" -> inner(words, k + 1, Set.of("--propagation", "--setgroups", "--map-user",
          "--map-group", "--map-users", "--map-groups", "-S", "-G", "-R", "-w", "--setuid",
          "--setgid", "--root", "--wd"), 0);
      case "nsenter" -> inner(words, k + 1, Set.of("-t", "--target", "-S", "-G", "-w", "--setuid",
          "--setgid"), 0);
      case "setsid", "nohup", "nice", "ionice", "stdbuf", "heavy" -> inner(words, k + 1,
          Set.of("-n", "-c", "--adjustment", "--class", "--classdata"), 0);
      default -> { }
    }
  }

  /**
   * The command a wrapper runs: after its options ({@code withArgument}: those that take the
   * next word), an optional {@code --}, and {@code positional} words of its own.
   */
  private void inner(List<String> words, int k, Set<String> withArgument, int positional) {
    while (k < words.size()) {
      String w = words.get(k);
      if (w.equals("--")) {
        k++;
        break;
      }
      if (!w.startsWith("-") || w.equals("-")) {
        break;
      }
      k += withArgument.contains(w) ? 2 : 1;
    }
    k += positional;
    commandLine(words, k, false);
  }

  private void record(String command, boolean shell) {
    if (command.isEmpty() || command.indexOf(DYNAMIC) >= 0) {
      return; // computed at run time: a program found some other way, checked there
    }
    if (shell && (BUILTINS.contains(command) || functions.contains(command))) {
      return;
    }
    if (!command.startsWith("/") && command.contains("/")) {
      return; // the project's own scripts (scripts/x.sh, bin/ssh-container), read themselves
    }
    programs.add(command);
  }

  // ---- the lexer: simple commands as word lists

  private void scan() {
    while (i < s.length()) {
      if (patternNext) {
        skipCasePattern();
        continue;
      }
      char c = s.charAt(i);
      char next = i + 1 < s.length() ? s.charAt(i + 1) : 0;
      switch (c) {
        case ' ', '\t', '\r' -> {
          endWord();
          i++;
        }
        case '\n' -> {
          endWord();
          endCommand();
          i++;
          skipHeredocs();
        }
        case '\\' -> {
          if (next != '\n' && next != 0) {
            append(next);
          }
          i += 2;
        }
        case '#' -> {
          if (inWord) {
            append(c);
            i++;
          } else {
            while (i < s.length() && s.charAt(i) != '\n') {
              i++;
            }
          }
        }
        case '\'' -> {
          int end = s.indexOf('\'', i + 1);
          end = end < 0 ? s.length() : end;
          appendText(s.substring(i + 1, end));
          i = end + 1;
        }
        case '"' -> doubleQuoted();
        case '$' -> dollar();
        case '`' -> backQuoted();
        case ';' -> {
          endWord();
          endCommand();
          if (next == ';' || next == '&') {
            i += s.startsWith(";;&", i) ? 3 : 2;
            patternNext = caseDepth > 0;
          } else {
            i++;
          }
        }
        case '&' -> {
          if (next == '>') {
            redirect();
          } else {
            endWord();
            endCommand();
            i += next == '&' ? 2 : 1;
          }
        }
        case '|' -> {
          endWord();
          endCommand();
          i += next == '|' || next == '&' ? 2 : 1;
        }
        case '(' -> openParen(next);
        case ')' -> {
          endWord();
          endCommand();
          i++;
        }
        case '<', '>' -> redirect();
        default -> {
          append(c);
          i++;
        }
      }
    }
    endWord();
    endCommand();
  }

  private void openParen(char next) {
    if (inWord && (word.toString().endsWith("=") || word.toString().endsWith("+="))) {
      int end = matching(i, '(', ')'); // an array assignment: its words are data
      append(DYNAMIC);
      i = end + 1;
      return;
    }
    if (s.startsWith("()", i) && (inWord || current.size() == 1)) {
      endWord(); // name() { … }
      functions.add(current.get(current.size() - 1));
      current = new ArrayList<>();
      i += 2;
      return;
    }
    endWord();
    if (current.isEmpty() && next == '(') {
      i = matching(i, '(', ')') + 1; // (( arithmetic ))
      return;
    }
    endCommand(); // a subshell: its first word is a command
    i++;
  }

  private void doubleQuoted() {
    inWord = true;
    i++;
    while (i < s.length() && s.charAt(i) != '"') {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        if (s.charAt(i + 1) != '\n') {
          append(s.charAt(i + 1));
        }
        i += 2;
      } else if (c == '$') {
        dollar();
      } else if (c == '`') {
        backQuoted();
      } else {
        append(c);
        i++;
      }
    }
    i++;
  }

  private void dollar() {
    char next = i + 1 < s.length() ? s.charAt(i + 1) : 0;
    if (next == '(' && s.startsWith("$((", i)) {
      i = matching(i + 1, '(', ')') + 1; // $(( arithmetic ))
      append(DYNAMIC);
    } else if (next == '(') {
      int end = matching(i + 1, '(', ')');
      nested.add(s.substring(i + 2, Math.max(i + 2, end)));
      append(DYNAMIC);
      i = end + 1;
    } else if (next == '{') {
      i = matching(i + 1, '{', '}') + 1;
      append(DYNAMIC);
    } else if (next == '\'') {
      int end = i + 2;
      StringBuilder text = new StringBuilder();
      while (end < s.length() && s.charAt(end) != '\'') {
        if (s.charAt(end) == '\\' && end + 1 < s.length()) {
          end++;
        }
        text.append(s.charAt(end++));
      }
      appendText(text.toString());
      i = end + 1;
    } else if (Character.isLetter(next) || next == '_') {
      i += 2;
      while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
        i++;
      }
      append(DYNAMIC);
    } else if (next != 0 && "?#@*!$-0123456789".indexOf(next) >= 0) {
      i += 2;
      append(DYNAMIC);
    } else {
      append('$');
      i++;
    }
  }

  private void backQuoted() {
    int end = i + 1;
    StringBuilder text = new StringBuilder();
    while (end < s.length() && s.charAt(end) != '`') {
      if (s.charAt(end) == '\\' && end + 1 < s.length()) {
        end++;
      }
      text.append(s.charAt(end++));
    }
    nested.add(text.toString());
    append(DYNAMIC);
    i = end + 1;
  }

  private void redirect() {
    char c = s.charAt(i);
    if ((c == '<' || c == '>') && i + 1 < s.length() && s.charAt(i + 1) == '(') {
      int end = matching(i + 1, '(', ')'); // process substitution: a file name made by a command
      nested.add(s.substring(i + 2, Math.max(i + 2, end)));
      append(DYNAMIC);
      i = end + 1;
      return;
    }
    if (inWord && word.chars().allMatch(Character::isDigit)) {
      word.setLength(0); // the descriptor number belongs to the operator
      inWord = false;
    } else {
      endWord();
    }
    if (s.startsWith("<<<", i)) {
      i += 3;
    } else if (s.startsWith("<<", i)) {
      i += 2;
      boolean dash = i < s.length() && s.charAt(i) == '-';
      if (dash) {
        i++;
      }
      while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
      StringBuilder delimiter = new StringBuilder();
      while (i < s.length() && " \t\n;&|<>()".indexOf(s.charAt(i)) < 0) {
        char d = s.charAt(i++);
        if (d != '\'' && d != '"' && d != '\\') {
          delimiter.append(d);
        }
      }
      heredocs.add((dash ? "-" : "") + delimiter);
      return;
    } else {
      i++;
      while (i < s.length() && "<>&|".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }
    redirectTarget = true;
  }

  private void skipHeredocs() {
    for (String heredoc : heredocs) {
      boolean dash = heredoc.startsWith("-");
      String delimiter = dash ? heredoc.substring(1) : heredoc;
      while (i < s.length()) {
        int eol = s.indexOf('\n', i);
        eol = eol < 0 ? s.length() : eol;
        String line = s.substring(i, eol);
        i = Math.min(s.length(), eol + 1);
        if ((dash ? line.replaceFirst("^\t+", "") : line).equals(delimiter)) {
          break;
        }
      }
    }
    heredocs.clear();
  }

  private void skipCasePattern() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    if (i < s.length() && s.charAt(i) == '#') {
      while (i < s.length() && s.charAt(i) != '\n') {
        i++;
      }
      return;
    }
    patternNext = false;
    if (s.startsWith("esac", i)
        && (i + 4 == s.length() || " \t\n;&|)".indexOf(s.charAt(i + 4)) >= 0)) {
      i += 4;
      caseDepth--;
      return;
    }
    if (i < s.length() && s.charAt(i) == '(') {
      i++;
    }
    while (i < s.length() && s.charAt(i) != ')') {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        int end = s.indexOf(c, i + 1);
        i = end < 0 ? s.length() : end + 1;
      } else {
        i += c == '\\' ? 2 : 1;
      }
    }
    i++;
  }

  /** The index of the {@code close} that matches the {@code open} at {@code at}. */
  private int matching(int at, char open, char close) {
    int depth = 0;
    for (int j = at; j < s.length(); j++) {
      char c = s.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == '\'' && open != '{') {
        int end = s.indexOf('\'', j + 1);
        j = end < 0 ? s.length() : end;
      } else if (c == '"') {
        for (j++; j < s.length() && s.charAt(j) != '"'; j++) {
          if (s.charAt(j) == '\\') {
            j++;
          } else if (s.charAt(j) == '$' && j + 1 < s.length() && s.charAt(j + 1) == '(') {
            j = matching(j + 1, '(', ')');
          }
        }
      } else if (c == open) {
        depth++;
      } else if (c == close && --depth == 0) {
        return j;
      }
    }
    return s.length();
  }

  private void append(char c) {
    if (c == DYNAMIC && word.length() > 0 && word.charAt(word.length() - 1) == DYNAMIC) {
      inWord = true;
      return;
    }
    word.append(c);
    inWord = true;
  }

  private void appendText(String text) {
    word.append(text);
    inWord = true;
  }

  private void endWord() {
    if (!inWord) {
      return;
    }
    String w = word.toString();
    word.setLength(0);
    inWord = false;
    if (redirectTarget) {
      redirectTarget = false;
      return;
    }
    int first = 0;
    while (first < current.size() && KEYWORDS.contains(current.get(first))) {
      first++;
    }
    if (current.size() == first && w.equals("[[")) {
      skipTest();
      return;
    }
    if (current.size() == first && w.equals("esac") && caseDepth > 0) {
      caseDepth--; // the last item of a case needs no ;;
    }
    current.add(w);
    if (current.size() == first + 3 && current.get(first).equals("case") && w.equals("in")) {
      caseDepth++;
      endCommand();
      patternNext = true;
    }
  }

  /** Skips a {@code [[ … ]]} test: its words are operands, and its && and || are its own. */
  private void skipTest() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        int end = s.indexOf(c, i + 1);
        i = end < 0 ? s.length() : end + 1;
      } else if (c == '\\') {
        i += 2;
      } else if (s.startsWith("]]", i) && (i + 2 == s.length()
          || " \t\n;&|)".indexOf(s.charAt(i + 2)) >= 0)) {
        i += 2;
        current.add("[[");
        return;
      } else {
        i++;
      }
    }
  }

  private void endCommand() {
    if (!current.isEmpty()) {
      commands.add(current);
      current = new ArrayList<>();
    }
  }
}
