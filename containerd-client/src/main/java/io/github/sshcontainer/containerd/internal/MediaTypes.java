package io.github.sshcontainer.containerd.internal;

/** The media types of image manifests, indexes, configs and layers that containerd takes. */
final class MediaTypes {
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  static final String DOCKER_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";

  private MediaTypes() {}

  /** An OCI layer's type: a tar, or a gzip'd one. */
  static String layer(boolean gzip) {
    return gzip ? OCI_LAYER + "+gzip" : OCI_LAYER;
  }

  /** True for an index or a manifest list, which name one manifest per platform. */
  static boolean isIndex(String type) {
    return type.equals(OCI_INDEX) || type.equals(DOCKER_LIST);
  }
}
