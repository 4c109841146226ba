package io.github.sshcontainer.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import io.github.sshcontainer.tunnel.SocketTunnel;
import io.github.sshcontainer.tunnel.TcpForward;
import io.github.sshcontainer.tunnel.TunnelException;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote containers' published TCP ports on this machine's loopback, as Docker Desktop,
 * Colima and Lima give them: it follows the daemon's events through the tunnel, and for every
 * published port of a running container forwards {@code 127.0.0.1:<HostPort>} (the same number)
 * over the SSH connection to where the remote host publishes it. A forward goes when its
 * container stops. When the local port is taken, the forward gets a free one, logged once and
 * readable through {@link #mappings()}.
 *
 * <p>Close it, or the client or tunnel it follows, to stop; forwards close with it.
 */
public final class PublishedPorts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PublishedPorts.class);
  private static final Duration RESUBSCRIBE_MAX = Duration.ofSeconds(5);

  /** One forwarded port: the container, where it is published remotely, and where locally. */
  public record Mapping(String containerId, String remoteHost, int remotePort,
      InetSocketAddress localAddress) {
    /** True when the local port has the remote port's number. */
    public boolean samePort() {
      return localAddress.getPort() == remotePort;
    }
  }

  private record Entry(Mapping mapping, TcpForward forward) {}

  private final DockerClient docker;
  private final SocketTunnel tunnel;
  private final Object lock = new Object();
  private final Map<Integer, Entry> byRemotePort = new HashMap<>();
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread loop;
  private volatile boolean closed;
  private volatile Closeable subscription;

  private PublishedPorts(DockerClient docker, SocketTunnel tunnel) {
    this.docker = docker;
    this.tunnel = tunnel;
    this.loop = new Thread(this::run, "ssh-container-published-ports");
    loop.setDaemon(true);
  }

  /**
   * Starts forwarding for a client made by {@link SshDocker#connect(
   * io.github.sshcontainer.tunnel.TunnelOptions)}; returns once the ports of the containers
   * running now are forwarded.
   *
   * @throws IllegalArgumentException if the client was not made by {@link SshDocker}
   */
  public static PublishedPorts follow(DockerClient docker) {
    SocketTunnel tunnel = SshDocker.tunnelOf(docker).orElseThrow(() ->
        new IllegalArgumentException("the client was not made by SshDocker.connect; use "
            + "follow(docker, tunnel) with the tunnel it runs over"));
    return follow(docker, tunnel);
  }

  /** As {@link #follow(DockerClient)}, for a client over the given tunnel. */
  public static PublishedPorts follow(DockerClient docker, SocketTunnel tunnel) {
    PublishedPorts p = new PublishedPorts(Objects.requireNonNull(docker, "docker"),
        Objects.requireNonNull(tunnel, "tunnel"));
    p.subscribe();
    p.sync();
    p.loop.start();
    return p;
  }

  /** The ports forwarded now. */
  public List<Mapping> mappings() {
    synchronized (lock) {
      List<Mapping> list = new ArrayList<>();
      for (Entry e : byRemotePort.values()) {
        list.add(e.mapping());
      }
      return list;
    }
  }

  /** Where the remote host's published port {@code remotePort} is reachable here, if forwarded. */
  public Optional<InetSocketAddress> localAddress(int remotePort) {
    synchronized (lock) {
      Entry e = byRemotePort.get(remotePort);
      return e == null ? Optional.empty() : Optional.of(e.mapping().localAddress());
    }
  }

  /**
   * Waits until the published port {@code remotePort} is forwarded (its container's start event
   * is handled asynchronously), at most {@code timeout}.
   *
   * @throws RemoteDockerException TIMED_OUT if it is not
   */
  public InetSocketAddress awaitPort(int remotePort, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!byRemotePort.containsKey(remotePort)) {
        long left = end - System.nanoTime();
        if (left <= 0 || closed) {
          throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT, "port "
              + remotePort + " of the remote host was not forwarded within "
              + timeout.toMillis() + " ms: is a running container publishing it?");
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new RemoteDockerException(RemoteDockerException.Reason.TIMED_OUT,
              "interrupted waiting for port " + remotePort, e);
        }
      }
      return byRemotePort.get(remotePort).mapping().localAddress();
    }
  }

  private void subscribe() {
    // onError and onComplete may both come: one resubscription per ended stream
    AtomicBoolean ended =
        new AtomicBoolean();
    subscription = docker.eventsCmd().withEventTypeFilter(EventType.CONTAINER)
        .withEventFilter("start", "die", "stop", "destroy")
        .exec(new ResultCallback.Adapter<Event>() {
          @Override
          public void onNext(Event e) {
            events.add(e);
          }

          @Override
          public void onError(Throwable t) {
            onComplete();
          }

          @Override
          public void onComplete() {
            if (ended.compareAndSet(false, true)) {
              events.add(new Event("sshc-resubscribe", null, null, null));
            }
          }
        });
  }

  private void run() {
    long pause = 100;
    while (!closed) {
      if (!tunnel.isOpen()) {
        // the client or its tunnel was closed: the forwards went with it
        closed = true;
        closeSubscription();
        synchronized (lock) {
          byRemotePort.clear();
          lock.notifyAll();
        }
        return;
      }
      Event e;
      try {
        e = events.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        return;
      }
      if (e == null || closed) {
        continue;
      }
      try {
        if ("sshc-resubscribe".equals(e.getStatus())) {
          // the stream ended (a reconnect, a daemon restart): follow again, and catch up
          Thread.sleep(pause);
          pause = Math.min(pause * 2, RESUBSCRIBE_MAX.toMillis());
          closeSubscription();
          subscribe();
          sync();
          continue;
        }
        pause = 100;
        String id = e.getId();
        String action = e.getAction() != null ? e.getAction() : e.getStatus();
        if ("start".equals(action)) {
          forwardContainer(id);
        } else {
          dropContainer(id);
        }
      } catch (InterruptedException ie) {
        return;
      } catch (RuntimeException ex) {
        if (!closed) {
          log.debug("published ports: {} while handling {}", ex.toString(), e);
          events.add(new Event("sshc-resubscribe", null, null, null));
        }
      }
    }
  }

  /** Forwards the ports of the running containers, drops those of containers gone. */
  private void sync() {
    Set<String> running = new HashSet<>();
    for (Container c : docker.listContainersCmd().exec()) {
      running.add(c.getId());
      for (ContainerPort p : c.getPorts()) {
        if (p.getPublicPort() != null && "tcp".equalsIgnoreCase(p.getType())) {
          forward(c.getId(), p.getIp(), p.getPublicPort());
        }
      }
    }
    List<String> gone = new ArrayList<>();
    synchronized (lock) {
      for (Entry e : byRemotePort.values()) {
        if (!running.contains(e.mapping().containerId())) {
          gone.add(e.mapping().containerId());
        }
      }
    }
    gone.forEach(this::dropContainer);
  }

  private void forwardContainer(String id) {
    Map<ExposedPort, Ports.Binding[]> bindings;
    try {
      var ports = docker.inspectContainerCmd(id).exec().getNetworkSettings().getPorts();
      bindings = ports == null ? Map.of() : ports.getBindings();
    } catch (NotFoundException gone) {
      return;
    }
    for (Map.Entry<ExposedPort, Ports.Binding[]> b : bindings.entrySet()) {
      if (b.getValue() == null || b.getKey().getProtocol() != InternetProtocol.TCP) {
        continue;
      }
      for (Ports.Binding binding : b.getValue()) {
        String spec = binding.getHostPortSpec();
        if (spec != null && spec.matches("\\d+")) {
          forward(id, binding.getHostIp(), Integer.parseInt(spec));
        }
      }
    }
  }

  private void forward(String containerId, String hostIp, int port) {
    synchronized (lock) {
      Entry existing = byRemotePort.get(port);
      if (existing != null) {
        if (existing.mapping().containerId().equals(containerId)) {
          return; // 0.0.0.0 and :: publish the same port: one forward
        }
        closeEntry(existing); // the port changed hands while events were missed
        byRemotePort.remove(port);
      }
    }
    // published on all addresses: the remote host's loopback reaches it
    String remoteHost = hostIp == null || hostIp.isEmpty() || hostIp.equals("0.0.0.0")
        || hostIp.equals("::") ? "127.0.0.1" : hostIp;
    TcpForward f;
    try {
      f = tunnel.forwardTcp(port, remoteHost, port);
    } catch (TunnelException e) {
      if (e.reason() != TunnelException.Reason.LOCAL_PORT_UNAVAILABLE) {
        throw e;
      }
      f = tunnel.forwardTcp(0, remoteHost, port);
    }
    Mapping m = new Mapping(containerId, remoteHost, port, f.localAddress());
    synchronized (lock) {
      Entry raced = byRemotePort.get(port);
      if (closed || (raced != null && raced.mapping().containerId().equals(containerId))) {
        // closed meanwhile, or the initial sync and an event forwarded the same port at once:
        // the forward in the map stays, this one goes (it would listen on, unclosed)
        f.close();
        return;
      }
      if (raced != null) {
        closeEntry(raced);
      }
      byRemotePort.put(port, new Entry(m, f));
      lock.notifyAll();
    }
    if (!m.samePort()) {
      log.warn("port {} is taken on this machine: container {}'s port {} is at {} instead",
          port, shortId(containerId), port, f.localAddress());
    }
    log.info("published port: {} -> container {} at {}:{} on {}", f.localAddress(),
        shortId(containerId), remoteHost, port, tunnel.remote());
  }

  private void dropContainer(String id) {
    List<Entry> dropped = new ArrayList<>();
    synchronized (lock) {
      byRemotePort.values().removeIf(e -> {
        if (e.mapping().containerId().equals(id)) {
          dropped.add(e);
          return true;
        }
        return false;
      });
    }
    for (Entry e : dropped) {
      closeEntry(e);
      log.info("published port {} of container {} is gone", e.mapping().remotePort(),
          shortId(id));
    }
  }

  private static void closeEntry(Entry e) {
    e.forward().close();
  }

  private static String shortId(String id) {
    return id == null || id.length() < 12 ? String.valueOf(id) : id.substring(0, 12);
  }

  private void closeSubscription() {
    Closeable s = subscription;
    if (s != null) {
      try {
        s.close();
      } catch (Exception ignored) {
        // the stream is gone anyway
      }
    }
  }

  /** Stops following and closes every forward. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeSubscription();
    loop.interrupt();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Entry> all;
    synchronized (lock) {
      all = new ArrayList<>(byRemotePort.values());
      byRemotePort.clear();
      lock.notifyAll();
    }
    all.forEach(PublishedPorts::closeEntry);
  }
}
