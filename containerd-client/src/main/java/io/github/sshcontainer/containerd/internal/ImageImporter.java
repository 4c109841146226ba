package io.github.sshcontainer.containerd.internal;

import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.ImportedImage;
import io.github.sshcontainer.containerd.api.types.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Imports a {@code docker save} archive or an OCI image layout as containerd 1.6 can take it,
 * without the Transfer service: the archive's files streamed into the content store under a
 * lease as it is read ({@link ImageArchive}), then for each image its manifest, config and
 * small layers stored with their GC labels, its layers unpacked and the image created ({@link
 * ImageStore}). The lease goes at the end, success or not: what the images do not reference is
 * left to containerd's garbage collector.
 */
public final class ImageImporter {
  private final Rpc client;
  private final ImageStore store;

  public ImageImporter(Rpc client) {
    this.client = client;
    this.store = new ImageStore(client);
  }

  public List<ImportedImage> importArchive(InputStream archive) {
    String lease = client.createLease("ssh-container-import", Duration.ofHours(1));
    try {
      ImageArchive read = ImageArchive.read(archive, (path, content) -> Blobs.write(client,
          lease, lease + "-" + Math.abs(path.hashCode()), content, Map.of()));
      List<ImportedImage> out = new ArrayList<>();
      for (ImageArchive.ArchivedImage image : read.images()) {
        for (Map.Entry<String, byte[]> layer : image.layersToStore().entrySet()) {
          store.store(lease, layer.getKey(), layer.getValue(), Map.of());
        }
        store.store(lease, image.config().getDigest(), image.configBytes(), Map.of());
        store.store(lease, image.manifestDigest(), image.manifest(),
            ImageStore.gcLabels(image.config(), image.layers()));
        Descriptor target = Descriptor.newBuilder().setMediaType(image.manifestType())
            .setDigest(image.manifestDigest()).setSize(image.manifest().length).build();
        String chain = store.unpack(lease, image.configBytes(), image.layers(),
            image.config().getDigest());
        for (String name : image.names()) {
          store.createOrUpdate(name, target);
          out.add(new ImportedImage(name, image.manifestDigest(), chain));
        }
      }
      return out;
    } catch (IOException e) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "cannot read the image "
          + "archive: " + e.getMessage(), e);
    } finally {
      client.deleteLease(lease);
    }
  }
}
