package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.sshcontainer.cli.GatewayConfigFile.ContainerKeys;
import io.github.sshcontainer.cli.GatewayConfigFile.DockerSections;
import io.github.sshcontainer.cli.GatewayConfigFile.Invalid;
import io.github.sshcontainer.cli.GatewayConfigFile.MatchBlock;
import io.github.sshcontainer.cli.GatewayConfigFile.Where;
import io.github.sshcontainer.gateway.Webhook;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import io.github.sshcontainer.gateway.docker.DockerBackendOptions;
import io.github.sshcontainer.gateway.docker.PerConnectionOptions;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Each login's container settings: the config file's first matching {@code match:} block over
 * the top level, then the config webhook's answer ({@code --config-webhook}) over that. Every
 * block's options are made when the file is loaded, so that a bad block stops the start (or
 * the reload) and never a login; a webhook's answer is checked and made per login, and a bad
 * or failed one refuses that login alone ({@link PerConnectionOptions#REFUSAL}, the reason in
 * the log).
 *
 * <p>What the config webhook may set. {@link #PLAIN} keys shape the environment inside the
 * confinement the operator chose; every other container key can break out of it and passes
 * only when {@code config-webhook-allow} lists it. A key that is no container key, or a value
 * that is not of the key's type, refuses the login too: a webhook answering what the gateway
 * does not understand is a webhook to distrust, not to half-follow.
 *
 * <p>Immutable but for its webhook client, which {@link #close} stops. Thread-safe.
 */
final class PerUserSettings implements PerConnectionOptions, AutoCloseable {
  /**
   * The container keys the config webhook may set without {@code config-webhook-allow}: the
   * image and what runs in it ({@code image}, {@code shell}, {@code idle-command}, {@code
   * subsystem}, {@code env}, {@code pull}, {@code mode}) and its limits ({@code memory}, {@code
   * cpus}, {@code pids-limit}). All act inside the container the operator's confinement makes
   * (capabilities dropped, no new privileges, its network); a webhook that raises a limit costs
   * the host resources, not its isolation. Not plain, and why: {@code network} ({@code host}
   * shares the Docker host's network, services on its loopback included; {@code container:ID}
   * joins another login's container; any other lets a container the operator kept offline
   * reach the network); {@code privileged}, {@code cap-add}, {@code cap-drop}, {@code
   * new-privileges}, {@code read-only} (they change the confinement itself; {@code cap-drop}
   * and {@code read-only: true} only tighten it, but one rule is easier to reason about than a
   * table of directions); {@code docker} (HostConfig holds Binds of host paths, Devices,
   * PidMode, SecurityOpt; ContainerConfig holds Labels, which could pass for ssh-container's
   * own).
   */
  static final Set<String> PLAIN = Set.of("image", "env", "memory", "cpus", "pids-limit",
      "shell", "idle-command", "subsystem", "pull", "mode");
  /** What {@code config-webhook-allow} takes beyond the container keys: a docker section. */
  static final List<String> DOCKER_SECTIONS = List.of("docker.config", "docker.host",
      "docker.network", "docker.platform");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEBHOOK = "config webhook";

  /** A command holding the container keys in force, their options, what shaped them. */
  private record Settings(GatewayCommand command, DockerSections docker,
      DockerBackendOptions options, String shapedBy) {}

  private final List<MatchBlock> blocks;
  private final List<Settings> matched;
  private final Settings top;
  private final Webhook webhook;
  private final Set<String> allowed;
  private final AtomicBoolean closed = new AtomicBoolean();

  private PerUserSettings(List<MatchBlock> blocks, List<Settings> matched, Settings top,
      Webhook webhook, Set<String> allowed) {
    this.blocks = blocks;
    this.matched = matched;
    this.top = top;
    this.webhook = webhook;
    this.allowed = allowed;
  }

  /**
   * The settings of {@code command} (its options applied, {@code options} made from them) and
   * of {@code file}'s match blocks (may be null): each block's options made now; with {@code
   * --config-webhook}, its client started (not for --check-config).
   *
   * @throws Invalid a block whose options cannot be made, naming file, line and key
   * @throws CommandLine.ParameterException a bad {@code --config-webhook} or {@code
   *     --config-webhook-allow}
   */
  static PerUserSettings load(GatewayCommand command, GatewayConfigFile file,
      DockerBackendOptions options) {
    Set<String> allowed = new TreeSet<>();
    for (String key : command.configWebhookAllow) {
      if (!GatewayConfigFile.CONTAINER_KEYS.contains(key) && !DOCKER_SECTIONS.contains(key)) {
        List<String> known = new ArrayList<>(GatewayConfigFile.CONTAINER_KEYS);
        known.addAll(DOCKER_SECTIONS);
        throw new CommandLine.ParameterException(command.spec.commandLine(),
            "--config-webhook-allow takes container keys, got '" + key + "'"
                + GatewayConfigFile.nearest(key, known).map(k -> "; did you mean " + k + "?")
                .orElse(" (they are " + String.join(", ", known) + ")"));
      }
      allowed.add(key);
    }
    DockerSections docker = file == null ? DockerSections.NONE : file.docker();
    Settings top = new Settings(overlay(command, null), docker, options, "");
    List<MatchBlock> blocks = file == null ? List.of() : file.matches();
    List<Settings> matched = new ArrayList<>();
    for (MatchBlock b : blocks) {
      Where where = file.where(b);
      try {
        GatewayCommand c = overlay(top.command(), b.keys());
        DockerSections d = docker.with(b.keys().docker());
        matched.add(new Settings(c, d, c.backendOptions(d), b.description()));
      } catch (CommandLine.ParameterException | IllegalArgumentException e) {
        throw invalid(e, where, b.keys().names());
      }
    }
    Webhook webhook = null;
    if (command.configWebhook != null) {
      Webhook.Options o = command.webhookOptions("--config-webhook", command.configWebhook);
      // --check-config shows the configuration: the TLS files are read at start, as the
      // authentication files are
      if (!command.checkConfig) {
        try {
          webhook = Webhook.create(o);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(command.spec.commandLine(),
              "--config-webhook: " + e.getMessage());
        }
      }
    }
    return new PerUserSettings(List.copyOf(blocks), List.copyOf(matched), top, webhook,
        Set.copyOf(allowed));
  }

  /** What the backend asks: this, or {@link PerConnectionOptions#NONE} with nothing to do. */
  PerConnectionOptions choice() {
    return blocks.isEmpty() && webhook == null ? PerConnectionOptions.NONE : this;
  }

  @Override
  public Choice choose(ConnectionInfo connection, DockerBackendOptions base) {
    Settings s = top;
    LoginIdentity identity = connection.identity();
    for (int i = 0; i < blocks.size(); i++) {
      if (blocks.get(i).matches(connection.user(), identity.certificate())) {
        s = matched.get(i);
        break;
      }
    }
    if (webhook == null) {
      return new Choice(s == top ? base : s.options(), s.shapedBy());
    }
    Map<String, Object> answer = ask(connection);
    if (answer.isEmpty()) {
      return new Choice(s == top ? base : s.options(), s.shapedBy());
    }
    // no URL here: it may hold a token (a Failure's message shows it without one)
    String source = WEBHOOK + " answered";
    checkAllowed(answer, source);
    ContainerKeys keys;
    try {
      keys = GatewayConfigFile.containerKeys(JSON.valueToTree(answer), s.command().spec,
          Where.answer(source));
    } catch (Invalid e) {
      throw PerConnectionOptions.refusal(e.getMessage());
    }
    try {
      GatewayCommand c = overlay(s.command(), keys);
      DockerBackendOptions options = c.backendOptions(s.docker().with(keys.docker()));
      return new Choice(options, s.shapedBy().isEmpty() ? WEBHOOK
          : s.shapedBy() + ", " + WEBHOOK);
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      throw PerConnectionOptions.refusal(invalid(e, Where.answer(source), keys.names())
          .getMessage());
    }
  }

  /** The webhook's answer for {@code connection}, or a refusal saying why there is none. */
  private Map<String, Object> ask(ConnectionInfo connection) {
    CompletableFuture<Map<String, Object>> call = webhook.post(request(connection));
    Duration timeout = webhook.options().timeout();
    try {
      // the call ends itself at the timeout; this bound only guards against a client bug
      return call.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      // a Failure's message is "webhook URL: what went wrong"
      throw PerConnectionOptions.refusal(e.getCause() instanceof Webhook.Failure f
          ? "config " + f.getMessage() : WEBHOOK + ": " + e.getCause());
    } catch (TimeoutException e) {
      call.cancel(true);
      throw PerConnectionOptions.refusal(WEBHOOK + ": no answer within "
          + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(true);
      throw PerConnectionOptions.refusal(WEBHOOK + ": interrupted (the gateway is closing)");
    }
  }

  /** The request: who logged in, from where, with which key and certificate. */
  private static Map<String, Object> request(ConnectionInfo connection) {
    LoginIdentity id = connection.identity();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", connection.user());
    body.put("remoteAddress", address(connection.client()));
    body.put("connectionId", connection.connectionId());
    body.put("publicKey", id.publicKey().isEmpty() ? null : id.publicKey());
    body.put("fingerprint", id.fingerprint().isEmpty() ? null : id.fingerprint());
    body.put("certificate", id.certificate().map(cert -> {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("keyId", cert.keyId());
      c.put("serial", new BigInteger(cert.serialText()));
      c.put("principals", cert.principals());
      c.put("validBefore", cert.validBefore().equals(Instant.MAX) ? null
          : cert.validBefore().toString());
      return c;
    }).orElse(null));
    return body;
  }

  private static String address(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Refuses an answer holding a key that is no container key or one not allowed. */
  private void checkAllowed(Map<String, Object> answer, String source) {
    for (Map.Entry<String, Object> e : answer.entrySet()) {
      String key = e.getKey();
      if (key.equals("docker") && e.getValue() instanceof Map<?, ?> sections) {
        for (Object section : sections.keySet()) {
          String name = "docker." + section;
          if (!DOCKER_SECTIONS.contains(name)) {
            throw PerConnectionOptions.refusal(source + " key '" + name + "', which is not "
                + "a section of docker: (config, host, network, platform)");
          }
          if (!allowed.contains("docker") && !allowed.contains(name)) {
            throw PerConnectionOptions.refusal(source + " key '" + name + "', which "
                + "config-webhook-allow does not list");
          }
        }
      } else if (!GatewayConfigFile.CONTAINER_KEYS.contains(key)) {
        throw PerConnectionOptions.refusal(source + " key '" + key + "', which is not a "
            + "container key (they are " + String.join(", ", GatewayConfigFile.CONTAINER_KEYS)
            + ")");
      } else if (!PLAIN.contains(key) && !allowed.contains(key)) {
        throw PerConnectionOptions.refusal(source + " key '" + key + "', which "
            + "config-webhook-allow does not list");
      }
    }
  }

  /**
   * A copy of {@code base} (every option's value) with {@code keys} over it: a key-value
   * option ({@code env}, {@code subsystem}) gets theirs after its own, so that theirs win by
   * name; every other option given is replaced. Null keys: a plain copy.
   *
   * @throws CommandLine.ParameterException a value picocli cannot convert
   */
  private static GatewayCommand overlay(GatewayCommand base, ContainerKeys keys) {
    CommandLine fresh = new CommandLine(GatewayCommand.class, CommandLine.defaultFactory());
    CommandSpec to = fresh.getCommandSpec();
    for (OptionSpec o : base.spec.options()) {
      to.findOption(o.longestName()).setValue(copy(o.getValue()));
    }
    if (keys != null && !keys.arguments().isEmpty()) {
      List<String> args = new ArrayList<>();
      keys.arguments().forEach((key, values) -> values.forEach(v -> args.add("--" + key + "="
          + v)));
      CommandLine parsed = new CommandLine(GatewayCommand.class, CommandLine.defaultFactory());
      parsed.parseArgs(args.toArray(String[]::new));
      for (String key : keys.arguments().keySet()) {
        OptionSpec target = to.findOption("--" + key);
        Object theirs = copy(parsed.getCommandSpec().findOption("--" + key).getValue());
        if (GatewayConfigFile.keyValues(target)) {
          List<Object> merged = new ArrayList<>((List<?>) target.getValue());
          merged.addAll((List<?>) theirs);
          target.setValue(merged);
        } else {
          target.setValue(theirs);
        }
      }
    }
    if (keys != null) {
      keys.flags().forEach((key, on) -> to.findOption("--" + key).setValue(on));
    }
    return fresh.getCommand();
  }

  private static Object copy(Object value) {
    return value instanceof List<?> l ? new ArrayList<>(l) : value;
  }

  /** {@code e} (a value that cannot be used) at the key it names, else at the block. */
  private static Invalid invalid(RuntimeException e, Where where, Set<String> given) {
    String key = null;
    if (e instanceof CommandLine.ParameterException p
        && p.getArgSpec() instanceof OptionSpec o) {
      key = o.longestName().substring(2);
    } else if (e.getMessage() != null && e.getMessage().startsWith("--")) {
      key = e.getMessage().substring(2).split("[ =:]", 2)[0];
    }
    String at = key != null && given.contains(key) ? where.at(key) : where.inBlock()
        ? where.place("") + "key '" + where.name("") + "': " : where.place("");
    return new Invalid(at + e.getMessage(), e);
  }

  /**
   * Stops the webhook's client once the logins waiting on it have their answer (its timeout
   * from now); for a reload that replaced these settings.
   */
  void closeLater() {
    if (webhook != null) {
      CompletableFuture.delayedExecutor(webhook.options().timeout().toMillis() + 1_000,
          TimeUnit.MILLISECONDS).execute(this::close);
    }
  }

  /** Stops the webhook's client; a login waiting on it is refused. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && webhook != null) {
      webhook.close();
    }
  }
}
