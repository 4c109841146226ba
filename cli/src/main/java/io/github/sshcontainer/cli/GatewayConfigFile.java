package io.github.sshcontainer.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.gateway.backend.LoginIdentity;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * The gateway's YAML configuration file ({@code ssh-container gateway --config FILE}): every
 * long option of the command is a key of the same name without the dashes, a repeatable option
 * a list (a map for one whose values are {@code NAME=VALUE}), a flag {@code true}/{@code false};
 * and a {@code docker:} section whose {@code config}, {@code host} and {@code network} are the
 * Docker Engine API's ContainerConfig, HostConfig and NetworkingConfig, and {@code platform}
 * a string. The keys come from the command's {@link CommandSpec}, so an option added to the
 * command is a key at once. A {@code match:} list holds blocks as sshd's {@code Match}: criteria
 * ({@code user}, {@code principal}, {@code key-id}, pattern lists) and {@link #CONTAINER_KEYS}
 * that a matching login gets over the top level's ({@link MatchBlock}).
 *
 * <p>{@link #read} checks everything it can without the network: keys, value types, durations,
 * sizes and the Docker settings (against docker-java's models), in match blocks too. {@link
 * #applyTo} then sets every option the command line did not give from the file, else from its
 * default, with picocli's own conversions: so it may be called again with a re-read file (a
 * reload); {@code PerUserSettings} makes the match blocks' options. {@link #effective}
 * is the configuration in force, as YAML with secrets redacted by {@link #yaml}.
 *
 * <p>Immutable once read; not tied to a thread.
 */
final class GatewayConfigFile {
  /** Thrown for a configuration that cannot be used: one line naming file, line and key. */
  static final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Invalid(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Options that are not configuration: the file's own, help, and what Main reads first. */
  private static final Set<String> NOT_KEYS = Set.of("--config", "--check-config", "--help",
      "--version", "--verbose");
  private static final List<String> DOCKER_KEYS = List.of("config", "host", "network",
      "platform");
  /**
   * The keys of a container's settings, which a match block and the config webhook may set:
   * the options that shape one login's container and nothing of the gateway (where it listens,
   * who may log in, limits of the server), and {@code docker}.
   */
  static final List<String> CONTAINER_KEYS = List.of("image", "env", "memory", "cpus",
      "pids-limit", "network", "shell", "idle-command", "subsystem", "pull", "mode",
      "privileged", "cap-add", "cap-drop", "new-privileges", "read-only", "docker");
  /** A match block's criteria: pattern lists of the login name, principals, key id. */
  static final List<String> CRITERIA = List.of("user", "principal", "key-id");
  private static final Pattern WHOLE = Pattern.compile("-?\\d+");
  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|token).*");
  private static final Pattern URL_USERINFO = Pattern.compile("([a-zA-Z][\\w+.-]*://)[^/@\\s]+@");
  /** A URL's query, which may carry a token (a webhook's {@code ?token=}). */
  private static final Pattern URL_QUERY = Pattern.compile("(https?://[^\\s?#]*)\\?[^\\s#]*");

  /**
   * Docker's own settings, with the Engine API's field names: the file's {@code docker:}
   * section, a match block's, a webhook answer's.
   *
   * @param config a ContainerConfig's fields; empty for none
   * @param host a HostConfig's fields; empty for none
   * @param network a NetworkingConfig's fields; empty for none
   * @param platform {@code os/arch[/variant]}, or null
   */
  record DockerSections(Map<String, Object> config, Map<String, Object> host,
      Map<String, Object> network, String platform) {
    static final DockerSections NONE = new DockerSections(Map.of(), Map.of(), Map.of(), null);

    boolean isEmpty() {
      return config.isEmpty() && host.isEmpty() && network.isEmpty() && platform == null;
    }

    /** These with {@code over}'s on top: field by field in each section, its platform if set. */
    DockerSections with(DockerSections over) {
      return new DockerSections(merge(config, over.config), merge(host, over.host),
          merge(network, over.network), over.platform != null ? over.platform : platform);
    }

    private static Map<String, Object> merge(Map<String, Object> under,
        Map<String, Object> over) {
      if (over.isEmpty()) {
        return under;
      }
      Map<String, Object> m = new LinkedHashMap<>(under);
      m.putAll(over);
      return java.util.Collections.unmodifiableMap(m);
    }
  }

  /**
   * Container keys of a match block or a webhook answer, checked: the arguments of each option
   * given (as the file's top-level keys give them), the flags given (true or false: a block's
   * {@code privileged: false} turns off the top level's true) and the docker sections given.
   */
  record ContainerKeys(Map<String, List<String>> arguments, Map<String, Boolean> flags,
      DockerSections docker) {
    /** Every key given, {@code docker} included. */
    Set<String> names() {
      Set<String> names = new java.util.LinkedHashSet<>(arguments.keySet());
      names.addAll(flags.keySet());
      if (!docker.isEmpty()) {
        names.add("docker");
      }
      return names;
    }
  }

  /**
   * A block of the file's {@code match:} list, as sshd's {@code Match}: a login matches when
   * every criterion given does; the first block that matches gives its container keys over the
   * top level's (a map, {@code env} or {@code subsystem}, merges by name; {@code docker}
   * sections merge field by field; every other key replaces).
   *
   * @param number its place in the list, from 1
   * @param line its first line in the file
   * @param user a pattern list of the login name, or null
   * @param principal a pattern list one of the certificate's principals must match, or null
   * @param keyId a pattern list of the certificate's key id, or null
   * @param keys its container keys
   */
  record MatchBlock(int number, int line, PatternList user, PatternList principal,
      PatternList keyId, ContainerKeys keys) {
    /** Whether {@code login} matches every criterion given; a certificate criterion needs one. */
    boolean matches(String login, Optional<LoginIdentity.Certificate> certificate) {
      if (user != null && !user.matches(login)) {
        return false;
      }
      if (principal != null && !certificate.map(c -> principal.matchesAny(c.principals()))
          .orElse(false)) {
        return false;
      }
      return keyId == null || certificate.map(c -> keyId.matches(c.keyId())).orElse(false);
    }

    /** {@code match 2 (user alice,bob; key-id ci-*)}: its number and its criteria. */
    String description() {
      List<String> criteria = new ArrayList<>();
      if (user != null) {
        criteria.add("user " + user);
      }
      if (principal != null) {
        criteria.add("principal " + principal);
      }
      if (keyId != null) {
        criteria.add("key-id " + keyId);
      }
      return "match " + number + " (" + String.join("; ", criteria) + ")";
    }
  }

  private final Path file;
  private final Map<String, Integer> lines;
  private final Map<String, List<String>> arguments;
  private final DockerSections docker;
  private final List<MatchBlock> matches;
  private final List<Object> matchTree;

  private GatewayConfigFile(Path file, Map<String, Integer> lines,
      Map<String, List<String>> arguments, DockerSections docker, List<MatchBlock> matches,
      List<Object> matchTree) {
    this.file = file;
    this.lines = lines;
    this.arguments = arguments;
    this.docker = docker;
    this.matches = matches;
    this.matchTree = matchTree;
  }

  /**
   * Reads and checks {@code file} against the options of {@code command} (the gateway
   * command's spec).
   *
   * @throws Invalid with one line: {@code FILE:LINE: key 'K': what is wrong}
   */
  static GatewayConfigFile read(Path file, CommandSpec command) {
    Map<String, Integer> lines = new LinkedHashMap<>();
    JsonNode root;
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        JsonParser p = new YAMLFactory().createParser(r)) {
      JsonToken first = p.nextToken();
      root = first == null ? JsonNodeFactory.instance.objectNode() : tree(p, file, "", lines);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new Invalid(file + (line > 0 ? ":" + line : "") + ": not valid YAML: "
          + e.getOriginalMessage().split("\n")[0].trim(), e);
    } catch (NoSuchFileException e) {
      throw new Invalid(file + ": no such configuration file", e);
    } catch (IOException e) {
      throw new Invalid(file + ": cannot read the configuration file: " + e, e);
    }
    if (!root.isObject()) {
      throw new Invalid(file + ":1: the configuration is a map of keys (image: …, listen: …), "
          + "got " + kind(root), null);
    }
    Map<String, OptionSpec> options = keys(command);
    Map<String, List<String>> arguments = new LinkedHashMap<>();
    JsonNode docker = null;
    JsonNode match = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      String at = file + ":" + lines.get(key) + ": key '" + key + "': ";
      if (key.equals("docker")) {
        docker = e.getValue();
        continue;
      }
      if (key.equals("match")) {
        match = e.getValue();
        continue;
      }
      OptionSpec o = options.get(key);
      if (o == null) {
        List<String> known = new ArrayList<>(options.keySet());
        known.add("docker");
        known.add("match");
        throw new Invalid(file + ":" + lines.get(key) + ": unknown key '" + key + "'"
            + nearest(key, known).map(k -> "; did you mean " + k + "?").orElse(
                " (the keys are the long options of ssh-container gateway without --)"), null);
      }
      List<String> values = values(o, e.getValue(), at);
      if (values != null) {
        arguments.put(key, values);
      }
    }
    DockerSections sections = docker(docker, Where.top(file, lines));
    List<MatchBlock> blocks = new ArrayList<>();
    List<Object> matchTree = List.of();
    if (match != null && !match.isNull()) {
      if (!match.isArray()) {
        throw new Invalid(file + ":" + lines.get("match") + ": key 'match': expected a list of "
            + "blocks (- user: alice …), got " + kind(match), null);
      }
      for (int i = 0; i < match.size(); i++) {
        blocks.add(matchBlock(match.get(i), i, file, lines, command));
      }
      @SuppressWarnings("unchecked")
      List<Object> tree = new ObjectMapper().convertValue(match, List.class);
      matchTree = java.util.Collections.unmodifiableList(tree);
    }
    return new GatewayConfigFile(file, Map.copyOf(lines), arguments, sections,
        List.copyOf(blocks), matchTree);
  }

  /**
   * Where the keys being read are, for error messages: the file's top level, one of its match
   * blocks, or a webhook's answer (no file, no lines). A key is a dotted path inside the map
   * being read ({@code memory}, {@code docker.host.Ulimits[0].Soft}).
   */
  static final class Where {
    private final String source;
    private final Map<String, Integer> lines;
    private final String path;
    private final String shown;

    private Where(String source, Map<String, Integer> lines, String path, String shown) {
      this.source = source;
      this.lines = lines;
      this.path = path;
      this.shown = shown;
    }

    /** The file's top level. */
    static Where top(Path file, Map<String, Integer> lines) {
      return new Where(file.toString(), lines, "", "");
    }

    /** Match block {@code index} (from 0), named {@code match[N]} from 1, as sshd counts. */
    static Where block(Path file, Map<String, Integer> lines, int index) {
      return new Where(file.toString(), lines, "match[" + index + "]", "match[" + (index + 1)
          + "]");
    }

    /** An answer of {@code source} ({@code the config webhook's answer}). */
    static Where answer(String source) {
      return new Where(source, Map.of(), "", "");
    }

    /** {@code FILE:LINE: } of {@code key} ("" for the block itself). */
    String place(String key) {
      return source + (lines.isEmpty() ? "" : ":" + line(key)) + ": ";
    }

    /** What a message calls {@code key}: {@code memory}, {@code match[2].memory}. */
    String name(String key) {
      return shown.isEmpty() ? key : key.isEmpty() ? shown : shown + "." + key;
    }

    /** {@code FILE:LINE: key 'NAME': }, naming the deepest part of {@code key} the file has. */
    String at(String key) {
      String known = deepest(key);
      return place(known) + "key '" + name(known) + "': ";
    }

    /** Whether these are a match block's keys. */
    boolean inBlock() {
      return !path.isEmpty();
    }

    /** The line of {@code key}, else of the deepest key above it; a block's first line. */
    int line(String key) {
      String full = path.isEmpty() ? key : key.isEmpty() ? path : path + "." + key;
      Integer line = lines.get(path.isEmpty() ? deepest(key) : path + "." + deepest(key));
      if (line != null) {
        return line;
      }
      // a block's own line: the first of its keys
      return lines.entrySet().stream().filter(e -> e.getKey().startsWith(full + ".")
          || e.getKey().startsWith(full + "[")).map(Map.Entry::getValue)
          .min(Integer::compare).orElse(lines.getOrDefault("match", 0));
    }

    /** {@code key}, or the deepest key above it ({@code .K} or {@code [N]} cut) with a line. */
    private String deepest(String key) {
      if (lines.isEmpty()) {
        return key;
      }
      String k = key;
      while (!k.isEmpty() && !lines.containsKey(path.isEmpty() ? k : path + "." + k)) {
        int cut = Math.max(k.lastIndexOf('.'), k.lastIndexOf('['));
        k = cut < 0 ? "" : k.substring(0, cut);
      }
      return k.isEmpty() ? key : k;
    }
  }

  /** The {@code docker:} map {@code docker} (may be null), checked against the Engine API. */
  private static DockerSections docker(JsonNode docker, Where where) {
    if (docker == null || docker.isNull()) {
      return DockerSections.NONE;
    }
    if (!docker.isObject()) {
      throw new Invalid(where.at("docker") + "expected a map of config, host, network and "
          + "platform, got " + kind(docker), null);
    }
    for (Iterator<String> it = docker.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!DOCKER_KEYS.contains(k)) {
        throw new Invalid(where.place("docker." + k) + "unknown key '"
            + where.name("docker." + k) + "'" + nearest(k, DOCKER_KEYS).map(n ->
                "; did you mean docker." + n + "?").orElse(" (docker: takes config, host, "
                + "network and platform)"), null);
      }
    }
    Map<String, Object> config = object(docker, "config", where);
    Map<String, Object> host = object(docker, "host", where);
    Map<String, Object> network = object(docker, "network", where);
    String platform = null;
    JsonNode pl = docker.get("platform");
    if (pl != null && !pl.isNull()) {
      if (!pl.isTextual()) {
        throw new Invalid(where.at("docker.platform") + "expected a string such as "
            + "linux/amd64, got " + kind(pl), null);
      }
      platform = pl.asText();
    }
    try {
      ContainerSpec.Builder check = ContainerSpec.of("check").passthrough(config, host,
          network);
      if (platform != null) {
        check.platform(platform);
      }
    } catch (IllegalArgumentException ex) {
      throw new Invalid(dockerError(ex.getMessage(), where), ex);
    }
    return new DockerSections(config, host, network, platform);
  }

  /** Block {@code index} (from 0) of {@code match:}, checked. */
  private static MatchBlock matchBlock(JsonNode block, int index, Path file,
      Map<String, Integer> lines, CommandSpec command) {
    Where where = Where.block(file, lines, index);
    if (!block.isObject()) {
      throw new Invalid(where.place("") + "key '" + where.name("")
          + "': expected a map of criteria (user, principal, key-id) and container keys, got "
          + kind(block), null);
    }
    PatternList[] criteria = new PatternList[CRITERIA.size()];
    ObjectNode keys = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : block.properties()) {
      int c = CRITERIA.indexOf(e.getKey());
      if (c >= 0) {
        criteria[c] = criterion(e.getValue(), where.at(e.getKey()));
      } else {
        keys.set(e.getKey(), e.getValue());
      }
    }
    if (criteria[0] == null && criteria[1] == null && criteria[2] == null) {
      throw new Invalid(where.place("") + "key '" + where.name("")
          + "': no criterion: give user, principal or key-id (user: \"*\" for every login)",
          null);
    }
    return new MatchBlock(index + 1, where.line(""), criteria[0], criteria[1], criteria[2],
        containerKeys(keys, command, where));
  }

  /** A criterion: a pattern list, as one string or a list of them. */
  private static PatternList criterion(JsonNode value, String at) {
    String text;
    if (value.isArray()) {
      List<String> items = new ArrayList<>();
      for (JsonNode item : value) {
        if (item.isContainerNode() || item.isNull()) {
          throw new Invalid(at + "expected a pattern list such as \"alice,bob\" or a list of "
              + "patterns, got " + kind(value), null);
        }
        items.add(item.asText());
      }
      text = String.join(",", items);
    } else if (value.isContainerNode() || value.isNull()) {
      throw new Invalid(at + "expected a pattern list such as \"alice,bob\", \"ci-*\" or "
          + "\"*,!root\", got " + kind(value), null);
    } else {
      text = value.asText();
    }
    try {
      return PatternList.parse(text);
    } catch (IllegalArgumentException e) {
      throw new Invalid(at + e.getMessage(), e);
    }
  }

  /**
   * The container keys of {@code map} (a match block without its criteria, a webhook's
   * answer), checked as the file's top-level keys are: each a {@link #CONTAINER_KEYS} key
   * with a value of its option's type; a null value is left out.
   *
   * @throws Invalid an unknown key, a key that is no container key, a bad value; named by
   *     {@code where}
   */
  static ContainerKeys containerKeys(JsonNode map, CommandSpec command, Where where) {
    Map<String, OptionSpec> options = keys(command);
    Map<String, List<String>> arguments = new LinkedHashMap<>();
    Map<String, Boolean> flags = new LinkedHashMap<>();
    DockerSections docker = DockerSections.NONE;
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      String key = e.getKey();
      if (!CONTAINER_KEYS.contains(key)) {
        List<String> known = new ArrayList<>(CONTAINER_KEYS);
        known.addAll(where.inBlock() ? CRITERIA : List.of());
        throw new Invalid(where.place(key) + (options.containsKey(key)
            ? "key '" + where.name(key) + "' is not a container key: only these may differ "
                + "per login: " + String.join(", ", known)
            : "unknown key '" + where.name(key) + "'" + nearest(key, known).map(k ->
                "; did you mean " + k + "?").orElse(" (the container keys are "
                + String.join(", ", known) + ")")), null);
      }
      if (key.equals("docker")) {
        docker = docker(e.getValue(), where);
        continue;
      }
      OptionSpec o = options.get(key);
      if (e.getValue().isNull()) {
        continue;
      }
      if ((o.type() == boolean.class || o.type() == Boolean.class) && !o.isMultiValue()) {
        if (!e.getValue().isBoolean()) {
          throw new Invalid(where.at(key) + "expected true or false, got " + kind(e.getValue()),
              null);
        }
        flags.put(key, e.getValue().booleanValue());
        continue;
      }
      List<String> values = values(o, e.getValue(), where.at(key));
      if (values != null) {
        arguments.put(key, values);
      }
    }
    return new ContainerKeys(arguments, flags, docker);
  }

  /** The file this was read from. */
  Path file() {
    return file;
  }

  /** {@code FILE:LINE} of a key ({@code max-connections}, {@code docker.host}), or the file. */
  String where(String key) {
    Integer line = lines.get(key);
    return file + (line == null ? "" : ":" + line);
  }

  /** The file's keys that set options, in the file's order. */
  Set<String> keys() {
    return arguments.keySet();
  }

  /** The {@code docker:} section; {@link DockerSections#NONE} if none. */
  DockerSections docker() {
    return docker;
  }

  /** The {@code match:} blocks, in the file's order; empty if none. */
  List<MatchBlock> matches() {
    return matches;
  }

  /** Where {@code block}'s keys are, for error messages. */
  Where where(MatchBlock block) {
    return Where.block(file, lines, block.number() - 1);
  }

  /**
   * Sets every option of {@code command} (already parsed from the command line) that the
   * command line did not give: from this file if it has the key, else to its default. picocli
   * converts the file's values as it converts arguments.
   *
   * @throws Invalid a value picocli cannot convert, named by file, line and key
   */
  void applyTo(CommandSpec command) {
    CommandLine.ParseResult given = command.commandLine().getParseResult();
    List<String> args = new ArrayList<>();
    arguments.forEach((key, values) -> {
      OptionSpec o = command.findOption("--" + key);
      if (given == null || !given.hasMatchedOption(o)) {
        for (String v : values) {
          args.add(v == null ? o.longestName() : o.longestName() + "=" + v);
        }
      }
    });
    CommandLine fresh = new CommandLine(command.userObject().getClass(),
        CommandLine.defaultFactory());
    try {
      fresh.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      String key = e.getArgSpec() instanceof OptionSpec o ? o.longestName().substring(2) : null;
      throw new Invalid((key == null ? file.toString() : where(key) + ": key '" + key + "'")
          + ": " + e.getMessage(), e);
    }
    for (OptionSpec o : command.options()) {
      if (!NOT_KEYS.contains(o.longestName()) && (given == null || !given.hasMatchedOption(o))) {
        o.setValue(fresh.getCommandSpec().findOption(o.longestName()).getValue());
      }
    }
  }

  /**
   * The configuration in force: every key with the value of its option in {@code command}
   * (after {@link #applyTo}), then the {@code docker:} section of {@code file} (may be null).
   * A map for YAML: strings, numbers, booleans, lists and maps; null for an unset option.
   */
  static Map<String, Object> effective(CommandSpec command, GatewayConfigFile file) {
    Map<String, Object> out = new LinkedHashMap<>();
    keys(command).forEach((key, o) -> {
      Object v = o.getValue();
      if (v instanceof Collection<?> c && keyValues(o)) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Object item : c) {
          String[] kv = String.valueOf(item).split("=", 2);
          m.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        out.put(key, m);
      } else if (v instanceof Collection<?> c) {
        List<Object> l = new ArrayList<>();
        c.forEach(item -> l.add(scalar(item)));
        out.put(key, l);
      } else {
        out.put(key, scalar(v));
      }
    });
    if (file != null && !file.docker.isEmpty()) {
      Map<String, Object> docker = new LinkedHashMap<>();
      docker.put("config", file.docker.config());
      docker.put("host", file.docker.host());
      docker.put("network", file.docker.network());
      docker.put("platform", file.docker.platform());
      out.put("docker", docker);
    }
    if (file != null && !file.matchTree.isEmpty()) {
      out.put("match", file.matchTree);
    }
    return out;
  }

  /**
   * {@code config} as YAML, with secrets as {@code ***}: the values of {@code env} and of
   * {@code docker.config.Env} entries (after {@code =}), at the top level and in match blocks,
   * the value of every key whose name holds password, secret or token, and the user info of
   * URLs.
   */
  static String yaml(Map<String, Object> config) {
    ObjectMapper yaml = new YAMLMapper().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES);
    JsonNode tree = yaml.valueToTree(config);
    redactEnv(tree);
    for (JsonNode block : tree.path("match")) {
      redactEnv(block);
    }
    redact(tree);
    try {
      return yaml.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The values of {@code env} and {@code docker.config.Env} in {@code map}. */
  private static void redactEnv(JsonNode map) {
    for (JsonNode env : List.of(map.path("env"), map.path("docker").path("config").path("Env"))) {
      if (env instanceof ArrayNode a) {
        for (int i = 0; i < a.size(); i++) {
          String s = a.get(i).asText();
          int eq = s.indexOf('=');
          if (eq >= 0) {
            a.set(i, TextNode.valueOf(s.substring(0, eq + 1) + "***"));
          }
        }
      } else if (env instanceof ObjectNode o) {
        o.fieldNames().forEachRemaining(name -> o.set(name, TextNode.valueOf("***")));
      }
    }
  }

  private static void redact(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        // a flag is no secret (password-auth: true), and *** would not read back as one
        if (SECRET_KEY.matcher(e.getKey()).matches() && !e.getValue().isNull()
            && !e.getValue().isBoolean()) {
          e.setValue(TextNode.valueOf("***"));
        } else if (e.getValue().isTextual()) {
          e.setValue(TextNode.valueOf(redactUrl(e.getValue().asText())));
        } else {
          redact(e.getValue());
        }
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          a.set(i, TextNode.valueOf(redactUrl(a.get(i).asText())));
        } else {
          redact(a.get(i));
        }
      }
    }
  }

  private static String redactUrl(String s) {
    return URL_QUERY.matcher(URL_USERINFO.matcher(s).replaceAll("$1***@")).replaceAll("$1?***");
  }

  /** The keys of {@code command}: its long options without dashes, but {@link #NOT_KEYS}. */
  private static Map<String, OptionSpec> keys(CommandSpec command) {
    Map<String, OptionSpec> keys = new LinkedHashMap<>();
    for (OptionSpec o : command.options()) {
      String name = o.longestName();
      if (name.startsWith("--") && !NOT_KEYS.contains(name)) {
        keys.put(name.substring(2), o);
      }
    }
    return keys;
  }

  /** A repeatable option whose values are NAME=VALUE ({@code --subsystem}): a map in YAML. */
  static boolean keyValues(OptionSpec o) {
    return o.isMultiValue() && o.paramLabel().contains("=");
  }

  /**
   * The arguments for option {@code o} from the YAML {@code value}: one string per occurrence,
   * null for a flag; null for no occurrence at all.
   */
  private static List<String> values(OptionSpec o, JsonNode value, String at) {
    if (value.isNull()) {
      return null;
    }
    if (o.isMultiValue()) {
      List<String> out = new ArrayList<>();
      if (value.isObject() && keyValues(o)) {
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.add(e.getKey() + "=" + scalarText(o, e.getValue(), at));
        }
      } else if (value.isArray()) {
        for (JsonNode item : value) {
          out.add(scalarText(o, item, at));
        }
      } else {
        out.add(scalarText(o, value, at));
      }
      return out;
    }
    Class<?> type = o.type();
    if (type == boolean.class || type == Boolean.class) {
      if (!value.isBoolean()) {
        throw new Invalid(at + "expected true or false, got " + kind(value), null);
      }
      if (!value.booleanValue()) {
        // a flag is off unless given; an option on by default is negated the picocli way
        return "true".equals(o.defaultValue()) && o.negatable() ? List.of(negated(o))
            : o.arity().max() == 0 ? null : List.of("false");
      }
      return o.arity().max() == 0 ? java.util.Collections.singletonList(null) : List.of("true");
    }
    return List.of(scalarText(o, value, at));
  }

  private static String negated(OptionSpec o) {
    return "--no-" + o.longestName().substring(2);
  }

  /** One value of {@code o}, checked against its type and its kind (duration, size). */
  private static String scalarText(OptionSpec o, JsonNode value, String at) {
    if (value.isContainerNode()) {
      throw new Invalid(at + "expected " + (o.isMultiValue() ? "a list of single values"
          : "a single value") + ", got " + kind(value), null);
    }
    Class<?> type = o.isMultiValue() ? o.auxiliaryTypes()[0] : o.type();
    String text = value.asText();
    if (type == int.class || type == Integer.class || type == long.class
        || type == Long.class || type == short.class || type == Short.class) {
      if (!value.isIntegralNumber() && !(value.isTextual() && WHOLE.matcher(text).matches())) {
        throw new Invalid(at + "expected a whole number, got " + kind(value), null);
      }
    } else if (type == double.class || type == Double.class || type == float.class
        || type == Float.class) {
      if (!value.isNumber()) {
        throw new Invalid(at + "expected a number such as 0.5 or 2, got " + kind(value), null);
      }
    } else if (type == boolean.class || type == Boolean.class) {
      if (!value.isBoolean()) {
        throw new Invalid(at + "expected true or false, got " + kind(value), null);
      }
    }
    String label = o.paramLabel();
    if (label.equals("DURATION") && !GatewayCommand.DURATION.matcher(text.trim()).matches()) {
      throw new Invalid(at + "expected a duration such as 10s, 2m, 1h or 500ms (a bare number "
          + "is seconds), got " + kind(value), null);
    }
    if (label.equals("BYTES") && !GatewayCommand.BYTES.matcher(text.trim()).matches()) {
      throw new Invalid(at + "expected a size such as 536870912, 512m or 2g, got "
          + kind(value), null);
    }
    return text;
  }

  private static Object scalar(Object v) {
    if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) {
      return v;
    }
    return v.toString();
  }

  private static String kind(JsonNode v) {
    if (v.isArray()) {
      return "a list";
    }
    if (v.isObject()) {
      return "a map";
    }
    if (v.isNull()) {
      return "nothing";
    }
    return "'" + v.asText() + "'";
  }

  private static Map<String, Object> object(JsonNode docker, String key, Where where) {
    JsonNode v = docker.get(key);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new Invalid(where.at("docker." + key) + "expected a map of the Engine API's "
          + apiName(key) + " fields, got " + kind(v), null);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = new ObjectMapper().convertValue(v, LinkedHashMap.class);
    return java.util.Collections.unmodifiableMap(m);
  }

  private static String apiName(String key) {
    return switch (key) {
      case "config" -> "ContainerConfig";
      case "host" -> "HostConfig";
      default -> "NetworkingConfig";
    };
  }

  /**
   * docker-client's {@code HostConfig.Ulimits[0].Soft: …} as {@code FILE:LINE: key
   * 'docker.host.Ulimits[0].Soft': …}, with the line of the deepest key the file has.
   */
  static String dockerError(String message, Where where) {
    String path = message.split("[: ]", 2)[0];
    String[] parts = path.split("\\.", 2);
    String section = switch (parts[0]) {
      case "Config" -> "docker.config";
      case "HostConfig" -> "docker.host";
      case "NetworkingConfig" -> "docker.network";
      default -> "docker";
    };
    String key = section.equals("docker") || parts.length < 2 ? section
        : section + "." + parts[1];
    return where.at(key) + message;
  }

  /** The known key nearest to {@code key} (edit distance at most a third of it, at least 2). */
  static Optional<String> nearest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key.toLowerCase(Locale.ROOT), k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 3) ? Optional.ofNullable(best)
        : Optional.empty();
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * The YAML value at the parser's current token as a tree, recording the line of every map
   * key under its dotted path ({@code docker.host.Ulimits}); a key given twice is an error.
   */
  private static JsonNode tree(JsonParser p, Path file, String path,
      Map<String, Integer> lines) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        String child = path.isEmpty() ? name : path + "." + name;
        int line = p.currentTokenLocation().getLineNr();
        if (o.has(name)) {
          throw new Invalid(file + ":" + line + ": key '" + child + "' is given twice (first on "
              + "line " + lines.get(child) + ")", null);
        }
        lines.putIfAbsent(child, line);
        p.nextToken();
        o.set(name, tree(p, file, child, lines));
      }
      return o;
    }
    if (t == JsonToken.START_ARRAY) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        a.add(tree(p, file, path + "[" + i++ + "]", lines));
      }
      return a;
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (t) {
      case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          ? f.numberNode(p.getBigIntegerValue()) : f.numberNode(p.getLongValue());
      case VALUE_NUMBER_FLOAT -> f.numberNode(p.getDoubleValue());
      case VALUE_TRUE -> f.booleanNode(true);
      case VALUE_FALSE -> f.booleanNode(false);
      case VALUE_NULL -> f.nullNode();
      default -> f.textNode(p.getText());
    };
  }
}
