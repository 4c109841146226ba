package io.github.sshcontainer.docker;

/**
 * How a command ended: its exit code, and its output when it was captured (empty when the spec
 * gave its own streams).
 */
public record ExecResult(int exitCode, String stdout, String stderr) {}
