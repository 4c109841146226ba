package io.github.sshcontainer.gateway.docker;

/**
 * Whom a login's sessions run as inside its container ({@link
 * DockerBackendOptions.Builder#userMapping}). Whatever the mapping, each session's environment
 * names that user as OpenSSH's sshd does: {@code USER} and {@code LOGNAME} (its name), {@code
 * HOME} and {@code SHELL} (from the image's {@code /etc/passwd}; {@code /} and the gateway's
 * shell when it has no entry), plus {@code SSH_CONNECTION}, {@code SSH_CLIENT} and, with a pty,
 * {@code SSH_TTY}. A client's env requests cannot override {@code USER}, {@code LOGNAME},
 * {@code HOME} or any {@code SSH_*}.
 *
 * <p>The image's {@code /etc/passwd} is read once per image id through the daemon's archive
 * API (from the connection's container, or in session mode from a container created for it
 * and removed at once, never started), and kept while the backend runs.
 */
public enum UserMapping {
  /**
   * The login name is a user of the image: the sessions run as the user of that name in the
   * image's {@code /etc/passwd} (its uid, gid and groups), starting in its home directory. A
   * login name the image lacks is refused, with one line to the client ({@code gateway: no
   * user 'bob' in this gateway's image; ask its operator}) and one INFO log line; the container
   * made for it is removed. For images made for their users, and for tools that expect their
   * remote user to exist (Ansible's {@code remote_user}, {@code ~user} paths).
   */
  LOGIN,
  /**
   * The default: the sessions run as the container's user, which is the image's {@code USER}
   * (root when it has none) or the spec's explicit user ({@code ContainerSpec.Builder#user},
   * the CLI's {@code --user}), whatever the login name, in the image's working directory.
   */
  IMAGE,
  /**
   * The sessions run as root (uid 0) whatever the image's {@code USER}, in the image's working
   * directory. Only when asked: a login then holds the container's root and its capabilities.
   */
  ROOT
}
