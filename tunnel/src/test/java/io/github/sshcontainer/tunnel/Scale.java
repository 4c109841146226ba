package io.github.sshcontainer.tunnel;

/** Iteration counts: small in every build, the full numbers with -Plong. */
final class Scale {
  static final boolean LONG = Boolean.getBoolean("sshc.long");

  private Scale() {}

  static int of(int quick, int longRun) {
    return LONG ? longRun : quick;
  }
}
