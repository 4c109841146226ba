package io.github.sshcontainer.tunnel;

/**
 * Per-connection flow control, as OpenSSH does it: the remote end may send a connection at most
 * its window ahead of what the local client has read. A connection's window starts at 2 MiB
 * (OpenSSH's) and grows to {@code windowSize} while its local client keeps up, so a bulk stream
 * gets the full window within a few round trips, and a client that stops reading holds at most
 * the window it had, without slowing any other connection.
 *
 * @param windowSize the largest window per connection, bytes: 64 KiB to 64 MiB. Bounds the memory
 *     a stalled connection holds, and one connection's throughput to window / round trip
 * @param packetSize the largest SSH data packet the remote end may send, bytes: 4 KiB to 256 KiB
 */
public record FlowControl(int windowSize, int packetSize) {
  /** A 32 MiB window (about 1.6 GB/s at 20 ms round trip) and 64 KiB packets. */
  public static final FlowControl DEFAULT = new FlowControl(32 << 20, 64 << 10);

  /**
   * Checks both sizes.
   *
   * @throws IllegalArgumentException naming the field and the bad value
   */
  public FlowControl {
    if (windowSize < (64 << 10) || windowSize > (64 << 20)) {
      throw new IllegalArgumentException("windowSize " + windowSize + " is outside 64 KiB-64 MiB");
    }
    if (packetSize < (4 << 10) || packetSize > (256 << 10)) {
      throw new IllegalArgumentException("packetSize " + packetSize + " is outside 4-256 KiB");
    }
  }
}
