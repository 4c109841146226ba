package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Channel;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets a channel's local window and packet size before it opens. JSch 2.x keeps these setters
 * package-private and fixes direct-streamlocal at a 128 KiB window, which caps one connection at
 * window / RTT (about 6 MB/s at 20 ms). On the class path they are reachable by reflection; where
 * they are not (JSch as a named module that does not open its package) the defaults stay and one
 * WARN says so.
 */
final class ChannelTuning {
  private static final Logger log = LoggerFactory.getLogger(ChannelTuning.class);
  private static final Method WINDOW_MAX;
  private static final Method WINDOW;
  private static final Method PACKET;

  static {
    Method max = null;
    Method win = null;
    Method pkt = null;
    try {
      max = Channel.class.getDeclaredMethod("setLocalWindowSizeMax", int.class);
      win = Channel.class.getDeclaredMethod("setLocalWindowSize", int.class);
      pkt = Channel.class.getDeclaredMethod("setLocalPacketSize", int.class);
      max.setAccessible(true);
      win.setAccessible(true);
      pkt.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("cannot tune JSch channel windows ({}); forwarded connections keep JSch's 128 KiB"
          + " window, which limits throughput on slow links. On the module path, add "
          + "--add-opens com.jcraft.jsch/com.jcraft.jsch=io.github.sshcontainer.tunnel", e.toString());
      max = null;
    }
    WINDOW_MAX = max;
    WINDOW = win;
    PACKET = pkt;
  }

  private ChannelTuning() {}

  /** True when the window and packet size can be set. */
  static boolean available() {
    return WINDOW_MAX != null;
  }

  static void apply(Channel channel, int window, int packet) {
    if (WINDOW_MAX == null) {
      return;
    }
    try {
      WINDOW_MAX.invoke(channel, window);
      WINDOW.invoke(channel, window);
      PACKET.invoke(channel, packet);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot tune the JSch channel", e);
    }
  }
}
