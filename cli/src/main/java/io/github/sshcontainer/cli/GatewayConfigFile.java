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
 * command is a key at once.
 *
 * <p>{@link #read} checks everything it can without the network: keys, value types, durations,
 * sizes and the Docker settings (against docker-java's models). {@link #applyTo} then sets every
 * option the command line did not give from the file, else from its default, with picocli's own
 * conversions: so it may be called again with a re-read file (a reload). {@link #effective}
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
  private static final Pattern WHOLE = Pattern.compile("-?\\d+");
  private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|token).*");
  private static final Pattern URL_USERINFO = Pattern.compile("([a-zA-Z][\\w+.-]*://)[^/@\\s]+@");

  private final Path file;
  private final Map<String, Integer> lines;
  private final Map<String, List<String>> arguments;
  private final Map<String, Object> dockerConfig;
  private final Map<String, Object> dockerHost;
  private final Map<String, Object> dockerNetwork;
  private final String platform;

  private GatewayConfigFile(Path file, Map<String, Integer> lines,
      Map<String, List<String>> arguments, Map<String, Object> dockerConfig,
      Map<String, Object> dockerHost, Map<String, Object> dockerNetwork, String platform) {
    this.file = file;
    this.lines = lines;
    this.arguments = arguments;
    this.dockerConfig = dockerConfig;
    this.dockerHost = dockerHost;
    this.dockerNetwork = dockerNetwork;
    this.platform = platform;
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
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      String at = file + ":" + lines.get(key) + ": key '" + key + "': ";
      if (key.equals("docker")) {
        docker = e.getValue();
        continue;
      }
      OptionSpec o = options.get(key);
      if (o == null) {
        List<String> known = new ArrayList<>(options.keySet());
        known.add("docker");
        throw new Invalid(file + ":" + lines.get(key) + ": unknown key '" + key + "'"
            + nearest(key, known).map(k -> "; did you mean " + k + "?").orElse(
                " (the keys are the long options of ssh-container gateway without --)"), null);
      }
      List<String> values = values(o, e.getValue(), at);
      if (values != null) {
        arguments.put(key, values);
      }
    }
    Map<String, Object> config = Map.of();
    Map<String, Object> host = Map.of();
    Map<String, Object> network = Map.of();
    String platform = null;
    if (docker != null && !docker.isNull()) {
      String at = file + ":" + lines.get("docker") + ": key 'docker': ";
      if (!docker.isObject()) {
        throw new Invalid(at + "expected a map of config, host, network and platform, got "
            + kind(docker), null);
      }
      for (Iterator<String> it = docker.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!DOCKER_KEYS.contains(k)) {
          throw new Invalid(file + ":" + lines.get("docker." + k) + ": unknown key 'docker." + k
              + "'" + nearest(k, DOCKER_KEYS).map(n -> "; did you mean docker." + n + "?")
              .orElse(" (docker: takes config, host, network and platform)"), null);
        }
      }
      config = object(docker, "config", file, lines);
      host = object(docker, "host", file, lines);
      network = object(docker, "network", file, lines);
      JsonNode pl = docker.get("platform");
      if (pl != null && !pl.isNull()) {
        String pat = file + ":" + lines.get("docker.platform") + ": key 'docker.platform': ";
        if (!pl.isTextual()) {
          throw new Invalid(pat + "expected a string such as linux/amd64, got " + kind(pl), null);
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
        throw new Invalid(dockerError(ex.getMessage(), file, lines), ex);
      }
    }
    return new GatewayConfigFile(file, Map.copyOf(lines), arguments, config, host, network,
        platform);
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

  /** {@code docker.config}: a ContainerConfig of the Engine API; empty if none. */
  Map<String, Object> dockerConfig() {
    return dockerConfig;
  }

  /** {@code docker.host}: a HostConfig of the Engine API; empty if none. */
  Map<String, Object> dockerHost() {
    return dockerHost;
  }

  /** {@code docker.network}: a NetworkingConfig of the Engine API; empty if none. */
  Map<String, Object> dockerNetwork() {
    return dockerNetwork;
  }

  /** {@code docker.platform}, e.g. {@code linux/amd64}. */
  Optional<String> platform() {
    return Optional.ofNullable(platform);
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
    if (file != null && !(file.dockerConfig.isEmpty() && file.dockerHost.isEmpty()
        && file.dockerNetwork.isEmpty() && file.platform == null)) {
      Map<String, Object> docker = new LinkedHashMap<>();
      docker.put("config", file.dockerConfig);
      docker.put("host", file.dockerHost);
      docker.put("network", file.dockerNetwork);
      docker.put("platform", file.platform);
      out.put("docker", docker);
    }
    return out;
  }

  /**
   * {@code config} as YAML, with secrets as {@code ***}: the values of {@code docker.config.Env}
   * entries (after {@code =}), the value of every key whose name holds password, secret or
   * token, and the user info of URLs.
   */
  static String yaml(Map<String, Object> config) {
    ObjectMapper yaml = new YAMLMapper().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES);
    JsonNode tree = yaml.valueToTree(config);
    JsonNode env = tree.path("docker").path("config").path("Env");
    if (env instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String s = a.get(i).asText();
        int eq = s.indexOf('=');
        if (eq >= 0) {
          a.set(i, TextNode.valueOf(s.substring(0, eq + 1) + "***"));
        }
      }
    }
    redact(tree);
    try {
      return yaml.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
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
    return URL_USERINFO.matcher(s).replaceAll("$1***@");
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
  private static boolean keyValues(OptionSpec o) {
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

  private static Map<String, Object> object(JsonNode docker, String key, Path file,
      Map<String, Integer> lines) {
    JsonNode v = docker.get(key);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new Invalid(file + ":" + lines.get("docker." + key) + ": key 'docker." + key
          + "': expected a map of the Engine API's " + apiName(key) + " fields, got " + kind(v),
          null);
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
   * 'docker.host.Ulimits': …}, with the line of the deepest key the file has.
   */
  private static String dockerError(String message, Path file, Map<String, Integer> lines) {
    String path = message.split("[: ]", 2)[0];
    String[] parts = path.split("\\.");
    String section = switch (parts[0]) {
      case "Config" -> "docker.config";
      case "HostConfig" -> "docker.host";
      case "NetworkingConfig" -> "docker.network";
      default -> "docker";
    };
    String key = section;
    String best = lines.containsKey(section) ? section : "docker";
    for (int i = 1; i < parts.length; i++) {
      key = key + "." + parts[i];
      if (lines.containsKey(key)) {
        best = key;
      }
    }
    return file + ":" + lines.get(best) + ": key '" + best + "': " + message;
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
