#!/usr/bin/env bash
# Installs what the tests and the demo need from Debian's packages when run as root;
# otherwise names what is missing and the command that installs it. apt's own output goes to
# a log file (/var/log/ssh-container-install-deps.log); the screen gets one summary line.
set -euo pipefail

# Every program that the lab, the tests and the scripts run: where Debian's package puts it,
# and the package to install for it. InstallDepsTest (examples/) reads this table and fails
# when the lab's Java code or a script runs a program that is not in it. Paths, not names
# looked up on PATH: a program in /usr/local/bin (a newer Docker CLI, say) must not hide that
# Debian's is missing. Debian 12 has /bin -> /usr/bin, so /bin/x and /usr/bin/x are one file.
# The last part (from awk on) comes with every Debian, even a minimal one (mmdebstrap
# --variant=apt); it is here for the test's sake.
programs='
/usr/sbin/sshd                                     openssh-server
/usr/lib/openssh/sftp-server                       openssh-sftp-server
/usr/bin/ssh                                       openssh-client
/usr/bin/scp                                       openssh-client
/usr/bin/sftp                                      openssh-client
/usr/bin/ssh-add                                   openssh-client
/usr/bin/ssh-agent                                 openssh-client
/usr/bin/ssh-keygen                                openssh-client
/usr/bin/ssh-keyscan                               openssh-client
/usr/sbin/dockerd                                  docker.io
/usr/bin/docker                                    docker.io
/usr/share/docker.io/contrib/dockerd-rootless.sh   docker.io
/usr/bin/containerd                                containerd
/usr/bin/containerd-shim-runc-v2                   containerd
/usr/bin/ctr                                       containerd
/usr/sbin/runc                                     runc
/usr/bin/busybox                                   busybox-static
/usr/bin/podman                                    podman
/usr/bin/docker-registry                           docker-registry
/usr/bin/prometheus                                prometheus
/usr/bin/systemd-analyze                           systemd
/usr/bin/htpasswd                                  apache2-utils
/usr/bin/rootlesskit                               rootlesskit
/usr/bin/slirp4netns                               slirp4netns
/usr/bin/newuidmap                                 uidmap
/usr/bin/newgidmap                                 uidmap
/usr/sbin/useradd                                  passwd
/usr/sbin/usermod                                  passwd
/usr/sbin/userdel                                  passwd
/usr/sbin/groupadd                                 passwd
/usr/sbin/groupdel                                 passwd
/usr/sbin/chpasswd                                 passwd
/usr/bin/passwd                                    passwd
/usr/bin/mount                                     mount
/usr/bin/umount                                    mount
/usr/bin/nsenter                                   util-linux
/usr/bin/unshare                                   util-linux
/usr/bin/setsid                                    util-linux
/usr/sbin/runuser                                  util-linux
/usr/sbin/ip                                       iproute2
/usr/sbin/iptables                                 iptables
/usr/bin/pkill                                     procps
/usr/bin/kill                                      procps
/usr/bin/ps                                        procps
/usr/bin/tmux                                      tmux
/usr/bin/asciinema                                 asciinema
/usr/bin/script                                    bsdutils
/usr/bin/git                                       git
/usr/bin/rsync                                     rsync
/usr/bin/openssl                                   openssl
/usr/bin/ssh-audit                                 ssh-audit
/usr/bin/python3                                   python3
/usr/bin/npm                                       npm
/usr/bin/chromium                                  chromium
/usr/bin/chromedriver                              chromium-driver
/usr/bin/ansible-playbook                          ansible-core
/usr/bin/gpg                                       gnupg
/usr/bin/gpg-agent                                 gnupg
/usr/bin/gpgconf                                   gnupg
/usr/bin/tar                                       tar
/usr/bin/mvn                                       maven
/usr/bin/java                                      openjdk-17-jdk-headless
/usr/bin/javac                                     openjdk-17-jdk-headless
/usr/bin/jar                                       openjdk-17-jdk-headless
/usr/bin/awk                                       mawk
/usr/bin/apt-get                                   apt
/usr/bin/bash                                      bash
/usr/bin/sh                                        dash
/usr/bin/grep                                      grep
/usr/bin/sed                                       sed
/usr/bin/diff                                      diffutils
/usr/bin/cmp                                       diffutils
/usr/bin/find                                      findutils
/usr/bin/xargs                                     findutils
/usr/bin/ldd                                       libc-bin
/usr/bin/basename                                  coreutils
/usr/bin/cat                                       coreutils
/usr/bin/chmod                                     coreutils
/usr/bin/chown                                     coreutils
/usr/bin/cp                                        coreutils
/usr/bin/cut                                       coreutils
/usr/bin/dirname                                   coreutils
/usr/bin/env                                       coreutils
/usr/bin/head                                      coreutils
/usr/bin/id                                        coreutils
/usr/bin/ln                                        coreutils
/usr/bin/ls                                        coreutils
/usr/bin/mkdir                                     coreutils
/usr/bin/mkfifo                                    coreutils
/usr/bin/mktemp                                    coreutils
/usr/bin/readlink                                  coreutils
/usr/bin/rm                                        coreutils
/usr/bin/seq                                       coreutils
/usr/bin/sha256sum                                 coreutils
/usr/bin/sleep                                     coreutils
/usr/bin/sort                                      coreutils
/usr/bin/stat                                      coreutils
/usr/bin/stty                                      coreutils
/usr/bin/tail                                      coreutils
/usr/bin/tr                                        coreutils
/usr/bin/wc                                        coreutils
'

need=()
while read -r program package; do
  [ -n "$program" ] || continue
  [ -x "$program" ] || need+=("$package")
done <<< "$programs"
# Python modules the tests import with Debian's /usr/bin/python3 (real SSH clients: Paramiko,
# asyncssh); PATH may hold another python3 without them
python_modules='
paramiko                                           python3-paramiko
asyncssh                                           python3-asyncssh
'
while read -r module package; do
  [ -n "$module" ] || continue
  { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $module" 2>/dev/null; } \
    || need+=("$package")
done <<< "$python_modules"
# the lab copies busybox into images that have no libc: it must be the static build
{ ldd /usr/bin/busybox 2>&1 || true; } | grep -q "not a dynamic" || need+=(busybox-static)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" != 0 ]; then
  echo "Missing: ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi

log=/var/log/ssh-container-install-deps.log
echo "install-deps: installing ${need[*]} and what they depend on (apt's output: $log)"
start=$SECONDS
# LC_ALL=C: the summary below reads apt's English lines. The lock timeout: on a machine that
# has just booted, apt's daily timer may hold the lock for a while.
if ! { LC_ALL=C apt-get -q update &&
    LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends \
      -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 install "${need[@]}"; } > "$log" 2>&1; then
  echo "install-deps: apt-get failed; the last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
# "0 upgraded, 142 newly installed, 0 to remove and 0 not upgraded." and "Need to get 247 MB of
# archives." (or "Need to get 12.0 MB/247 MB of archives." when some were already downloaded)
installed=$(sed -n 's/^\([0-9]*\) upgraded, \([0-9]*\) newly installed.*/\2/p' "$log" | tail -n 1)
upgraded=$(sed -n 's/^\([0-9]*\) upgraded, \([0-9]*\) newly installed.*/\1/p' "$log" | tail -n 1)
fetched=$(sed -n 's|^Need to get \([0-9.,]* [kMG]\{0,1\}B\).* of archives\.$|\1|p' "$log" | tail -n 1)
summary="installed ${installed:-?} packages"
[ "${upgraded:-0}" = 0 ] || summary+=", upgraded $upgraded"
echo "install-deps: $summary (${fetched:-0 B} downloaded) in $((SECONDS - start)) s; log: $log"
