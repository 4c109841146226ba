package io.github.sshcontainer.containerd;

/** An image created by an import: its name, manifest digest and unpacked top snapshot. */
public record ImportedImage(String name, String manifestDigest, String chainId) {}
