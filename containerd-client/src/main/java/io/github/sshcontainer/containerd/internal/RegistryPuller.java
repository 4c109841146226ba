package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.ContainerdException.Reason;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.PullOptions;
import io.github.sshcontainer.containerd.api.types.Descriptor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls an image from a registry (the OCI distribution / Docker Registry v2 protocol) into a
 * remote containerd 1.6, client-side, as containerd's Go client does: the manifest (from an
 * index or list, the platform's), the config and the layers are fetched here with the JDK's
 * HTTP client (token or basic authentication), streamed into the content store over the tunnel
 * under a lease with gc labels, unpacked into the snapshotter, and the image created or updated.
 */
public final class RegistryPuller {
  private static final Logger log = LoggerFactory.getLogger(RegistryPuller.class);
  private static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX,
      MediaTypes.DOCKER_LIST, MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST);
  private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final Rpc client;
  private final ImageStore store;
  private final HttpClient http;
  private final String username;
  private final String password;
  private final String source;
  private final PullOptions options;
  private String authorization;

  public RegistryPuller(Rpc client, PullOptions options, String username,
      String password, String source) {
    this.source = source;
    this.client = client;
    this.store = new ImageStore(client);
    this.options = options;
    this.username = username;
    this.password = password;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  public ImportedImage pull(String image, String remotePlatform) {
    ImageRef ref = ImageRef.parse(image);
    String platform = options.platform().orElse(remotePlatform);
    boolean plain = options.plainHttp().orElse(ref.registry().startsWith("localhost")
        || ref.registry().startsWith("127.") || ref.registry().startsWith("[::1]"));
    String base = (plain ? "http" : "https") + "://" + ref.registry() + "/v2/"
        + ref.repository();
    String lease = client.createLease("ssh-container-pull", Duration.ofHours(1));
    try {
      Fetched top = fetch(ref, base + "/manifests/" + ref.reference(), true);
      byte[] manifest = top.body;
      String manifestType = top.mediaType;
      JsonObject m = JsonParser.parseString(new String(manifest, StandardCharsets.UTF_8))
          .getAsJsonObject();
      if (m.has("manifests")) {
        String digest = pick(m, platform, ref);
        Fetched chosen = fetch(ref, base + "/manifests/" + digest, true);
        manifest = chosen.body;
        manifestType = chosen.mediaType;
        m = JsonParser.parseString(new String(manifest, StandardCharsets.UTF_8))
            .getAsJsonObject();
      }
      if (!m.has("config") || !m.has("layers")) {
        throw new ContainerdException(Reason.INVALID, ref.name() + " is a manifest of type "
            + manifestType + " without config and layers (schema 1 is not supported)");
      }
      JsonObject configDesc = m.getAsJsonObject("config");
      byte[] config = fetch(ref, base + "/blobs/" + configDesc.get("digest").getAsString(),
          false).body;
      check(configDesc.get("digest").getAsString(), Blobs.sha256(config), "config");
      Descriptor configD = Descriptor.newBuilder().setMediaType(MediaTypes.OCI_CONFIG)
          .setDigest(configDesc.get("digest").getAsString()).setSize(config.length).build();
      Blobs.writeBytes(client, lease, lease + "-config", config, Map.of());
      JsonArray layersJson = m.getAsJsonArray("layers");
      List<Descriptor> layers = new ArrayList<>();
      for (int i = 0; i < layersJson.size(); i++) {
        JsonObject l = layersJson.get(i).getAsJsonObject();
        String digest = l.get("digest").getAsString();
        String type = l.get("mediaType").getAsString();
        if (!type.endsWith("gzip") && !type.endsWith(".tar")) {
          throw new ContainerdException(Reason.INVALID, "layer " + digest + " of " + ref.name()
              + " is " + type + "; gzip and uncompressed tar layers are supported");
        }
        long size = l.get("size").getAsLong();
        int index = i;
        Blobs.Blob b;
        try (InputStream in = stream(ref, base + "/blobs/" + digest,
            done -> options.progress().accept(new PullOptions.Progress(digest, done, size,
                index + 1, layersJson.size())))) {
          b = Blobs.write(client, lease, lease + "-l-" + i, in, Map.of());
        }
        check(digest, b.digest(), "layer");
        layers.add(Descriptor.newBuilder().setMediaType(MediaTypes.layer(b.gzip()))
            .setDigest(digest).setSize(b.size()).build());
      }
      Map<String, String> labels = new LinkedHashMap<>(ImageStore.gcLabels(configD, layers));
      Blobs.Blob man = Blobs.writeBytes(client, lease, lease + "-manifest", manifest, labels);
      String chain = store.unpack(lease, config, layers, configD.getDigest());
      store.createOrUpdate(ref.name(), Descriptor.newBuilder().setMediaType(manifestType)
          .setDigest(man.digest()).setSize(man.size()).build());
      log.info("pulled {} ({}, {} layers) into namespace {}", ref.name(), man.digest(),
          layers.size(), client.namespace());
      return new ImportedImage(ref.name(), man.digest(), chain);
    } catch (IOException e) {
      throw new ContainerdException(Reason.FAILED, "pulling " + ref.name() + " failed: "
          + e.getMessage(), e);
    } finally {
      client.deleteLease(lease);
    }
  }

  private static void check(String expected, String actual, String what) {
    if (!expected.equals(actual)) {
      throw new ContainerdException(Reason.INVALID, "the registry sent a " + what + " with "
          + "digest " + actual + " for " + expected);
    }
  }

  /** The digest of the platform's manifest in an index or list. */
  private static String pick(JsonObject index, String platform, ImageRef ref) {
    String[] want = platform.split("/");
    List<String> offered = new ArrayList<>();
    for (JsonElement e : index.getAsJsonArray("manifests")) {
      JsonObject d = e.getAsJsonObject();
      JsonObject p = d.has("platform") ? d.getAsJsonObject("platform") : new JsonObject();
      String os = p.has("os") ? p.get("os").getAsString() : "";
      String arch = p.has("architecture") ? p.get("architecture").getAsString() : "";
      String variant = p.has("variant") ? p.get("variant").getAsString() : "";
      offered.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
      if (os.equals(want[0]) && arch.equals(want[1])
          && (want.length < 3 || variant.equals(want[2]))) {
        return d.get("digest").getAsString();
      }
    }
    throw new ContainerdException(Reason.NOT_FOUND, ref.name() + " has no manifest for "
        + platform + "; it offers " + offered + " (choose one with PullOptions.platform)");
  }

  private record Fetched(byte[] body, String mediaType) {}

  private Fetched fetch(ImageRef ref, String url, boolean manifest) throws IOException {
    HttpResponse<byte[]> r = send(ref, url, manifest, HttpResponse.BodyHandlers.ofByteArray());
    return new Fetched(r.body(), r.headers().firstValue("Content-Type")
        .orElse(MediaTypes.OCI_MANIFEST).split(";")[0].trim());
  }

  private InputStream stream(ImageRef ref, String url, Consumer<Long> progress)
      throws IOException {
    InputStream in = send(ref, url, false, HttpResponse.BodyHandlers.ofInputStream()).body();
    return new FilterInputStream(in) {
      private long done;
      private long reported;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          done += n;
          if (done - reported >= (1 << 20)) {
            reported = done;
            progress.accept(done);
          }
        } else if (n < 0 && reported != done) {
          reported = done;
          progress.accept(done);
        }
        return n;
      }
    };
  }

  /** GET with the authorization the registry asks for, fetched once per pull. */
  private <T> HttpResponse<T> send(ImageRef ref, String url, boolean manifest,
      HttpResponse.BodyHandler<T> body) throws IOException {
    try {
      for (int attempt = 0; ; attempt++) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url))
            .timeout(options.timeout()).GET();
        if (manifest) {
          req.header("Accept", ACCEPT);
        }
        if (authorization != null) {
          req.header("Authorization", authorization);
        }
        HttpResponse<T> r = http.send(req.build(), body);
        int status = r.statusCode();
        if (status == 200) {
          return r;
        }
        discard(r);
        if (status == 401 && attempt == 0) {
          authorization = authorize(ref, r.headers().firstValue("WWW-Authenticate").orElse(""));
          continue;
        }
        if (status == 401 || status == 403) {
          throw new ContainerdException(Reason.UNAUTHORIZED, "the registry " + ref.registry()
              + " refused " + (username == null ? "an anonymous pull of " : "user " + username
              + " (" + source + ") for ") + ref.repository() + " (HTTP " + status + "): "
              + (username == null ? "log in with `docker login " + ref.registry()
                  + "` or give credentials with PullOptions.basicAuth"
                  : "check the user name and password"));
        }
        if (status == 404) {
          throw new ContainerdException(Reason.NOT_FOUND, "the registry " + ref.registry()
              + " has no " + (manifest ? "manifest " : "blob ") + url.substring(url
              .lastIndexOf('/') + 1) + " in " + ref.repository() + " (HTTP 404): is the name"
              + " or tag right?");
        }
        throw new ContainerdException(Reason.FAILED, "GET " + url + " answered HTTP " + status);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ContainerdException(Reason.FAILED, "interrupted pulling " + ref.name(), e);
    } catch (ConnectException e) {
      throw new ContainerdException(Reason.UNAVAILABLE, "cannot reach the registry "
          + ref.registry() + " from this machine: " + e, e);
    } catch (SSLException e) {
      throw new ContainerdException(Reason.FAILED, "TLS with the registry " + ref.registry()
          + " failed (" + e.getMessage() + "); a registry on plain HTTP needs "
          + "PullOptions.plainHttp(true)", e);
    }
  }

  private static void discard(HttpResponse<?> r) {
    if (r.body() instanceof InputStream in) {
      try {
        in.close();
      } catch (IOException ignored) {
        // nothing to keep
      }
    }
  }

  /** The Authorization header for a 401's challenge: Basic, or a Bearer token from the realm. */
  private String authorize(ImageRef ref, String challenge)
      throws IOException, InterruptedException {
    String basic = username == null ? null : "Basic " + Base64.getEncoder().encodeToString(
        (username + ":" + password).getBytes(StandardCharsets.UTF_8));
    if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      if (basic == null) {
        throw new ContainerdException(Reason.UNAUTHORIZED, "the registry " + ref.registry()
            + " needs credentials for " + ref.repository() + ": log in with `docker login "
            + ref.registry() + "` or give them with PullOptions.basicAuth");
      }
      return basic;
    }
    if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      throw new ContainerdException(Reason.UNAUTHORIZED, "the registry " + ref.registry()
          + " asks for an authentication this client does not speak: " + challenge);
    }
    Map<String, String> p = new LinkedHashMap<>();
    Matcher mm = PARAM.matcher(challenge);
    while (mm.find()) {
      p.put(mm.group(1), mm.group(2));
    }
    String scope = p.getOrDefault("scope", "repository:" + ref.repository() + ":pull");
    String url = p.get("realm") + "?service=" + URLEncoder.encode(p.getOrDefault("service", ""),
        StandardCharsets.UTF_8) + "&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8);
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60)).GET();
    if (basic != null) {
      req.header("Authorization", basic);
    }
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new ContainerdException(Reason.UNAUTHORIZED, "the registry's token service "
          + p.get("realm") + " refused " + (username == null ? "an anonymous token"
          : "user " + username) + " (HTTP " + r.statusCode() + ")");
    }
    JsonObject t = JsonParser.parseString(r.body()).getAsJsonObject();
    String token = t.has("token") ? t.get("token").getAsString()
        : t.get("access_token").getAsString();
    return "Bearer " + token;
  }
}
