package io.github.sshcontainer.docker.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * The Docker Engine API's own container settings (ContainerConfig, HostConfig,
 * NetworkingConfig) passed through as JSON objects, as ContainerSSH's Docker backend passes
 * them. docker-java's create command and {@link HostConfig} carry the Engine API's field names
 * as Jackson properties, so Jackson reads the objects straight into them: an unknown field or a
 * value of the wrong type fails here, naming the field, instead of at the daemon.
 */
public final class EngineSettings {
  // FAIL_ON_UNKNOWN_PROPERTIES is Jackson's default; said here because the check relies on it
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private EngineSettings() {}

  /** A private deep copy of {@code map} as a JSON object, checked against {@code object}. */
  public static ObjectNode copy(String object, Map<String, ?> map) {
    Objects.requireNonNull(map, object);
    ObjectNode node;
    try {
      node = JSON.valueToTree(map);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(object + ": not a JSON object: " + e.getMessage(), e);
    }
    return node == null ? JSON.createObjectNode() : node;
  }

  /**
   * Checks that the three objects read into docker-java's models: field names and value types.
   *
   * @throws IllegalArgumentException naming the object and the field path, e.g. {@code
   *     HostConfig.Ulimits[0].Soft}
   */
  public static void check(ObjectNode config, ObjectNode host, ObjectNode network) {
    for (String reserved : new String[] {"HostConfig", "NetworkingConfig"}) {
      if (config.has(reserved)) {
        throw new IllegalArgumentException("Config." + reserved + ": give the "
            + reserved + " object on its own (the host or network settings), not inside Config");
      }
    }
    apply(new CreateContainerCmdImpl(c -> null, null, "check"), config, host, network);
  }

  /**
   * Reads the three objects into {@code cmd} (a command made by docker-java's {@code
   * createContainerCmd}): the Config fields onto the command, {@code host} into its
   * HostConfig, {@code network} into its NetworkingConfig.
   */
  public static void apply(CreateContainerCmd cmd, ObjectNode config, ObjectNode host,
      ObjectNode network) {
    update(cmd, "Config", config);
    if (!host.isEmpty()) {
      HostConfig h = cmd.getHostConfig() != null ? cmd.getHostConfig()
          : HostConfig.newHostConfig();
      update(h, "HostConfig", host);
      cmd.withHostConfig(h);
    }
    if (!network.isEmpty()) {
      ObjectNode wrapper = JSON.createObjectNode();
      wrapper.set("NetworkingConfig", network);
      update(cmd, "", wrapper);
    }
  }

  private static void update(Object target, String object, JsonNode json) {
    if (json.isEmpty()) {
      return;
    }
    try {
      JSON.readerForUpdating(target).readValue(json);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(path(object, e) + " is not a field of the Engine API's "
          + e.getReferringClass().getSimpleName() + " (the names are the API's, e.g. Ulimits, "
          + "ExtraHosts, Dns, Labels; see docs.docker.com/reference/api/engine)", e);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(path(object, e) + ": " + e.getOriginalMessage()
          .replaceAll("`", "'"), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(object + ": " + e.getMessage(), e);
    }
  }

  /** {@code HostConfig.Ulimits[0].Soft}, from Jackson's reference chain. */
  private static String path(String object, JsonMappingException e) {
    StringBuilder s = new StringBuilder(object);
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        s.append(s.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        s.append('[').append(r.getIndex()).append(']');
      }
    }
    return s.toString();
  }
}
