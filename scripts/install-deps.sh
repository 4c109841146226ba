#!/usr/bin/env bash
# Installs what the tests and the demo need from Debian's packages when run as root;
# otherwise names what is missing and the command that installs it.
set -euo pipefail

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || need+=(docker.io)
[ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /usr/bin/containerd ] || need+=(containerd)
[ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ] || need+=(runc)
# the lab copies /bin/busybox into images that have no libc: it must be the static build
{ [ -x /bin/busybox ] && { ldd /bin/busybox 2>&1 || true; } | grep -q "not a dynamic"; } || need+=(busybox-static)
command -v useradd >/dev/null || need+=(passwd)
# the network-namespace host: ip netns, veth, nsenter, and iptables for its bridge and firewall
command -v ip >/dev/null || need+=(iproute2)
command -v nsenter >/dev/null || need+=(util-linux)
[ -x /usr/sbin/iptables ] || need+=(iptables)
# the other daemons and servers users have: Podman, a registry with htpasswd, rootless Docker
command -v podman >/dev/null || need+=(podman)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v rootlesskit >/dev/null || need+=(rootlesskit)
command -v slirp4netns >/dev/null || need+=(slirp4netns)
command -v newuidmap >/dev/null || need+=(uidmap)
# the release check signs with a throwaway key
command -v gpg >/dev/null || need+=(gnupg)
command -v tar >/dev/null || need+=(tar)
command -v mvn >/dev/null || need+=(maven)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" = 0 ]; then
  echo "Installing: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
else
  echo "Missing: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
