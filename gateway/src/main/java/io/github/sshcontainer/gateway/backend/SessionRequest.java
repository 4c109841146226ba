package io.github.sshcontainer.gateway.backend;

import java.util.Objects;

/**
 * What a session channel asks to run: a shell, a command ({@code exec}) or a subsystem (such as
 * {@code sftp}).
 *
 * @param kind which request
 * @param argument the command line of an exec, the name of a subsystem; empty for a shell
 */
public record SessionRequest(Kind kind, String argument) {
  /** The three requests that start a program (RFC 4254, section 6.5). */
  public enum Kind {
    SHELL,
    EXEC,
    SUBSYSTEM
  }

  public SessionRequest {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(argument, "argument");
  }

  public static SessionRequest shell() {
    return new SessionRequest(Kind.SHELL, "");
  }

  public static SessionRequest exec(String command) {
    return new SessionRequest(Kind.EXEC, command);
  }

  public static SessionRequest subsystem(String name) {
    return new SessionRequest(Kind.SUBSYSTEM, name);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case SHELL -> "shell";
      case EXEC -> "exec '" + argument + "'";
      case SUBSYSTEM -> "subsystem " + argument;
    };
  }
}
