package io.github.sshcontainer.tunnel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.jcraft.jsch.JSch;
import org.junit.jupiter.api.Test;

/**
 * The JSch internals that flow control relies on. If this fails after a JSch upgrade, read the
 * new {@code Session.run} ({@code SSH_MSG_CHANNEL_DATA}: write, subtract, adjust below half) and
 * {@code Session.write(Packet)}, check {@link WindowGate} against them, run FlowControlTest, then
 * move {@link WindowGate#VERIFIED_JSCH} on.
 */
class WindowGateTest {
  @Test
  void jschOnTheClassPathIsTheVerifiedOne() {
    assertEquals(WindowGate.VERIFIED_JSCH, JSch.VERSION,
        "WindowGate was verified against JSch " + WindowGate.VERIFIED_JSCH
            + "; re-verify it for " + JSch.VERSION);
  }

  @Test
  void everyMemberItNeedsIsThere() {
    assertTrue(WindowGate.available(), "unavailable: " + WindowGate.unavailableReason());
    assertTrue(ChannelTuning.available(), "channel windows cannot be tuned");
  }
}
