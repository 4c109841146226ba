package io.github.sshcontainer.gateway.docker;

import com.github.dockerjava.api.DockerClient;
import io.github.sshcontainer.docker.ContainerSpec;
import io.github.sshcontainer.docker.RemoteDockerException;
import io.github.sshcontainer.gateway.backend.BackendException.Reason;
import io.github.sshcontainer.gateway.backend.BackendException;
import io.github.sshcontainer.gateway.backend.ConnectionInfo;
import io.github.sshcontainer.gateway.docker.ImageAccounts.Account;
import io.github.sshcontainer.tunnel.TunnelException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Whom one connection's sessions run as, resolved once per connection from the backend's
 * {@link UserMapping} and the image's accounts, and how a session starts as them: Docker's user
 * for the exec or container, the environment that names them (as OpenSSH's sshd sets it), and
 * a {@code /bin/sh} wrapper for what only the session's own process can know.
 *
 * @param dockerUser Docker's {@code User} for the sessions, or null for the container's own
 * @param name {@code USER} and {@code LOGNAME}
 * @param home {@code HOME}
 * @param shell {@code SHELL}
 * @param toHome whether a session starts in {@code home} (login mapping, as sshd does)
 * @param hasShell whether the image has {@code /bin/sh} for the wrapper
 */
record SessionUser(String dockerUser, String name, String home, String shell, boolean toHome,
    boolean hasShell) {
  private static final Logger log = LoggerFactory.getLogger("io.github.sshcontainer.gateway");

  /**
   * Docker tells no exec or container its pty's device before it runs, so the session's own
   * process reads it: {@code sh -c 'SSH_TTY=$(tty); exec "$@"' sh PROGRAM…}. The {@code exec}
   * keeps the program's pid the wrapper's, so signals and the exit status are the program's.
   */
  private static final String TTY = "t=$(tty 2>/dev/null) && export SSH_TTY=\"$t\"; ";
  /** sshd's fallback for a home that does not exist: say so, start in {@code /}. */
  private static final String TO_HOME = "cd \"$HOME\" 2>/dev/null || { echo \"Could not chdir "
      + "to home directory $HOME\" >&2; cd /; }; ";

  /**
   * Resolves the user of {@code info}'s sessions, reading the image's accounts (from {@code
   * containerId} in connection mode; null: from the image, session mode).
   *
   * @throws BackendException REFUSED when the login mapping finds no user of the login's name;
   *     FAILED when the image's accounts cannot be read
   * @throws RemoteDockerException as the Docker calls of a connection (a pull in session mode)
   */
  static SessionUser resolve(DockerClient docker, AccountsCache accounts,
      DockerBackendOptions options, ContainerSpec spec, ConnectionInfo info,
      String containerId) {
    ImageAccounts a;
    try {
      a = containerId != null ? accounts.ofContainer(docker, containerId)
          : accounts.ofImage(docker, spec);
    } catch (RemoteDockerException | TunnelException | BackendException e) {
      throw e; // the backend logs and words these as any Docker failure of a connection
    } catch (RuntimeException e) {
      log.warn("gateway connection {} ({}): cannot read the users of the image {}: {}",
          info.connectionId(), info.display(), spec.image(), e.toString());
      throw new BackendException(Reason.FAILED, "the container from " + spec.image()
          + " could not be prepared (its users could not be read); try again in a moment", e);
    }
    SessionUser u = of(options, spec, info, a);
    log.debug("gateway connection {}: sessions run as {} ({}), HOME {}",
        info.connectionId(), u.name(), u.dockerUser() == null ? "the container's user"
            : "Docker user " + u.dockerUser(), u.home());
    return u;
  }

  /**
   * Under the login mapping, refuses a login its image is known to lack before a container is
   * made for it: a key that every user name admits must not buy a container per name tried.
   * Does nothing when the image's users were not read yet ({@link #resolve} decides then).
   *
   * @throws BackendException REFUSED as {@link #resolve}
   */
  static void refuseUnknownLogin(DockerClient docker, AccountsCache accounts,
      DockerBackendOptions options, ContainerSpec spec, ConnectionInfo info) {
    if (options.userMapping() == UserMapping.LOGIN) {
      try {
        accounts.known(docker, spec.image()).ifPresent(a -> of(options, spec, info, a));
      } catch (BackendException refused) {
        throw refused;
      } catch (RuntimeException e) {
        log.debug("gateway connection {}: image {} not inspected: {}", info.connectionId(),
            spec.image(), e.toString()); // the launch will say what is wrong
      }
    }
  }

  /** As {@link #resolve}, with the image's accounts known. */
  static SessionUser of(DockerBackendOptions options, ContainerSpec spec, ConnectionInfo info,
      ImageAccounts a) {
    String fallbackShell = options.shell().get(0);
    return switch (options.userMapping()) {
      case LOGIN -> {
        Account u = a.named(info.user()).orElse(null);
        if (u == null) {
          MDC.put("event", "login-refused");
          try {
            log.info("gateway connection {}: {} refused: the image {} has no user '{}' (user "
                + "mapping login)", info.connectionId(), info.display(), spec.image(),
                info.user());
          } finally {
            MDC.remove("event");
          }
          throw new BackendException(Reason.REFUSED, "no user '" + info.user() + "' in this "
              + "gateway's image; ask its operator");
        }
        // by name, so that Docker gives the user the groups /etc/group lists it in too (a
        // uid:gid pair gets none); a name of digits alone Docker would take for a uid
        String docker = u.name().chars().allMatch(Character::isDigit)
            ? u.uid() + ":" + u.gid() : u.name();
        yield new SessionUser(docker, u.name(), home(u), shell(u, fallbackShell), true,
            a.hasShell());
      }
      case ROOT -> {
        Optional<Account> root = a.withUid(0);
        // uid 0 works in an image without /etc/passwd, where Docker finds no "root"
        yield new SessionUser("0", root.map(Account::name).orElse("root"),
            root.map(SessionUser::home).orElse("/"), root.map(r -> shell(r, fallbackShell))
                .orElse(fallbackShell), false, a.hasShell());
      }
      case IMAGE -> {
        String configured = spec.user().orElseGet(() -> passthroughUser(spec)
            .orElse(a.imageUser()));
        String user = configured.split(":", 2)[0];
        Optional<Account> account = user.isEmpty() ? a.withUid(0)
            : user.matches("\\d{1,18}") ? a.withUid(Long.parseLong(user)) : a.named(user);
        String name = account.map(Account::name).orElse(user.isEmpty() ? "root" : user);
        yield new SessionUser(null, name, account.map(SessionUser::home).orElse("/"),
            account.map(r -> shell(r, fallbackShell)).orElse(fallbackShell), false,
            a.hasShell());
      }
    };
  }

  /** Docker's {@code docker: config: User:} passed through, which the image's USER yields to. */
  private static Optional<String> passthroughUser(ContainerSpec spec) {
    Object u = spec.passthrough().config().get("User");
    return u instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
  }

  private static String home(Account a) {
    return a.home().isEmpty() ? "/" : a.home();
  }

  private static String shell(Account a, String fallback) {
    return a.shell().isEmpty() ? fallback : a.shell();
  }

  /**
   * Whether this backend sets {@code name} itself, so that an env request of it is dropped:
   * {@code USER}, {@code LOGNAME}, {@code HOME} and every {@code SSH_*} but {@code
   * SSH_ORIGINAL_COMMAND}, which the gateway's channel sets (a certificate's force-command) and
   * never takes from a client.
   */
  static boolean setByGateway(String name) {
    return name.equals("USER") || name.equals("LOGNAME") || name.equals("HOME")
        || name.toUpperCase(Locale.ROOT).startsWith("SSH_")
        && !name.equals("SSH_ORIGINAL_COMMAND");
  }

  /** The variables that name the user and the connection, as sshd sets them. */
  Map<String, String> env(ConnectionInfo info) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("USER", name);
    env.put("LOGNAME", name);
    env.put("HOME", home);
    env.put("SHELL", shell);
    env.put("SSH_CONNECTION", info.sshConnection());
    env.put("SSH_CLIENT", info.sshClient());
    return env;
  }

  /**
   * {@code program} as the session runs it: through the wrapper when it has something to do
   * (enter the home directory; set {@code SSH_TTY} when {@code tty}) and the image has {@code
   * /bin/sh}; as it is otherwise (an image without a shell gets no {@code SSH_TTY}, and
   * starts in its working directory).
   */
  List<String> argv(List<String> program, boolean tty) {
    if (!hasShell || (!toHome && !tty)) {
      return program;
    }
    List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", (toHome ? TO_HOME : "")
        + (tty ? TTY : "") + "exec \"$@\"", "sh"));
    argv.addAll(program);
    return argv;
  }
}
