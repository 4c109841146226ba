package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.api.types.Descriptor;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images of a {@code docker save} archive (manifest.json) or an OCI image layout
 * (index.json), each as containerd will hold it: an OCI manifest (written here for docker
 * archives), its config and layer descriptors, and its names. The archive is read in one pass
 * over the stream: JSON and small OCI blobs are kept in memory, everything else goes to the
 * {@link Uploader} as it streams by, so an archive larger than memory is fine.
 */
final class ImageArchive {
  private static final Logger log = LoggerFactory.getLogger(ImageArchive.class);
  private static final int MAX_JSON = 8 << 20;
  private static final int MAX_KEPT_BLOB = 1 << 20;

  /** Stores one file of the archive as it streams by. */
  interface Uploader {
    Blobs.Blob upload(String path, InputStream content) throws IOException;
  }

  /**
   * One image: its manifest (type, digest, bytes), config (descriptor, bytes), layer
   * descriptors, the layers still to store (digest to bytes: those small enough to be kept in
   * memory), and the names to create it under.
   */
  record ArchivedImage(String manifestType, String manifestDigest, byte[] manifest,
      Descriptor config, byte[] configBytes, List<Descriptor> layers,
      Map<String, byte[]> layersToStore, List<String> names) {}

  /** A file of the archive: kept in memory ({@code bytes}) or uploaded ({@code blob}). */
  private record Entry(Blobs.Blob blob, byte[] bytes) {}

  private final Map<String, Entry> entries;

  private ImageArchive(Map<String, Entry> entries) {
    this.entries = entries;
  }

  /** Reads the whole archive, uploading what is not kept in memory. */
  static ImageArchive read(InputStream archive, Uploader uploader) throws IOException {
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
      if (json || (ociBlob && e.getSize() <= MAX_KEPT_BLOB)) {
        entries.put(path, new Entry(null, readSmall(tar, e.getSize())));
      } else {
        Blobs.Blob blob = uploader.upload(path, new NonClosing(tar));
        if (ociBlob && !blob.digest().equals("sha256:" + path.substring(path.lastIndexOf('/')
            + 1))) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "blob " + path
              + " has digest " + blob.digest() + ", not the one its name says");
        }
        entries.put(path, new Entry(blob, null));
        log.debug("uploaded {} ({} bytes) as {}", path, blob.size(), blob.digest());
      }
    }
    return new ImageArchive(entries);
  }

  /** The images the archive's manifest.json or index.json lists. */
  List<ArchivedImage> images() {
    if (entries.containsKey("manifest.json")) {
      return dockerImages();
    }
    if (entries.containsKey("index.json")) {
      return ociImages();
    }
    throw new ContainerdException(ContainerdException.Reason.INVALID, "the archive has "
        + "neither manifest.json (docker save) nor index.json (OCI layout); entries: "
        + entries.keySet());
  }

  private List<ArchivedImage> dockerImages() {
    JsonArray items = JsonParser.parseString(text("manifest.json")).getAsJsonArray();
    List<ArchivedImage> out = new ArrayList<>();
    for (JsonElement el : items) {
      JsonObject item = el.getAsJsonObject();
      byte[] config = bytes(item.get("Config").getAsString());
      List<Descriptor> layers = new ArrayList<>();
      Map<String, byte[]> toStore = new LinkedHashMap<>();
      for (JsonElement l : item.getAsJsonArray("Layers")) {
        Entry layer = entries.get(l.getAsString());
        if (layer == null) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "manifest.json names "
              + "layer " + l.getAsString() + " that the archive does not hold");
        }
        Blobs.Blob b = layer.blob != null ? layer.blob : new Blobs.Blob(
            Blobs.sha256(layer.bytes), layer.bytes.length, Blobs.isGzip(layer.bytes));
        if (layer.blob == null) {
          toStore.put(b.digest(), layer.bytes);
        }
        layers.add(Descriptor.newBuilder().setMediaType(MediaTypes.layer(b.gzip()))
            .setDigest(b.digest()).setSize(b.size()).build());
      }
      Descriptor configDesc = Descriptor.newBuilder().setMediaType(MediaTypes.OCI_CONFIG)
          .setDigest(Blobs.sha256(config)).setSize(config.length).build();
      byte[] manifest = manifestJson(configDesc, layers);
      String manifestDigest = Blobs.sha256(manifest);
      List<String> names = new ArrayList<>();
      if (item.has("RepoTags") && item.get("RepoTags").isJsonArray()) {
        item.getAsJsonArray("RepoTags").forEach(t -> names.add(ImageRef.normalize(
            t.getAsString())));
      }
      if (names.isEmpty()) {
        names.add("import-" + manifestDigest.substring(7, 19) + ":latest");
      }
      out.add(new ArchivedImage(MediaTypes.OCI_MANIFEST, manifestDigest, manifest, configDesc,
          config, layers, toStore, names));
    }
    return out;
  }

  private List<ArchivedImage> ociImages() {
    JsonObject index = JsonParser.parseString(text("index.json")).getAsJsonObject();
    List<ArchivedImage> out = new ArrayList<>();
    for (JsonElement el : index.getAsJsonArray("manifests")) {
      JsonObject desc = el.getAsJsonObject();
      JsonObject manifestDesc = pickManifest(desc);
      String manifestDigest = manifestDesc.get("digest").getAsString();
      byte[] manifest = blob(manifestDigest);
      JsonObject m = JsonParser.parseString(new String(manifest, StandardCharsets.UTF_8))
          .getAsJsonObject();
      JsonObject c = m.getAsJsonObject("config");
      Descriptor configDesc = Descriptor.newBuilder().setMediaType(c.get("mediaType")
          .getAsString()).setDigest(c.get("digest").getAsString()).setSize(c.get("size")
          .getAsLong()).build();
      byte[] config = blob(configDesc.getDigest());
      List<Descriptor> layers = new ArrayList<>();
      Map<String, byte[]> toStore = new LinkedHashMap<>();
      for (JsonElement l : m.getAsJsonArray("layers")) {
        JsonObject lo = l.getAsJsonObject();
        String digest = lo.get("digest").getAsString();
        Entry e = entries.get("blobs/sha256/" + digest.substring(7));
        if (e == null) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "layer " + digest
              + " is not in the archive");
        }
        if (e.bytes != null) {
          toStore.put(digest, e.bytes);
        }
        layers.add(Descriptor.newBuilder().setMediaType(lo.get("mediaType").getAsString())
            .setDigest(digest).setSize(lo.get("size").getAsLong()).build());
      }
      out.add(new ArchivedImage(manifestDesc.get("mediaType").getAsString(), manifestDigest,
          manifest, configDesc, config, layers, toStore, List.of(ociName(desc,
          manifestDigest))));
    }
    return out;
  }

  /** The name an OCI layout gives a manifest, containerd's annotation first. */
  private static String ociName(JsonObject desc, String manifestDigest) {
    JsonObject annotations = desc.has("annotations") ? desc.getAsJsonObject("annotations")
        : new JsonObject();
    if (annotations.has("io.containerd.image.name")) {
      return annotations.get("io.containerd.image.name").getAsString();
    }
    if (annotations.has("org.opencontainers.image.ref.name")) {
      return ImageRef.normalize(annotations.get("org.opencontainers.image.ref.name")
          .getAsString());
    }
    return "import-" + manifestDigest.substring(7, 19) + ":latest";
  }

  /** A manifest, or from an index the linux/amd64 (or first) manifest. */
  private JsonObject pickManifest(JsonObject desc) {
    if (!MediaTypes.isIndex(desc.get("mediaType").getAsString())) {
      return desc;
    }
    JsonObject idx = JsonParser.parseString(new String(blob(desc.get("digest").getAsString()),
        StandardCharsets.UTF_8)).getAsJsonObject();
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

  private static byte[] manifestJson(Descriptor config, List<Descriptor> layers) {
    JsonObject m = new JsonObject();
    m.addProperty("schemaVersion", 2);
    m.addProperty("mediaType", MediaTypes.OCI_MANIFEST);
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

  private String text(String path) {
    return new String(bytes(path), StandardCharsets.UTF_8);
  }

  private byte[] bytes(String path) {
    Entry e = entries.get(path);
    if (e == null || e.bytes == null) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the archive lacks "
          + path);
    }
    return e.bytes;
  }

  private byte[] blob(String digest) {
    return bytes("blobs/sha256/" + digest.substring(digest.indexOf(':') + 1));
  }

  /** Reads a tar entry into memory, refusing more than a manifest or config may have. */
  private static byte[] readSmall(InputStream in, long size) throws IOException {
    if (size > MAX_JSON) {
      throw new IOException("a " + size + " byte entry is larger than the " + MAX_JSON
          + " bytes a manifest or config may have");
    }
    return in.readNBytes((int) size);
  }

  /** Lets the uploader read one tar entry without closing the archive stream. */
  private static final class NonClosing extends FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // the tar stream stays open for the next entry
    }
  }
}
