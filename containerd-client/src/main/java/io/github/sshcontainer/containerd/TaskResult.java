package io.github.sshcontainer.containerd;

/**
 * How a task ended: exit status (128+n after signal n) and its output: all of stdout and stderr
 * in one text, as two writers appending to one file leave them (each stream keeps its own
 * order; the two interleave in chunks of any size, so a line of one may split a line of the
 * other). Empty for a live task, whose output was read from {@link RunningTask#io()}.
 */
public record TaskResult(int exitStatus, String output) {}
