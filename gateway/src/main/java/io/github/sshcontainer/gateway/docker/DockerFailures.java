package io.github.sshcontainer.gateway.docker;

import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.tunnel.TunnelException;

/**
 * Turns a Docker or tunnel failure into what the SSH client's user reads: what failed, in their
 * terms, naming the image but nothing of the gateway's own hosts (those are in the log).
 */
final class DockerFailures {
  private DockerFailures() {}

  static BackendException of(RuntimeException e, String image) {
    if (e instanceof BackendException b) {
      return b;
    }
    if (e instanceof TunnelException) {
      return new BackendException(Reason.UNAVAILABLE, "the container host cannot be reached "
          + "now; try again in a moment", e);
    }
    if (e instanceof RemoteDockerException r) {
      return switch (r.reason()) {
        case IMAGE_NOT_FOUND -> new BackendException(Reason.FAILED, "the image " + image
            + " is not on the container host and may not be pulled (pull policy never); ask "
            + "the operator to load it", e);
        case PULL_FAILED -> new BackendException(Reason.FAILED, "the image " + image
            + " could not be pulled", e);
        case REGISTRY_AUTH_FAILED -> new BackendException(Reason.FAILED, "the registry refused "
            + "to serve the image " + image, e);
        case DAEMON_UNAVAILABLE -> new BackendException(Reason.UNAVAILABLE, "the container "
            + "host does not answer; try again in a moment", e);
        case TIMED_OUT -> new BackendException(Reason.FAILED, "the container from " + image
            + " did not start in time", e);
        case UNSUPPORTED -> new BackendException(Reason.FAILED, "the image " + image
            + " cannot run this: " + firstClause(r.getMessage()), e);
        default -> new BackendException(Reason.FAILED, "the container from " + image
            + " did not start", e);
      };
    }
    return new BackendException(Reason.FAILED, "the session could not start", e);
  }

  private static String firstClause(String message) {
    int colon = message.indexOf(':');
    return colon > 0 ? message.substring(0, colon) : message;
  }
}
