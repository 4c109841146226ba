package io.github.sshcontainer.containerd.internal;

/**
 * An image reference as a registry and containerd see it: the registry host, the repository,
 * the tag or digest, and the full name containerd stores it under.
 */
record ImageRef(String registry, String repository, String reference, String name) {
  /** Parses {@code busybox}, {@code ghcr.io/o/r:tag} or {@code host:5000/r@sha256:…}. */
  static ImageRef parse(String ref) {
    String name = normalize(ref);
    int slash = name.indexOf('/');
    String registry = name.substring(0, slash);
    String rest = name.substring(slash + 1);
    String reference;
    int at = rest.indexOf('@');
    if (at >= 0) {
      reference = rest.substring(at + 1);
      rest = rest.substring(0, at);
    } else {
      int colon = rest.lastIndexOf(':');
      reference = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    return new ImageRef(registry.equals("docker.io") ? "registry-1.docker.io" : registry, rest,
        reference, name);
  }

  /** Docker's short names as containerd stores them: {@code docker.io/library/busybox:1}. */
  static String normalize(String ref) {
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
}
