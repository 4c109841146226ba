package io.github.sshcontainer.gateway.docker;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one image says about its users, as a session's user is resolved from it: the entries of
 * its {@code /etc/passwd}, its configured user (Docker's {@code USER}), and whether it has
 * {@code /bin/sh} (for the wrapper that sets {@code SSH_TTY} and enters the home directory).
 * Immutable.
 */
final class ImageAccounts {
  /** One line of {@code /etc/passwd}. */
  record Account(String name, long uid, long gid, String home, String shell) {}

  private final List<Account> accounts;
  private final String imageUser;
  private final boolean hasShell;

  private ImageAccounts(List<Account> accounts, String imageUser, boolean hasShell) {
    this.accounts = List.copyOf(accounts);
    this.imageUser = imageUser;
    this.hasShell = hasShell;
  }

  /**
   * The accounts of {@code passwd} (an image's {@code /etc/passwd}; empty when it has none).
   * Lines that are not 7 fields with numeric ids (comments, NIS {@code +} lines) are skipped.
   *
   * @param imageUser the image's {@code USER}, empty for none (root)
   * @param hasShell whether the image has {@code /bin/sh}
   */
  static ImageAccounts parse(String passwd, String imageUser, boolean hasShell) {
    List<Account> list = new ArrayList<>();
    for (String line : passwd.split("\n")) {
      String[] f = line.strip().split(":", -1);
      if (f.length != 7 || f[0].isEmpty()) {
        continue;
      }
      try {
        list.add(new Account(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]), f[5], f[6]));
      } catch (NumberFormatException e) {
        // not an account line
      }
    }
    return new ImageAccounts(list, imageUser == null ? "" : imageUser, hasShell);
  }

  /** The first entry named {@code name}, as libc's getpwnam finds it. */
  Optional<Account> named(String name) {
    return accounts.stream().filter(a -> a.name().equals(name)).findFirst();
  }

  /** The first entry of uid {@code uid}, as libc's getpwuid finds it. */
  Optional<Account> withUid(long uid) {
    return accounts.stream().filter(a -> a.uid() == uid).findFirst();
  }

  /** The image's {@code USER} ({@code name}, {@code uid}, either with {@code :group}), or "". */
  String imageUser() {
    return imageUser;
  }

  boolean hasShell() {
    return hasShell;
  }

  /** The number of accounts, for log lines. */
  int size() {
    return accounts.size();
  }
}
