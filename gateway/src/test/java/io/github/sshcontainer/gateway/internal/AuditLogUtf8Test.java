package io.github.sshcontainer.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A recording's text: UTF-8 split anywhere between two reads comes out whole, what is not UTF-8
 * becomes U+FFFD, and JSON's special characters are escaped.
 */
class AuditLogUtf8Test {
  private static String escapeInChunks(byte[] bytes, int... cuts) {
    AuditLog.Utf8 text = new AuditLog.Utf8();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      byte[] out = new byte[(to - from) * 6 + 24];
      int n = text.escape(bytes, from, to - from, out, 0);
      all.write(out, 0, n);
      from = to;
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aCharacterSplitBetweenReadsComesOutWhole() {
    String s = "aé€😀z";
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= bytes.length; cut++) {
      assertEquals(s, escapeInChunks(bytes, cut), "cut at " + cut);
    }
    int[] everyByte = new int[bytes.length - 1];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i + 1;
    }
    assertEquals(s, escapeInChunks(bytes, everyByte), "one byte at a time");
  }

  @Test
  void whatIsNotUtf8BecomesTheReplacementCharacter() {
    byte[] bytes = {'a', (byte) 0xff, 'b', (byte) 0xc0, (byte) 0x80, (byte) 0xed, (byte) 0xa0,
        (byte) 0x80, (byte) 0x80, 'c'};
    assertEquals("a\uFFFDb\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDc", escapeInChunks(bytes));
  }

  @Test
  void jsonSpecialCharactersAreEscaped() {
    byte[] bytes = "q\"b\\n\n\r\t\u0000\u001b[0m\u007f".getBytes(StandardCharsets.UTF_8);
    assertEquals("q\\\"b\\\\n\\n\\r\\t\\u0000\\u001b[0m\\u007f", escapeInChunks(bytes));
  }
}
