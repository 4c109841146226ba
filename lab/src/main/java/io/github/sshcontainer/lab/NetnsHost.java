package io.github.sshcontainer.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A "remote host" in its own network namespace, joined to this one by a veth pair on a private
 * /30: this side is {@link #gateway()}, the host is {@link #address()}. Only that address is
 * reachable from here; what the host binds to its own loopback is not. Needs root, iproute2 and
 * util-linux's nsenter.
 *
 * <p>Everything started in it through this class (sshd, dockerd) is stopped by {@link #close()},
 * which also deletes the namespace and its veth pair.
 */
public final class NetnsHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetnsHost.class);
  private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(30);

  /**
   * A remote Docker host in the namespace: its sshd, its dockerd, a known_hosts file for the
   * sshd, and the {@code ssh://user@address} destination.
   */
  public record DockerHost(NetnsHost host, Sshd sshd, DockerDaemon docker, Path knownHosts,
      String destination) {}

  private final String name;
  private final String hostSide;
  private final String address;
  private final String gateway;
  private final Path dir;
  private final List<AutoCloseable> started = new ArrayList<>();

  private NetnsHost(String name, String hostSide, String address, String gateway, Path dir) {
    this.name = name;
    this.hostSide = hostSide;
    this.address = address;
    this.gateway = gateway;
    this.dir = dir;
  }

  /** Creates the namespace and its link; {@code dir} holds what is started in it. */
  public static NetnsHost create(Path dir) {
    Path ip = Prerequisites.require("iproute2", "/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip");
    Prerequisites.require("util-linux", "/usr/bin/nsenter");
    if (!Sshd.isRoot()) {
      throw new IllegalStateException("a network namespace host needs root (ip netns add)");
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String tag = String.format("%06x", random.nextInt(1 << 24));
    String name = "sshc-" + tag;
    String hostSide = "sx" + tag + "a";
    String nsSide = "sx" + tag + "b";
    String existing = LabProcess.run(COMMAND_DEADLINE, List.of(ip.toString(), "-o", "-4",
        "addr"));
    String net;
    do {
      net = "10.231." + random.nextInt(256) + "." + (random.nextInt(64) * 4);
    } while (existing.contains(net.substring(0, net.lastIndexOf('.') + 1)));
    String base = net.substring(0, net.lastIndexOf('.') + 1);
    int last = Integer.parseInt(net.substring(net.lastIndexOf('.') + 1));
    String gateway = base + (last + 1);
    String address = base + (last + 2);
    NetnsHost host = new NetnsHost(name, hostSide, address, gateway, dir);
    try {
      Files.createDirectories(dir);
      String ipc = ip.toString();
      host.run(List.of(ipc, "netns", "add", name));
      host.run(List.of(ipc, "link", "add", hostSide, "type", "veth", "peer", "name", nsSide,
          "netns", name));
      host.run(List.of(ipc, "addr", "add", gateway + "/30", "dev", hostSide));
      host.run(List.of(ipc, "link", "set", hostSide, "up"));
      host.run(List.of(ipc, "-n", name, "addr", "add", address + "/30", "dev", nsSide));
      host.run(List.of(ipc, "-n", name, "link", "set", nsSide, "up"));
      host.run(List.of(ipc, "-n", name, "link", "set", "lo", "up"));
      host.run(List.of(ipc, "-n", name, "route", "add", "default", "via", gateway));
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    log.info("network namespace {} at {} (this side {})", name, address, gateway);
    return host;
  }

  private String run(List<String> command) {
    return LabProcess.run(COMMAND_DEADLINE, command);
  }

  /** The namespace's name under /run/netns. */
  public String name() {
    return name;
  }

  /** The host's address, reachable from this namespace. */
  public String address() {
    return address;
  }

  /** This side's address of the link, as the host sees it. */
  public String gateway() {
    return gateway;
  }

  /** The command prefix that runs a program in the namespace. */
  public List<String> enter() {
    return List.of("nsenter", "--net=/run/netns/" + name);
  }

  /** Runs a short command in the namespace and returns its output. */
  public String exec(Duration deadline, String... command) {
    List<String> full = new ArrayList<>(enter());
    full.addAll(List.of(command));
    return LabProcess.run(deadline, full);
  }

  /**
   * Starts an sshd in the namespace that accepts the given authorized keys.
   *
   * @param listenAddress {@link #address()} to be reachable from here, or 127.0.0.1 to be
   *     reachable only from inside the host (e.g. through a jump host)
   */
  public synchronized Sshd startSshd(String sub, Path hostKey, Path authorizedKeys,
      List<String> extraConfig, String listenAddress, int port) {
    Sshd sshd = Sshd.start(dir.resolve(sub), hostKey, authorizedKeys, extraConfig, enter(),
        listenAddress, port);
    started.add(sshd);
    return sshd;
  }

  /**
   * Starts a dockerd in the namespace with its default bridge network and iptables rules, so
   * that a container's {@code -p} publishes on the host's addresses; the lab's busybox image is
   * loaded.
   */
  public synchronized DockerDaemon startDocker(String sub) {
    DockerDaemon docker = DockerDaemon.start(dir.resolve(sub), enter(), true, null);
    started.add(docker);
    return docker;
  }

  /**
   * A firewall as a hardened host has: new TCP connections that come in over the link are
   * dropped unless they are for one of {@code ports}. Loopback inside the host is not filtered.
   */
  public void allowOnlyTcp(int... ports) {
    Path iptables = Prerequisites.require("iptables", "/usr/sbin/iptables");
    String nsSide = hostSide.substring(0, hostSide.length() - 1) + "b";
    StringBuilder list = new StringBuilder();
    for (int p : ports) {
      list.append(list.length() == 0 ? "" : ",").append(p);
    }
    // mangle PREROUTING runs before Docker's DNAT, so published ports are filtered too; the
    // chain is Docker-free, so flushing it replaces an earlier rule
    exec(COMMAND_DEADLINE, iptables.toString(), "-t", "mangle", "-F", "PREROUTING");
    exec(COMMAND_DEADLINE, iptables.toString(), "-t", "mangle", "-A", "PREROUTING", "-i",
        nsSide, "-p", "tcp", "--syn", "-m", "multiport", "!", "--dports", list.toString(),
        "-j", "DROP");
  }

  @Override
  public synchronized void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        log.warn("cannot stop {} in {}: {}", started.get(i), name, e.toString());
      }
    }
    started.clear();
    Path ip = Path.of(Files.isExecutable(Path.of("/usr/sbin/ip")) ? "/usr/sbin/ip" : "/sbin/ip");
    try {
      run(List.of(ip.toString(), "netns", "del", name)); // its end of the veth pair goes too
    } catch (RuntimeException e) {
      log.debug("netns del {}: {}", name, e.getMessage());
    }
    try {
      run(List.of(ip.toString(), "link", "del", hostSide));
    } catch (RuntimeException alreadyGone) {
      // deleting the namespace removed the pair
    }
    LabProcess.deleteTree(dir);
  }
}
