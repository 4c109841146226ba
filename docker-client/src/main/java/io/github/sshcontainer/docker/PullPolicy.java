package io.github.sshcontainer.docker;

/** When to pull a container's image before running it. */
public enum PullPolicy {
  /** Pull every time (fails if no registry is reachable). */
  ALWAYS,
  /** Pull only when the image is not on the remote host. The default. */
  IF_NOT_PRESENT,
  /** Never pull: a missing image is an {@code IMAGE_NOT_FOUND} error. */
  NEVER
}
