package io.github.sshcontainer.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A pattern list as sshd's {@code Match User} takes it (ssh_config(5), PATTERNS): patterns
 * separated by commas, {@code *} any run of characters, {@code ?} one, a leading {@code !}
 * negates. A name matches when a positive pattern matches it and no negated one does; as in
 * sshd, negations alone match nothing ({@code *,!root} is every name but root). Case-sensitive.
 * Immutable.
 */
final class PatternList {
  private final String text;
  private final List<Pattern> positive;
  private final List<Pattern> negated;

  private PatternList(String text, List<Pattern> positive, List<Pattern> negated) {
    this.text = text;
    this.positive = positive;
    this.negated = negated;
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException an empty pattern ({@code a,,b}, a lone {@code !}) or a
   *     list of negations alone, with what to write instead
   */
  static PatternList parse(String text) {
    List<Pattern> positive = new ArrayList<>();
    List<Pattern> negated = new ArrayList<>();
    for (String p : text.split(",", -1)) {
      String one = p.trim();
      boolean not = one.startsWith("!");
      String glob = not ? one.substring(1) : one;
      if (glob.isEmpty()) {
        throw new IllegalArgumentException("'" + text + "' has an empty pattern; write names "
            + "or patterns separated by commas, such as alice,bob or *,!root");
      }
      (not ? negated : positive).add(glob(glob));
    }
    if (positive.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' holds only negations, which match "
          + "nothing (as in sshd); add what they are taken from, such as *," + text);
    }
    return new PatternList(text, List.copyOf(positive), List.copyOf(negated));
  }

  /** Whether {@code name} matches: a positive pattern does and no negated one. */
  boolean matches(String name) {
    for (Pattern n : negated) {
      if (n.matcher(name).matches()) {
        return false;
      }
    }
    for (Pattern p : positive) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }

  /** Whether any of {@code names} matches. */
  boolean matchesAny(List<String> names) {
    return names.stream().anyMatch(this::matches);
  }

  private static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          re.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        re.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  /** The list as written. */
  @Override
  public String toString() {
    return text;
  }
}
