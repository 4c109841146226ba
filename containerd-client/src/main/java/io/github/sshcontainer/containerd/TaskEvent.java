package io.github.sshcontainer.containerd;

/**
 * A task lifecycle event: {@code topic} such as {@code /tasks/start} or {@code /tasks/exit},
 * the namespace and container, the pid, and for exits the status (-1 otherwise).
 */
public record TaskEvent(String topic, String namespace, String containerId, int pid,
    int exitStatus) {}
