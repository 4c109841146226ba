package io.github.sshcontainer.tunnel.internal;

import com.jcraft.jsch.Buffer;
import com.jcraft.jsch.Channel;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Session;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SSH flow control on consumption, which JSch does not do.
 *
 * <p>Why: JSch's session thread hands a channel's incoming bytes to the channel's output stream
 * and re-grants the window right after ({@code Session.run}, {@code SSH_MSG_CHANNEL_DATA}: write,
 * subtract, then {@code WINDOW_ADJUST} once {@code lwsize < lwsize_max / 2}). So either the
 * session thread blocks on a slow local reader, stalling every channel, the keepalive and
 * rekeying, or memory grows without bound. OpenSSH grants window only for bytes the local socket
 * has taken; this class lets a connection do the same:
 * <ul>
 *   <li>{@link #holdBack} runs on the session thread inside the channel's write, before JSch
 *       subtracts the packet: it raises {@code lwsize} by the packet's length, so JSch's own count
 *       stays at {@code lwsize_max} and it never sends an adjust of its own;</li>
 *   <li>{@link #grant} sends {@code SSH_MSG_CHANNEL_WINDOW_ADJUST} for the bytes the local client
 *       has consumed, as JSch itself would (under the channel's monitor, not once it closed).</li>
 * </ul>
 *
 * <p>And {@link #remoteWindow} reads what the peer has granted, so that one thread can serve
 * many connections without ever blocking in JSch's write on one whose window is used up.
 *
 * <p>JSch offers no API for any of these: {@code lwsize}, {@code rwsize}, {@code Packet}, {@code
 * getRecipient()} and {@code Session.write(Packet)} are package-private. They are reached here, in one place, through
 * method handles; this works on the class path (JSch as a named module would need
 * {@code --add-opens com.jcraft.jsch/com.jcraft.jsch=ALL-UNNAMED}). Verified against JSch
 * {@value #VERIFIED_JSCH}; {@code WindowGateTest} fails if the JSch on the class path is another
 * version, so an upgrade is checked again on purpose. When the members are missing, {@link
 * #available()} is false, one WARN says so, and connections fall back to blocking the session
 * thread once a connection's queue holds a full window: memory stays bounded, isolation is lost.
 */
final class WindowGate {
  /** The JSch version whose {@code Session.run} this class was checked against. */
  static final String VERIFIED_JSCH = "2.28.8";

  private static final Logger log = LoggerFactory.getLogger(WindowGate.class);
  private static final byte SSH_MSG_CHANNEL_WINDOW_ADJUST = 93;

  private static final MethodHandle SET_LWSIZE;
  private static final MethodHandle GET_LWSIZE_MAX;
  private static final MethodHandle GET_RWSIZE;
  private static final MethodHandle RECIPIENT;
  private static final MethodHandle NEW_PACKET;
  private static final MethodHandle RESET;
  private static final MethodHandle WRITE;
  private static final String UNAVAILABLE;

  static {
    MethodHandle setLw = null;
    MethodHandle getMax = null;
    MethodHandle getRw = null;
    MethodHandle recipient = null;
    MethodHandle newPacket = null;
    MethodHandle reset = null;
    MethodHandle write = null;
    String why = null;
    try {
      MethodHandles.Lookup channel =
          MethodHandles.privateLookupIn(Channel.class, MethodHandles.lookup());
      Class<?> packet = Class.forName("com.jcraft.jsch.Packet");
      MethodHandles.Lookup inJsch = MethodHandles.privateLookupIn(packet, MethodHandles.lookup());
      setLw = channel.findSetter(Channel.class, "lwsize", int.class);
      getMax = channel.findGetter(Channel.class, "lwsize_max", int.class);
      getRw = channel.findGetter(Channel.class, "rwsize", long.class);
      recipient = channel.findVirtual(Channel.class, "getRecipient", MethodType.methodType(int.class));
      newPacket = inJsch.findConstructor(packet, MethodType.methodType(void.class, Buffer.class))
          .asType(MethodType.methodType(Object.class, Buffer.class));
      reset = inJsch.findVirtual(packet, "reset", MethodType.methodType(void.class))
          .asType(MethodType.methodType(void.class, Object.class));
      write = inJsch.findVirtual(Session.class, "write",
          MethodType.methodType(void.class, packet))
          .asType(MethodType.methodType(void.class, Session.class, Object.class));
    } catch (ReflectiveOperationException | RuntimeException e) {
      why = e.toString();
      log.warn("JSch {} does not offer what per-connection flow control needs ({}); a local "
          + "client that stops reading will stall the tunnel's other connections. Use JSch {} on "
          + "the class path (on the module path: --add-opens com.jcraft.jsch/com.jcraft.jsch="
          + "ALL-UNNAMED)", JSch.VERSION, why, VERIFIED_JSCH);
    }
    SET_LWSIZE = setLw;
    GET_LWSIZE_MAX = getMax;
    GET_RWSIZE = getRw;
    RECIPIENT = recipient;
    NEW_PACKET = newPacket;
    RESET = reset;
    WRITE = write;
    UNAVAILABLE = why;
  }

  private WindowGate() {}

  /** True when window grants follow consumption; false means the blocking fallback. */
  static boolean available() {
    return UNAVAILABLE == null;
  }

  /** Why {@link #available()} is false, or null. */
  static String unavailableReason() {
    return UNAVAILABLE;
  }

  /**
   * Keeps JSch from re-granting {@code len} bytes it is delivering: call on the session thread,
   * from inside the channel's output stream, before returning.
   */
  static void holdBack(Channel channel, int len) {
    if (SET_LWSIZE == null) {
      return;
    }
    try {
      int max = (int) GET_LWSIZE_MAX.invokeExact(channel);
      SET_LWSIZE.invokeExact(channel, max + len);
    } catch (Throwable e) {
      throw new IllegalStateException("JSch window bookkeeping failed", e);
    }
  }

  /**
   * The window the peer has granted us on {@code channel} and we have not used yet ({@code
   * rwsize}): what can be sent without JSch's write waiting for a {@code WINDOW_ADJUST}. Only the
   * connection's own writer consumes it, so it only grows until that writer sends.
   */
  static long remoteWindow(Channel channel) {
    try {
      return (long) GET_RWSIZE.invokeExact(channel);
    } catch (Throwable e) {
      throw new IllegalStateException("JSch window bookkeeping failed", e);
    }
  }

  /**
   * Grants the peer {@code bytes} more window on {@code channel}. Returns false when the channel
   * is closed or the session could not send it (the connection is ending then anyway).
   */
  static boolean grant(Session session, Channel channel, int bytes) {
    if (WRITE == null || bytes <= 0) {
      return false;
    }
    try {
      Buffer buf = new Buffer(256); // room for padding and the largest MAC
      Object packet = NEW_PACKET.invokeExact(buf);
      RESET.invokeExact(packet);
      buf.putByte(SSH_MSG_CHANNEL_WINDOW_ADJUST);
      buf.putInt((int) RECIPIENT.invokeExact(channel));
      buf.putInt(bytes);
      synchronized (channel) {
        if (channel.isClosed()) {
          return false;
        }
        WRITE.invokeExact(session, packet);
      }
      return true;
    } catch (Throwable e) {
      log.debug("window adjust on channel {} not sent: {}", channel.getId(), e.toString());
      return false;
    }
  }
}
