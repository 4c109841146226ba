package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.OnDemandContainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts of the images a backend runs, read through the daemon's archive API (what
 * {@code docker cp} uses) from a container of the image, running or only created, so that
 * nothing of the image runs to read them; once per image id, and kept while the backend runs.
 * Thread-safe: logins that need an image at once wait for one read.
 */
final class AccountsCache {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");
  /** Images kept; past it the cache starts again (a gateway runs one or a few images). */
  private static final int MAX_IMAGES = 64;
  /** Containers whose image id is kept; past it that map starts again. */
  private static final int MAX_CONTAINERS = 4096;
  /** An /etc/passwd past this is not read (it would hold a directory's worth of users). */
  private static final int MAX_PASSWD_BYTES = 4 << 20;
  /** Symbolic links followed to /etc/passwd (some images link it to a writable place). */
  private static final int MAX_LINKS = 4;

  private final ConcurrentMap<String, CompletableFuture<ImageAccounts>> byImage =
      new ConcurrentHashMap<>();

  /**
   * The image id of containers seen: a container's image never changes, so a container used
   * again (a user's, a warm one read ahead) costs no inspect.
   */
  private final ConcurrentMap<String, String> imageOfContainer = new ConcurrentHashMap<>();

  /** The accounts of the image of container {@code containerId}. */
  ImageAccounts ofContainer(DockerClient docker, String containerId) {
    String imageId = imageOfContainer.get(containerId);
    if (imageId == null) {
      imageId = docker.inspectContainerCmd(containerId).exec().getImageId();
      if (imageOfContainer.size() >= MAX_CONTAINERS) {
        imageOfContainer.clear();
      }
      imageOfContainer.put(containerId, imageId);
    }
    CompletableFuture<ImageAccounts> mine = new CompletableFuture<>();
    CompletableFuture<ImageAccounts> theirs = byImage.putIfAbsent(imageId, mine);
    if (theirs != null) {
      try {
        return theirs.join();
      } catch (CompletionException failed) {
        return read(docker, containerId, imageId); // theirs failed; this one may not
      }
    }
    try {
      ImageAccounts a = read(docker, containerId, imageId);
      mine.complete(a);
      if (byImage.size() > MAX_IMAGES) {
        byImage.clear();
      }
      return a;
    } catch (RuntimeException e) {
      byImage.remove(imageId, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * The accounts of {@code spec}'s image, for session mode, where no container runs before the
   * first session: those kept for the image's id when it is on the host, else read from a
   * container of {@code spec} created for it and removed at once (pulled per the pull policy).
   * Under pull policy always, a session's container may then run an image pulled after this
   * read; its accounts are read when a later connection finds the new id.
   */
  ImageAccounts ofImage(DockerClient docker, ContainerSpec spec) {
    return known(docker, spec.image()).orElseGet(() -> OnDemandContainer.withCreated(docker,
        spec, id -> ofContainer(docker, id)));
  }

  /** The accounts kept for the image {@code image} names now, if it is on the host. */
  Optional<ImageAccounts> known(DockerClient docker, String image) {
    String imageId;
    try {
      imageId = docker.inspectImageCmd(image).exec().getId();
    } catch (NotFoundException absent) {
      return Optional.empty();
    }
    CompletableFuture<ImageAccounts> known = byImage.get(imageId);
    try {
      return known == null ? Optional.empty() : Optional.of(known.join());
    } catch (CompletionException failed) {
      return Optional.empty();
    }
  }

  private static ImageAccounts read(DockerClient docker, String containerId, String imageId) {
    InspectImageResponse image = docker.inspectImageCmd(imageId).exec();
    String user = image.getConfig() == null || image.getConfig().getUser() == null ? ""
        : image.getConfig().getUser();
    String passwd = file(docker, containerId, "/etc/passwd", MAX_LINKS)
        .map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    boolean shell = exists(docker, containerId, "/bin/sh");
    ImageAccounts a = ImageAccounts.parse(passwd, user, shell);
    log.debug("gateway: image {}: {} accounts in /etc/passwd, USER '{}', {}", shortId(imageId),
        a.size(), user, shell ? "/bin/sh" : "no /bin/sh");
    return a;
  }

  /** The bytes of regular file {@code path}, following links; empty when there is none. */
  private static Optional<byte[]> file(DockerClient docker, String containerId, String path,
      int links) {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(docker
        .copyArchiveFromContainerCmd(containerId, path).exec())) {
      TarArchiveEntry e = tar.getNextEntry();
      if (e == null) {
        return Optional.empty();
      }
      if (e.isSymbolicLink() && links > 0) {
        String target = e.getLinkName();
        String dir = path.substring(0, path.lastIndexOf('/') + 1);
        return file(docker, containerId, target.startsWith("/") ? target : dir + target,
            links - 1);
      }
      if (!e.isFile() || e.getSize() > MAX_PASSWD_BYTES) {
        return Optional.empty();
      }
      return Optional.of(tar.readNBytes((int) e.getSize()));
    } catch (NotFoundException none) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path + " of container "
          + shortId(containerId) + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code path} exists (a link counts, whatever it points to). */
  private static boolean exists(DockerClient docker, String containerId, String path) {
    // the daemon answers 404 at once for a missing path; the tar of a present one is the
    // file itself (a link, or a shell binary of a few MB), read to its end with the stream
    try (InputStream in = docker.copyArchiveFromContainerCmd(containerId, path).exec()) {
      in.transferTo(OutputStream.nullOutputStream());
      return true;
    } catch (NotFoundException none) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path + " of container "
          + shortId(containerId) + ": " + e.getMessage(), e);
    }
  }

  private static String shortId(String id) {
    String s = id.startsWith("sha256:") ? id.substring(7) : id;
    return s.substring(0, Math.min(12, s.length()));
  }
}
