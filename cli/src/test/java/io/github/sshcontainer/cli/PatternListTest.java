package io.github.sshcontainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** sshd's pattern lists, as {@code Match User} takes them. */
class PatternListTest {
  @Test
  void wildcardsCommaListsAndNegationsMatchAsInSshd() {
    PatternList l = PatternList.parse("alice,b?b,ci-*");
    assertTrue(l.matches("alice"));
    assertTrue(l.matches("bob"));
    assertTrue(l.matches("ci-"));
    assertTrue(l.matches("ci-build-7"));
    assertFalse(l.matches("bobby"), "? is one character");
    assertFalse(l.matches("Alice"), "case-sensitive, as sshd's Match User");
    assertFalse(l.matches("alice2"), "a pattern is the whole name");

    PatternList notRoot = PatternList.parse("*, !root");
    assertTrue(notRoot.matches("alice"));
    assertFalse(notRoot.matches("root"), "a negation wins over a positive match");
    assertTrue(PatternList.parse("a.c").matches("a.c"));
    assertFalse(PatternList.parse("a.c").matches("abc"), "regex characters are literal");
    assertTrue(PatternList.parse("ops-*").matchesAny(List.of("dev", "ops-eu")));
    assertFalse(PatternList.parse("ops-*").matchesAny(List.of()));
    assertEquals("*, !root", notRoot.toString());
  }

  @Test
  void negationsAloneAndEmptyPatternsAreRefusedWithWhatToWrite() {
    IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
        () -> PatternList.parse("!root"));
    assertEquals("'!root' holds only negations, which match nothing (as in sshd); add what "
        + "they are taken from, such as *,!root", alone.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PatternList.parse("a,,b"))
        .getMessage().contains("empty pattern"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PatternList.parse("a,!"))
        .getMessage().contains("empty pattern"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PatternList.parse(""))
        .getMessage().contains("empty pattern"));
  }
}
