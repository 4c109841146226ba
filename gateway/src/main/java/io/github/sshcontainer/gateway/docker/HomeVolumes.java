package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each user's home volume: a Docker named volume {@code sshcontainer-home-USER}, made (with
 * its label) the first time the user logs in and used as it is afterwards. Docker fills a new
 * volume from the image's content at the mount point, with its owner, so a user's home that the
 * image has keeps its owner. Nothing here removes a volume.
 */
final class HomeVolumes {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** What Docker takes in a volume name, and what keeps USER from reaching another's. */
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  static final String PREFIX = "sshcontainer-home-";

  /** The users whose volume this backend made or found: each is asked of the daemon once. */
  private final Set<String> made = ConcurrentHashMap.newKeySet();

  /**
   * The name of {@code user}'s volume, made now if it does not exist yet (Docker's create is
   * idempotent for a name: an existing volume is returned as it is). Asked once per user: a
   * volume removed behind the gateway's back is made again, unlabelled, by the container's
   * create that names it.
   *
   * @throws BackendException REFUSED when the name cannot name a volume
   */
  String ensure(DockerClient docker, String user) {
    if (!USER.matcher(user).matches()) {
      throw new BackendException(Reason.REFUSED, "the user name '" + user + "' cannot name a "
          + "home volume (letters, digits, '.', '_' and '-'); log in with another");
    }
    String name = PREFIX + user;
    if (made.contains(user)) {
      return name;
    }
    try {
      docker.createVolumeCmd().withName(name).withLabels(Map.of(DockerBackend.HOME_LABEL,
          user)).exec();
    } catch (DockerException e) {
      log.warn("gateway: cannot make the home volume {}: {}", name, e.getMessage());
      throw new BackendException(Reason.FAILED, "your home volume could not be made; ask the "
          + "gateway's operator", e);
    }
    made.add(user);
    return name;
  }
}
