package io.github.sshcontainer.containerd;

/**
 * How a task ended: exit status (128+n after signal n) and its output: stdout and stderr in one
 * text, as containerd's file logging writes them (each stream keeps its own order; lines of the
 * two may interleave in any order).
 */
public record TaskResult(int exitStatus, String output) {}
