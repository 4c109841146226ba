package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.api.diff.ApplyRequest;
import io.github.sshcontainer.containerd.api.images.CreateImageRequest;
import io.github.sshcontainer.containerd.api.images.Image;
import io.github.sshcontainer.containerd.api.images.UpdateImageRequest;
import io.github.sshcontainer.containerd.api.snapshots.CommitSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.PrepareSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.RemoveSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.StatSnapshotRequest;
import io.github.sshcontainer.containerd.api.types.Descriptor;
import io.github.sshcontainer.containerd.api.types.Mount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports a {@code docker save} archive (manifest.json) or an OCI image layout (index.json) as
 * containerd 1.6 can take it, without the Transfer service: every blob streamed into the content
 * store under a lease, an OCI manifest written for docker archives, GC labels tying manifest to
 * config and layers and config to the unpacked snapshot, images created, and each layer applied
 * onto a snapshot named by its chain ID. The lease goes at the end, success or not: what the
 * images do not reference is left to containerd's garbage collector.
 */
public final class ImageImporter {
  private static final Logger log = LoggerFactory.getLogger(ImageImporter.class);
  public static final String SNAPSHOTTER = "overlayfs";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  static final String DOCKER_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  private static final int MAX_JSON = 8 << 20;

  private final Rpc client;

  public ImageImporter(Rpc client) {
    this.client = client;
  }

  private record Entry(String path, Blobs.Blob blob, byte[] bytes) {}

  public List<ImportedImage> importArchive(InputStream archive) {
    String lease = client.createLease("ssh-container-import", java.time.Duration.ofHours(1));
    try {
      Map<String, Entry> entries = readArchive(archive, lease);
      if (entries.containsKey("manifest.json")) {
        return importDocker(entries, lease);
      }
      if (entries.containsKey("index.json")) {
        return importOci(entries, lease);
      }
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the archive has "
          + "neither manifest.json (docker save) nor index.json (OCI layout); entries: "
          + entries.keySet());
    } catch (IOException e) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "cannot read the image "
          + "archive: " + e.getMessage(), e);
    } finally {
      client.deleteLease(lease);
    }
  }

  /** Streams every file: JSON kept in memory, everything else (and OCI blobs) uploaded. */
  private Map<String, Entry> readArchive(InputStream archive, String lease) throws IOException {
    Map<String, Entry> entries = new HashMap<>();
    TarArchiveInputStream tar = new TarArchiveInputStream(archive);
    // called through ArchiveInputStream: TarArchiveInputStream.getNextEntry() returns
    // TarArchiveEntry only from commons-compress 1.25 on, and older versions reach users'
    // class paths (Testcontainers 1.21 asks for 1.24)
    ArchiveInputStream<?> archiveEntries = tar;
    TarArchiveEntry e;
    while ((e = (TarArchiveEntry) archiveEntries.getNextEntry()) != null) {
      if (!e.isFile()) {
        continue;
      }
      String path = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
      boolean json = path.endsWith(".json") || path.equals("repositories")
          || path.equals("oci-layout");
      boolean ociBlob = path.startsWith("blobs/");
      if (json || (ociBlob && e.getSize() <= 1 << 20)) {
        byte[] bytes = Blobs.readSmall(tar, e.getSize(), MAX_JSON);
        entries.put(path, new Entry(path, null, bytes));
      } else {
        Blobs.Blob blob = Blobs.write(client, lease, lease + "-" + Math.abs(path.hashCode()),
            new NonClosing(tar), Map.of());
        if (ociBlob && !blob.digest().equals("sha256:" + path.substring(path.lastIndexOf('/')
            + 1))) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "blob " + path
              + " has digest " + blob.digest() + ", not the one its name says");
        }
        entries.put(path, new Entry(path, blob, null));
        log.debug("uploaded {} ({} bytes) as {}", path, blob.size(), blob.digest());
      }
    }
    return entries;
  }

  private List<ImportedImage> importDocker(Map<String, Entry> entries, String lease)
      throws IOException {
    JsonArray items = JsonParser.parseString(text(entries, "manifest.json")).getAsJsonArray();
    List<ImportedImage> out = new ArrayList<>();
    for (JsonElement el : items) {
      JsonObject item = el.getAsJsonObject();
      String configPath = item.get("Config").getAsString();
      byte[] config = bytes(entries, configPath);
      List<Descriptor> layers = new ArrayList<>();
      for (JsonElement l : item.getAsJsonArray("Layers")) {
        Entry layer = entries.get(l.getAsString());
        if (layer == null) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "manifest.json names "
              + "layer " + l.getAsString() + " that the archive does not hold");
        }
        Blobs.Blob b = layer.blob != null ? layer.blob
            : Blobs.writeBytes(client, lease, lease + "-l-" + layers.size(), layer.bytes, Map.of());
        layers.add(Descriptor.newBuilder().setMediaType(b.gzip() ? OCI_LAYER + "+gzip"
            : OCI_LAYER).setDigest(b.digest()).setSize(b.size()).build());
      }
      Blobs.Blob cfg = Blobs.writeBytes(client, lease, lease + "-config-" + out.size(), config,
          Map.of());
      Descriptor configDesc = Descriptor.newBuilder().setMediaType(OCI_CONFIG)
          .setDigest(cfg.digest()).setSize(cfg.size()).build();
      byte[] manifest = manifestJson(configDesc, layers);
      Blobs.Blob man = Blobs.writeBytes(client, lease, lease + "-manifest-" + out.size(),
          manifest, gcLabels(configDesc, layers));
      Descriptor target = Descriptor.newBuilder().setMediaType(OCI_MANIFEST)
          .setDigest(man.digest()).setSize(man.size()).build();
      String chain = unpack(lease, config, layers, configDesc.getDigest());
      List<String> names = new ArrayList<>();
      if (item.has("RepoTags") && item.get("RepoTags").isJsonArray()) {
        item.getAsJsonArray("RepoTags").forEach(t -> names.add(normalize(t.getAsString())));
      }
      if (names.isEmpty()) {
        names.add("import-" + man.digest().substring(7, 19) + ":latest");
      }
      for (String name : names) {
        createOrUpdate(name, target);
        out.add(new ImportedImage(name, man.digest(), chain));
      }
    }
    return out;
  }

  private List<ImportedImage> importOci(Map<String, Entry> entries, String lease)
      throws IOException {
    JsonObject index = JsonParser.parseString(text(entries, "index.json")).getAsJsonObject();
    List<ImportedImage> out = new ArrayList<>();
    for (JsonElement el : index.getAsJsonArray("manifests")) {
      JsonObject desc = el.getAsJsonObject();
      JsonObject manifestDesc = pickManifest(entries, desc);
      byte[] manifest = blob(entries, manifestDesc.get("digest").getAsString());
      JsonObject m = JsonParser.parseString(new String(manifest, StandardCharsets.UTF_8))
          .getAsJsonObject();
      JsonObject c = m.getAsJsonObject("config");
      Descriptor configDesc = Descriptor.newBuilder().setMediaType(c.get("mediaType")
          .getAsString()).setDigest(c.get("digest").getAsString()).setSize(c.get("size")
          .getAsLong()).build();
      byte[] config = blob(entries, configDesc.getDigest());
      ensureStored(lease, configDesc.getDigest(), config, Map.of());
      List<Descriptor> layers = new ArrayList<>();
      for (JsonElement l : m.getAsJsonArray("layers")) {
        JsonObject lo = l.getAsJsonObject();
        String digest = lo.get("digest").getAsString();
        Entry e = entries.get("blobs/sha256/" + digest.substring(7));
        if (e == null) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "layer " + digest
              + " is not in the archive");
        }
        if (e.bytes != null) {
          ensureStored(lease, digest, e.bytes, Map.of());
        }
        layers.add(Descriptor.newBuilder().setMediaType(lo.get("mediaType").getAsString())
            .setDigest(digest).setSize(lo.get("size").getAsLong()).build());
      }
      String manifestDigest = manifestDesc.get("digest").getAsString();
      ensureStored(lease, manifestDigest, manifest, gcLabels(configDesc, layers));
      Descriptor target = Descriptor.newBuilder().setMediaType(manifestDesc.get("mediaType")
          .getAsString()).setDigest(manifestDigest).setSize(manifest.length).build();
      String chain = unpack(lease, config, layers, configDesc.getDigest());
      String name = desc.has("annotations") && desc.getAsJsonObject("annotations")
          .has("io.containerd.image.name")
          ? desc.getAsJsonObject("annotations").get("io.containerd.image.name").getAsString()
          : desc.has("annotations") && desc.getAsJsonObject("annotations")
              .has("org.opencontainers.image.ref.name")
              ? normalize(desc.getAsJsonObject("annotations")
                  .get("org.opencontainers.image.ref.name").getAsString())
              : "import-" + manifestDigest.substring(7, 19) + ":latest";
      createOrUpdate(name, target);
      out.add(new ImportedImage(name, manifestDigest, chain));
    }
    return out;
  }

  /** A manifest, or from an index the linux/amd64 (or first) manifest. */
  private JsonObject pickManifest(Map<String, Entry> entries, JsonObject desc) {
    String type = desc.get("mediaType").getAsString();
    if (!type.equals(OCI_INDEX) && !type.equals(DOCKER_LIST)) {
      return desc;
    }
    JsonObject idx = JsonParser.parseString(new String(blob(entries, desc.get("digest")
        .getAsString()), StandardCharsets.UTF_8)).getAsJsonObject();
    JsonObject first = null;
    for (JsonElement e : idx.getAsJsonArray("manifests")) {
      JsonObject m = e.getAsJsonObject();
      if (first == null) {
        first = m;
      }
      JsonObject p = m.getAsJsonObject("platform");
      if (p != null && "linux".equals(p.get("os").getAsString())
          && "amd64".equals(p.get("architecture").getAsString())) {
        return m;
      }
    }
    if (first == null) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "empty image index");
    }
    return first;
  }

  private void ensureStored(String lease, String digest, byte[] data, Map<String, String> labels)
      throws IOException {
    Blobs.Blob b = Blobs.writeBytes(client, lease, lease + "-" + digest.substring(7, 23), data,
        labels);
    if (!b.digest().equals(digest)) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "blob " + digest
          + " has digest " + b.digest());
    }
  }

  static Map<String, String> gcLabels(Descriptor config, List<Descriptor> layers) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("containerd.io/gc.ref.content.config", config.getDigest());
    for (int i = 0; i < layers.size(); i++) {
      labels.put("containerd.io/gc.ref.content.l." + i, layers.get(i).getDigest());
    }
    return labels;
  }

  private static byte[] manifestJson(Descriptor config, List<Descriptor> layers) {
    JsonObject m = new JsonObject();
    m.addProperty("schemaVersion", 2);
    m.addProperty("mediaType", OCI_MANIFEST);
    m.add("config", descriptorJson(config));
    JsonArray ls = new JsonArray();
    layers.forEach(l -> ls.add(descriptorJson(l)));
    m.add("layers", ls);
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject descriptorJson(Descriptor d) {
    JsonObject o = new JsonObject();
    o.addProperty("mediaType", d.getMediaType());
    o.addProperty("digest", d.getDigest());
    o.addProperty("size", d.getSize());
    return o;
  }

  /**
   * Applies each layer onto a snapshot named by its chain ID (skipping those already there)
   * and labels the config so that the snapshots live as long as the image.
   */
  String unpack(String lease, byte[] config, List<Descriptor> layers, String configDigest)
      throws IOException {
    JsonArray diffIds = JsonParser.parseString(new String(config, StandardCharsets.UTF_8))
        .getAsJsonObject().getAsJsonObject("rootfs").getAsJsonArray("diff_ids");
    if (diffIds.size() != layers.size()) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the config lists "
          + diffIds.size() + " diff ids for " + layers.size() + " layers");
    }
    var snapshots = client.leased(
        io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc::newBlockingStub, lease);
    var diff = client.leased(io.github.sshcontainer.containerd.api.diff.DiffGrpc::newBlockingStub,
        lease);
    String parent = "";
    for (int i = 0; i < layers.size(); i++) {
      String diffId = diffIds.get(i).getAsString();
      String chain = Rpc.nextChain(parent, diffId);
      if (exists(chain)) {
        parent = chain;
        continue;
      }
      String key = "ssh-container-extract-" + UUID.randomUUID() + " " + chain;
      int idx = i;
      String p = parent;
      List<Mount> mounts = client.call("preparing snapshot for layer " + i, () -> snapshots
          .withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
          .prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey(key)
              .setParent(p).build()).getMountsList());
      try {
        Descriptor applied = client.call("applying layer " + layers.get(i).getDigest(),
            () -> diff.withDeadlineAfter(10, java.util.concurrent.TimeUnit.MINUTES)
                .apply(ApplyRequest.newBuilder().setDiff(layers.get(idx))
                    .addAllMounts(mounts).build()).getApplied());
        if (!applied.getDigest().equals(diffId)) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "layer " + i
              + " unpacked to " + applied.getDigest() + " but the config says " + diffId);
        }
        client.call("committing snapshot " + chain, () -> snapshots
            .withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
            .commit(CommitSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER)
                .setName(chain).setKey(key).build()));
      } catch (RuntimeException e) {
        try {
          snapshots.remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER)
              .setKey(key).build());
        } catch (StatusRuntimeException ignored) {
          // committed already or gone
        }
        throw e;
      }
      parent = chain;
    }
    Blobs.Labels.set(client, configDigest,
        Map.of("containerd.io/gc.ref.snapshot." + SNAPSHOTTER, parent));
    return parent;
  }

  private boolean exists(String chain) {
    try {
      client.snapshots().stat(StatSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER)
          .setKey(chain).build());
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return false;
      }
      throw client.translate("looking up snapshot " + chain, e);
    }
  }

  void createOrUpdate(String name, Descriptor target) {
    Image image = Image.newBuilder().setName(name).setTarget(target).build();
    try {
      client.images().create(CreateImageRequest.newBuilder().setImage(image).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
        throw client.translate("creating image " + name, e);
      }
      client.call("updating image " + name, () -> client.images().update(
          UpdateImageRequest.newBuilder().setImage(image).setUpdateMask(
              com.google.protobuf.FieldMask.newBuilder().addPaths("target")).build()));
    }
  }

  /** Docker's short names as containerd stores them: {@code docker.io/library/busybox:1}. */
  public static String normalize(String ref) {
    String name = ref;
    int slash = name.indexOf('/');
    String first = slash < 0 ? "" : name.substring(0, slash);
    boolean hasDomain = first.contains(".") || first.contains(":") || first.equals("localhost");
    if (!hasDomain) {
      name = "docker.io/" + (slash < 0 ? "library/" : "") + name;
    }
    int lastSlash = name.lastIndexOf('/');
    if (name.indexOf(':', lastSlash) < 0 && !name.contains("@")) {
      name = name + ":latest";
    }
    return name;
  }

  private static String text(Map<String, Entry> entries, String path) {
    return new String(bytes(entries, path), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(Map<String, Entry> entries, String path) {
    Entry e = entries.get(path);
    if (e == null || e.bytes == null) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the archive lacks "
          + path);
    }
    return e.bytes;
  }

  private static byte[] blob(Map<String, Entry> entries, String digest) {
    return bytes(entries, "blobs/sha256/" + digest.substring(digest.indexOf(':') + 1));
  }

  /** Lets the uploader read one tar entry without closing the archive stream. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // the tar stream stays open for the next entry
    }
  }
}
