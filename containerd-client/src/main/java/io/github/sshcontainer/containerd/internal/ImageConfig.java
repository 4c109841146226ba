package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.RunSpec;
import io.github.sshcontainer.containerd.api.images.GetImageRequest;
import io.github.sshcontainer.containerd.api.images.Image;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An image's config (the OCI image config JSON): its layers' diff IDs and the chain IDs that
 * name their unpacked snapshots, as the OCI image spec defines them, and the process defaults a
 * task takes from it (entrypoint and cmd, environment, working directory, user) unless its
 * {@link RunSpec} says otherwise.
 */
final class ImageConfig {
  static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final JsonObject config;

  private ImageConfig(JsonObject config) {
    this.config = config;
  }

  static ImageConfig parse(byte[] json) {
    return new ImageConfig(JsonParser.parseString(new String(json, StandardCharsets.UTF_8))
        .getAsJsonObject());
  }

  /** The config of {@code image} in the client's namespace, through its manifest. */
  static ImageConfig of(Rpc client, String image) {
    Image img = client.call("looking up image " + image, () -> client.images().get(
        GetImageRequest.newBuilder().setName(image).build()).getImage());
    JsonObject manifest = JsonParser.parseString(new String(Blobs.read(client,
        img.getTarget().getDigest()), StandardCharsets.UTF_8)).getAsJsonObject();
    if (manifest.has("manifests")) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "image " + image
          + " points at an index; import it with this SDK so it points at one manifest");
    }
    String configDigest = manifest.getAsJsonObject("config").get("digest").getAsString();
    return parse(Blobs.read(client, configDigest));
  }

  /** The diff IDs of the layers, bottom first. */
  List<String> diffIds() {
    List<String> ids = new ArrayList<>();
    config.getAsJsonObject("rootfs").getAsJsonArray("diff_ids")
        .forEach(d -> ids.add(d.getAsString()));
    return ids;
  }

  /** The chain ID of the top layer: its snapshot's name once unpacked. */
  String topChain() {
    return chainId(diffIds());
  }

  /** The chain ID of layers with these diff IDs. */
  static String chainId(List<String> diffIds) {
    String chain = "";
    for (String d : diffIds) {
      chain = nextChain(chain, d);
    }
    return chain;
  }

  /** The chain ID of a layer with {@code diffId} on the chain {@code parent} ("" for none). */
  static String nextChain(String parent, String diffId) {
    return parent.isEmpty() ? diffId
        : Blobs.sha256((parent + " " + diffId).getBytes(StandardCharsets.UTF_8));
  }

  /** The argv: the spec's, or the image's entrypoint and cmd. */
  List<String> args(RunSpec spec) {
    if (spec.args().isPresent()) {
      return spec.args().get();
    }
    List<String> args = new ArrayList<>(strings("Entrypoint"));
    args.addAll(strings("Cmd"));
    if (args.isEmpty()) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the image has no "
          + "entrypoint or cmd: give the command with RunSpec.args(...)");
    }
    return args;
  }

  /** The image's environment (with a default PATH) and the spec's on top. */
  List<String> env(RunSpec spec) {
    List<String> env = new ArrayList<>(strings("Env"));
    if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
      env.add(0, DEFAULT_PATH);
    }
    spec.env().forEach((k, v) -> {
      env.removeIf(e -> e.startsWith(k + "="));
      env.add(k + "=" + v);
    });
    return env;
  }

  /** The working directory: the spec's, the image's, or {@code /}. */
  String cwd(RunSpec spec) {
    if (spec.workingDir().isPresent()) {
      return spec.workingDir().get();
    }
    String wd = text("WorkingDir");
    return wd.isEmpty() ? "/" : wd;
  }

  int uid(RunSpec spec) {
    return Integer.parseInt(user(spec).split(":")[0]);
  }

  int gid(RunSpec spec) {
    String[] p = user(spec).split(":");
    return p.length > 1 ? Integer.parseInt(p[1]) : 0;
  }

  private String user(RunSpec spec) {
    if (spec.user().isPresent()) {
      return spec.user().get();
    }
    String u = text("User");
    if (u.isEmpty()) {
      return "0:0";
    }
    if (!u.matches("\\d+(:\\d+)?")) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the image's user '" + u
          + "' is a name; give a numeric user with RunSpec.user(\"uid:gid\")");
    }
    return u;
  }

  /** The image's run settings ("config" in the image config), empty when it has none. */
  private JsonObject runConfig() {
    return config.has("config") && config.get("config").isJsonObject()
        ? config.getAsJsonObject("config") : new JsonObject();
  }

  private List<String> strings(String key) {
    JsonObject c = runConfig();
    List<String> out = new ArrayList<>();
    if (c.has(key) && c.get(key).isJsonArray()) {
      JsonArray values = c.getAsJsonArray(key);
      values.forEach(e -> out.add(e.getAsString()));
    }
    return out;
  }

  private String text(String key) {
    JsonObject c = runConfig();
    return c.has(key) && !c.get(key).isJsonNull() ? c.get(key).getAsString() : "";
  }
}
