package io.github.sshcontainer.containerd.internal;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC channel over the tunnel's local socket with the JDK's Unix domain sockets (Netty's NIO
 * domain socket channel: no native library), authority {@code localhost}, and an event loop
 * that the caller owns and shuts down with it.
 */
public final class GrpcChannels {
  private GrpcChannels() {}

  /** A channel and the event loop it runs on; close both with {@link #shutdown}. */
  public record Owned(ManagedChannel channel, EventLoopGroup loop) {
    public void shutdown(long timeoutMillis) {
      channel.shutdownNow();
      try {
        channel.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      loop.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS)
          .awaitUninterruptibly(timeoutMillis);
    }
  }

  public static Owned open(SocketAddress address, String id) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "ssh-container-" + id + "-grpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    EventLoopGroup loop = new NioEventLoopGroup(1, threads);
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(address)
        .eventLoopGroup(loop)
        .overrideAuthority("localhost")
        .usePlaintext()
        .maxInboundMessageSize(64 << 20);
    if (address instanceof UnixDomainSocketAddress) {
      b.channelType(NioDomainSocketChannel.class);
      // grpc-netty sets SO_KEEPALIVE on every channel; a Unix socket has none, and Netty warns
      // "Unknown channel option" on every connect. A null value makes Netty drop the option.
      b.withOption(ChannelOption.SO_KEEPALIVE, null);
    } else {
      b.channelType(NioSocketChannel.class);
    }
    return new Owned(b.build(), loop);
  }
}
