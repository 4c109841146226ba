#!/usr/bin/env bash
# Runs every test against real components (sshd, dockerd, containerd started by the lab).
# As root it first installs what is missing from Debian's packages; otherwise it names them.
# Usage: scripts/test.sh [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v /usr/sbin/sshd >/dev/null || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || need+=(docker.io)
[ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /usr/bin/containerd ] || need+=(containerd)
[ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ] || need+=(runc)
# the lab copies /bin/busybox into images that have no libc: it must be the static build
{ [ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic"; } || need+=(busybox-static)
command -v useradd >/dev/null || need+=(passwd)
command -v tar >/dev/null || need+=(tar)
command -v mvn >/dev/null || need+=(maven)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)

if [ ${#need[@]} -gt 0 ]; then
  # de-duplicate
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "Installing: ${need[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
  else
    echo "Missing: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

exec mvn -B -ntp verify "$@"
