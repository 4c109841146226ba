package io.github.sshcontainer.containerd.internal;

import com.google.protobuf.FieldMask;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.api.diff.ApplyRequest;
import io.github.sshcontainer.containerd.api.diff.DiffGrpc;
import io.github.sshcontainer.containerd.api.images.CreateImageRequest;
import io.github.sshcontainer.containerd.api.images.Image;
import io.github.sshcontainer.containerd.api.images.UpdateImageRequest;
import io.github.sshcontainer.containerd.api.snapshots.CommitSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.PrepareSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.RemoveSnapshotRequest;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.snapshots.StatSnapshotRequest;
import io.github.sshcontainer.containerd.api.types.Descriptor;
import io.github.sshcontainer.containerd.api.types.Mount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Writes an image into containerd as its Go client does, for the importer and the puller:
 * content stored under a lease with the GC labels that tie a manifest to its config and layers
 * and a config to its unpacked snapshot, each layer applied onto a snapshot named by its chain
 * ID, and the image record created or pointed at the new manifest.
 */
final class ImageStore {
  static final String SNAPSHOTTER = "overlayfs";

  private final Rpc client;

  ImageStore(Rpc client) {
    this.client = client;
  }

  /** Stores {@code data} (known to have {@code digest}) under {@code lease}, and checks it. */
  void store(String lease, String digest, byte[] data, Map<String, String> labels)
      throws IOException {
    Blobs.Blob b = Blobs.writeBytes(client, lease, lease + "-" + digest.substring(7, 23), data,
        labels);
    if (!b.digest().equals(digest)) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "blob " + digest
          + " has digest " + b.digest());
    }
  }

  /** The labels that keep a manifest's config and layers from containerd's collector. */
  static Map<String, String> gcLabels(Descriptor config, List<Descriptor> layers) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("containerd.io/gc.ref.content.config", config.getDigest());
    for (int i = 0; i < layers.size(); i++) {
      labels.put("containerd.io/gc.ref.content.l." + i, layers.get(i).getDigest());
    }
    return labels;
  }

  /**
   * Applies each layer onto a snapshot named by its chain ID (skipping those already there)
   * and labels the config so that the snapshots live as long as the image; returns the top
   * chain ID.
   */
  String unpack(String lease, byte[] config, List<Descriptor> layers, String configDigest) {
    List<String> diffIds = ImageConfig.parse(config).diffIds();
    if (diffIds.size() != layers.size()) {
      throw new ContainerdException(ContainerdException.Reason.INVALID, "the config lists "
          + diffIds.size() + " diff ids for " + layers.size() + " layers");
    }
    var snapshots = client.leased(SnapshotsGrpc::newBlockingStub, lease);
    var diff = client.leased(DiffGrpc::newBlockingStub, lease);
    String parent = "";
    for (int i = 0; i < layers.size(); i++) {
      String diffId = diffIds.get(i);
      String chain = ImageConfig.nextChain(parent, diffId);
      if (exists(chain)) {
        parent = chain;
        continue;
      }
      String key = "ssh-container-extract-" + UUID.randomUUID() + " " + chain;
      Descriptor layer = layers.get(i);
      String p = parent;
      List<Mount> mounts = client.call("preparing snapshot for layer " + i, () -> snapshots
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey(key)
              .setParent(p).build()).getMountsList());
      try {
        Descriptor applied = client.call("applying layer " + layer.getDigest(),
            () -> diff.withDeadlineAfter(10, TimeUnit.MINUTES)
                .apply(ApplyRequest.newBuilder().setDiff(layer)
                    .addAllMounts(mounts).build()).getApplied());
        if (!applied.getDigest().equals(diffId)) {
          throw new ContainerdException(ContainerdException.Reason.INVALID, "layer " + i
              + " unpacked to " + applied.getDigest() + " but the config says " + diffId);
        }
        client.call("committing snapshot " + chain, () -> snapshots
            .withDeadlineAfter(60, TimeUnit.SECONDS)
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

  /**
   * The name of the snapshot of the image's top layer, which must be unpacked here.
   *
   * @throws ContainerdException NOT_FOUND if it is not
   */
  String unpackedTop(ImageConfig config) {
    String chain = config.topChain();
    if (!exists(chain)) {
      throw new ContainerdException(ContainerdException.Reason.NOT_FOUND, "the image's layers"
          + " are not unpacked into the " + SNAPSHOTTER + " snapshotter (no snapshot " + chain
          + "); import the image with importImage(...) first");
    }
    return chain;
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

  /** Creates image {@code name}, or points the existing one at {@code target}. */
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
              FieldMask.newBuilder().addPaths("target")).build()));
    }
  }
}
