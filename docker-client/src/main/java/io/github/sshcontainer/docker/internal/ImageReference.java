package io.github.sshcontainer.docker.internal;

/**
 * An image name split as the Docker CLI splits it: {@code [registry/]repository[:tag][@digest]}.
 * A colon is a tag only after the last slash ({@code localhost:5000/app} has no tag).
 *
 * @param repository everything before the tag and digest
 * @param tag the tag, or null
 * @param digest the digest ({@code sha256:…}), or null
 */
public record ImageReference(String repository, String tag, String digest) {
  public static ImageReference parse(String image) {
    String rest = image;
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    return new ImageReference(rest, tag, digest);
  }

  /**
   * True for a name whose content can change under the same name: tag {@code latest}, or no
   * tag (which means {@code latest}) and no digest.
   */
  public boolean floating() {
    return digest == null && (tag == null || tag.equals("latest"));
  }

  /** The tag to pull: the given one, {@code latest} when none is given (never every tag). */
  public String pullTag() {
    return tag != null ? tag : "latest";
  }
}
