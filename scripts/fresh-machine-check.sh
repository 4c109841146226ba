#!/usr/bin/env bash
# The README's two commands on a freshly installed Debian 12, as a new user runs them. Builds a
# Debian 12 root with mmdebstrap (Essential packages, apt, mount, ca-certificates), clones this
# checkout's HEAD into its /root/ssh-container, enters it as a booted machine looks (a mount
# namespace of its own, the root a mount point with shared propagation, its own /proc, /sys,
# /sys/fs/cgroup, /dev, /dev/pts, /dev/shm and /run) and runs scripts/demo.sh, then
# scripts/test.sh, with stdin at /dev/null and a root login's environment. Prints each exit
# code and wall time, the first failing test and what the first run downloaded; checks that
# nothing is left running in the root; then removes it (on failure and Ctrl-C too). Not part
# of CI, which it would double: on 2 cores the demo takes about 2.5 min and test.sh 14 min.
#
# Usage, as root: scripts/fresh-machine-check.sh [--runs N] [--keep] [--command 'CMD']
#   --runs N       N times in a row, each on a new root (default 1); exit 0 only if all pass
#   --keep         leave the (last) root in place for a look (chroot DIR bash)
#   --command CMD  run CMD (in /root/ssh-container) instead of the README's two commands
# The logs (mmdebstrap, each command's output, failing tests' reports) stay in
# /var/tmp/sshc-fresh-*/logs.
set -euo pipefail
cd "$(dirname "$0")/.."

# what a root login on Debian 12 has (/etc/profile's PATH for root); no TERM: no terminal
LOGIN_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8)
COMMAND_TIMEOUT=14400 # 4 h each: a hang ends as exit 124 instead of blocking the machine

say() { printf 'fresh-machine-check: %s\n' "$*"; }
fail() { say "$*" >&2; exit 2; }

# ---- inside the new mount namespace (the script runs itself there, see run_in_root)

if [ "${1:-}" = --inside ]; then
  root=$2 logs=$3 host_ns=$4
  shift 4
  # never mount anything in this machine's own namespace
  [ "$(readlink /proc/self/ns/mnt)" != "$host_ns" ] || { echo "not in a new mount namespace" >&2; exit 3; }
  exec 8>> "$logs/results" 9> "$logs/root-mounts.txt"
  echo "ns $(readlink /proc/self/ns/mnt)" >&8
  names=() commands=() fds=()
  for spec in "$@"; do
    exec {fd}> "$logs/${spec%%=*}.log"
    names+=("${spec%%=*}") commands+=("${spec#*=}") fds+=("$fd")
  done
  # the root a mount point of its own, then what a booted Debian 12 mounts (its /tmp is a
  # plain directory of the root file system; the cgroups are this machine's, as dockerd and
  # containerd need them)
  mount --bind "$root" "$root"
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t sysfs -o nosuid,nodev,noexec sysfs "$root/sys"
  mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
  mount -t devtmpfs -o nosuid,mode=0755 devtmpfs "$root/dev"
  if [ -d "$root/dev/pts" ]; then
    mount -t devpts -o nosuid,noexec,newinstance,gid=5,mode=0620,ptmxmode=0666 devpts \
      "$root/dev/pts"
  fi
  [ ! -d "$root/dev/shm" ] || mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
  [ ! -d "$root/dev/mqueue" ] || mount -t mqueue -o nosuid,nodev,noexec mqueue "$root/dev/mqueue"
  mount -t tmpfs -o nosuid,nodev,mode=0755,size=20% tmpfs "$root/run"
  mkdir -m 1777 "$root/run/lock"
  chmod 1777 "$root/tmp"
  cd "$root"
  pivot_root . .
  umount -l . # the old root, now stacked on top of the new one
  cd /
  mount --make-rshared /
  cat /proc/self/mountinfo >&9
  exec 9>&-
  measure() {
    echo "measure $1 packages=$(dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')" \
      "debs_mb=$(du -sm /var/cache/apt/archives | cut -f1)" \
      "m2_mb=$( { du -sm /root/.m2 2>/dev/null || echo 0; } | cut -f1)" >&8
  }
  measure before
  for k in "${!names[@]}"; do
    start=$EPOCHREALTIME
    set +e
    (
      for fd in "${fds[@]}"; do
        [ "$fd" = "${fds[k]}" ] || exec {fd}>&-
      done
      exec env -i "${LOGIN_ENV[@]}" timeout --kill-after=60 "$COMMAND_TIMEOUT" \
        /bin/bash -c "cd /root/ssh-container && ${commands[k]}" < /dev/null >&"${fds[k]}" 2>&1 8>&-
    )
    rc=$?
    set -e
    echo "done ${names[k]} $rc $(( (${EPOCHREALTIME/./} - ${start/./}) / 1000000 ))" >&8
    measure "${names[k]}"
  done
  exit 0
fi

# ---- on this machine

runs=1 keep=0 custom=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --keep) keep=1; shift ;;
    --command) custom=${2:?--command needs a command}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || fail "--runs wants a number, not '$runs'"
[ "$(id -u)" = 0 ] || fail "needs root (it builds a Debian root and mounts in a namespace)"
[ "$(uname -s)" = Linux ] || fail "needs Linux"
for tool in unshare pivot_root mount umount chroot git stat; do
  command -v "$tool" > /dev/null || fail "needs '$tool' on this machine"
done
if ! command -v mmdebstrap > /dev/null; then
  say "installing mmdebstrap (apt-get install mmdebstrap)"
  { apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q -y install mmdebstrap; } \
    > /var/tmp/sshc-fresh-mmdebstrap-install.log 2>&1 \
    || fail "could not install mmdebstrap; see /var/tmp/sshc-fresh-mmdebstrap-install.log"
fi
src=$PWD
head=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || say "note: the checkout has uncommitted changes; the root gets HEAD ($(git rev-parse --short HEAD)) only"
host_ns=$(readlink /proc/self/ns/mnt)
if [ -n "$custom" ]; then
  commands=("command=$custom")
else
  commands=("demo=scripts/demo.sh" "test=scripts/test.sh")
fi

work='' root='' logs='' inner='' interrupted=0

# Processes of the root: those whose root directory or mount namespace is the root's, and
# what they started (containers have roots and namespaces of their own).
processes_in_root() {
  local want ns pid key value dir
  want=$(stat -c %d:%i "$root" 2>/dev/null) || return 0
  ns=$(sed -n 's/^ns //p' "$logs/results" 2>/dev/null | head -n 1)
  declare -A parent=() in=()
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    while read -r key value; do
      [ "$key" = PPid: ] && { parent[$pid]=$value; break; }
    done 2> /dev/null < "$dir/status" || continue # exited meanwhile
    if [ "$(stat -L -c %d:%i "$dir/root" 2>/dev/null)" = "$want" ] \
        || { [ -n "$ns" ] && [ "$(readlink "$dir/ns/mnt" 2>/dev/null)" = "$ns" ]; }; then
      in[$pid]=1
    fi
  done
  local changed=1
  while [ $changed = 1 ]; do
    changed=0
    for pid in "${!parent[@]}"; do
      if [ -z "${in[$pid]:-}" ] && [ -n "${in[${parent[$pid]}]:-}" ]; then
        in[$pid]=1 changed=1
      fi
    done
  done
  for pid in "${!in[@]}"; do
    [ -d "/proc/$pid" ] && echo "$pid"
  done | sort -n
}

describe() {
  local pid
  for pid in "$@"; do
    printf '    %s %s\n' "$pid" "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-150)"
  done
}

stop_processes_in_root() {
  local left signal
  for signal in TERM KILL; do
    mapfile -t left < <(processes_in_root)
    [ ${#left[@]} -gt 0 ] || return 0
    kill "-$signal" "${left[@]}" 2>/dev/null || true
    for _ in $(seq 1 20); do
      mapfile -t left < <(processes_in_root)
      [ ${#left[@]} -gt 0 ] || return 0
      sleep 0.5
    done
  done
  say "still running in the root after SIGKILL:"
  describe "${left[@]}"
}

# Mounts of this machine's namespace under the work directory: none unless mmdebstrap died
# half way; the root's own mounts live and die with its namespace.
mounts_under_work() {
  [ -n "$work" ] || return 0
  awk -v w="$work" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo \
    | sort -r
}

cleanup() {
  local rc=$? point
  trap - EXIT INT TERM HUP
  [ -n "$work" ] || exit "$rc"
  if [ -n "$inner" ] && kill -0 "$inner" 2>/dev/null; then
    kill -TERM "$inner" 2>/dev/null || true
  fi
  stop_processes_in_root
  [ -z "$inner" ] || wait "$inner" 2>/dev/null || true
  inner=
  for point in $(mounts_under_work); do
    umount -l "$point" || say "cannot unmount $point"
  done
  if [ -n "$(mounts_under_work)" ]; then
    say "mounts left under $work (not removed):"
    mounts_under_work >&2
  elif [ "$keep" = 1 ] && [ "$interrupted" = 0 ]; then
    say "kept the root: $root (enter it with: chroot $root bash)"
  else
    rm -rf --one-file-system "$root"
  fi
  [ -z "$logs" ] || say "logs: $logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'interrupted=1; say "interrupted: stopping and cleaning up"; exit 130' INT TERM HUP

# The registry Maven downloads from by default, from its super POM: the host it must verify.
maven_registry_host() {
  local mvn jar pom=org/apache/maven/model/pom-4.0.0.xml tmp
  mvn=$(readlink -f "$(command -v mvn || echo /usr/share/maven/bin/mvn)")
  jar=$(ls "$(dirname "$mvn")"/../lib/maven-model-builder*.jar 2>/dev/null | head -n 1 || true)
  [ -n "$jar" ] || return 0
  tmp=$(mktemp -d)
  { unzip -p "$jar" "$pom" 2>/dev/null || (cd "$tmp" && jar xf "$jar" "$pom" && cat "$pom"); } \
    | sed -n 's|.*<url>https://\([^/<]*\).*|\1|p' | head -n 1 || true
  rm -rf "$tmp"
}

# Maven in the root needs to verify its registry's certificate with the root's CA list; where
# this machine reaches it through a TLS proxy with a CA of its own, the root gets that CA too.
trust_like_this_machine() {
  local host=$1 copied=0 f
  probe() {
    chroot "$root" openssl s_client -connect "$host:443" -servername "$host" \
      -verify_return_error < /dev/null > "$logs/tls-probe.log" 2>&1
  }
  if probe; then
    say "the root's CA list verifies $host"
    return 0
  fi
  if ! grep -qi 'verify' "$logs/tls-probe.log"; then
    say "note: cannot reach $host from the root to check its certificate (see $logs/tls-probe.log)"
    return 0
  fi
  mkdir -p "$root/usr/local/share/ca-certificates/this-machine"
  for f in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    [ -f "$f" ] || continue
    cp "$f" "$root/usr/local/share/ca-certificates/this-machine/$(basename "$f")"
    copied=$((copied + 1))
  done
  chroot "$root" update-ca-certificates > "$logs/update-ca-certificates.log" 2>&1
  if ! probe; then
    # no local CA files: take every certificate of this machine's bundle
    awk -v d="$root/usr/local/share/ca-certificates/this-machine" '
      /-----BEGIN CERTIFICATE-----/ {n++; f = sprintf("%s/bundle-%03d.crt", d, n)}
      f {print > f} /-----END CERTIFICATE-----/ {close(f); f = ""}' /etc/ssl/certs/ca-certificates.crt
    copied=$(ls "$root/usr/local/share/ca-certificates/this-machine" | wc -l)
    chroot "$root" update-ca-certificates >> "$logs/update-ca-certificates.log" 2>&1
    probe || fail "the root cannot verify $host even with this machine's CA certificates (see $logs/tls-probe.log)"
  fi
  say "the root's CA list could not verify $host; copied $copied CA certificates of this machine in"
}

build_root() {
  work=$(mktemp -d /var/tmp/sshc-fresh-XXXXXX)
  root=$work/root logs=$work/logs
  mkdir -p "$logs"
  : > "$logs/results"
  local t0=$SECONDS
  say "building a Debian 12 root in $root (mmdebstrap --variant=apt)"
  mmdebstrap --variant=apt --include=mount,ca-certificates bookworm "$root" \
    > "$logs/mmdebstrap.log" 2>&1 || fail "mmdebstrap failed; see $logs/mmdebstrap.log"
  [ -z "$(mounts_under_work)" ] || fail "mmdebstrap left mounts under $work"
  say "root built in $((SECONDS - t0)) s ($(du -sm "$root" | cut -f1) MB)"
  # what Debian's installer writes and mmdebstrap does not: /etc/hosts; this machine's resolver
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' \
    "$(hostname)" > "$root/etc/hosts"
  cp --remove-destination /etc/resolv.conf "$root/etc/resolv.conf"
  # what systemd makes on a machine's first boot
  [ -e "$root/etc/mtab" ] || ln -s ../proc/self/mounts "$root/etc/mtab"
  [ -s "$root/etc/machine-id" ] || tr -d '-' < /proc/sys/kernel/random/uuid > "$root/etc/machine-id"
  # The root shares this machine's network: services that the packages start (sshd on :22,
  # dockerd with its bridge and iptables rules, containerd) would start here without systemd,
  # through /etc/init.d, and take this machine's port 22 and its firewall. Debian's way to stop
  # that in a chroot. On a real machine they start; the README says how to stop them.
  printf '#!/bin/sh\n# fresh-machine-check: no services in this root\nexit 101\n' \
    > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  local registry
  registry=$(maven_registry_host)
  if [ -n "$registry" ]; then
    trust_like_this_machine "$registry"
  else
    say "note: cannot tell Maven's registry from this machine's Maven; the root keeps Debian's CA list"
  fi
  git clone -q --no-hardlinks "$src" "$root/root/ssh-container" 2> "$logs/git-clone.log" \
    || fail "git clone failed; see $logs/git-clone.log"
  if [ "$(git -C "$root/root/ssh-container" rev-parse HEAD)" != "$head" ]; then
    git -C "$root/root/ssh-container" fetch -q "$src" HEAD
    git -C "$root/root/ssh-container" checkout -q --detach FETCH_HEAD
  fi
  say "cloned $(git -C "$root/root/ssh-container" log -1 --format='%h %s' | cut -c1-90)"
}

# Runs the commands in the root as a booted machine looks; the inner half is this script with
# --inside, run by this machine's bash before it pivots into the root.
run_in_root() {
  # in the background so that a signal reaches the trap at once; bash starts background jobs
  # with SIGINT and SIGQUIT ignored, which the commands would inherit: env gives them back
  env --default-signal=INT,QUIT unshare --mount --propagation private -- \
    "$BASH" "$src/scripts/fresh-machine-check.sh" --inside "$root" "$logs" "$host_ns" \
    "${commands[@]}" < /dev/null > "$logs/inside.log" 2>&1 &
  inner=$!
  local spec list=() outputs=()
  for spec in "${commands[@]}"; do
    list+=("${spec#*=}") outputs+=("$logs/${spec%%=*}.log")
  done
  say "running in the root, one after the other: ${list[*]} (outputs: ${outputs[*]})"
  wait "$inner" || fail "entering the root failed: $(tail -n 5 "$logs/inside.log")"
  inner=
}

# Surefire's line for each failing test method, in the order they ran:
# "[ERROR] a.b.CTest.method -- Time elapsed: 15.1 s <<< FAILURE!"
FAILED_TEST='^\[ERROR\] [A-Za-z0-9_.$]+\.[A-Za-z0-9_]+.* -- Time elapsed: .* <<< (FAILURE|ERROR)!'

first_failing_test() {
  local log=$1 line
  line=$(grep -m 1 -E "$FAILED_TEST" "$log") || true
  if [ -n "$line" ]; then
    echo "${line#\[ERROR\] }" | sed 's/ -- Time elapsed: \(.*\) <<< \(.*\)!$/ (\2 after \1)/'
    grep -A 1 -F -- "$line" "$log" | sed -n 2p | cut -c1-300 | sed 's/^/      /'
  else
    echo "no test failed; the log ends:"
    tail -n 5 "$log" | cut -c1-200 | sed 's/^/      /'
  fi
}

# Every failing test of a log (under -Dmaven.test.failure.ignore=true the command exits 0).
failing_tests() {
  grep -E "$FAILED_TEST" "$1" | sed -e 's/^\[ERROR\] //' -e 's/ -- Time elapsed: .*//' \
    | awk '!seen[$0]++' || true
}

# Keeps the reports of failing test classes beside the logs (where no later clean build, as
# check-reproducible's, has removed them).
keep_failing_reports() {
  local f base
  while IFS= read -r f; do
    mkdir -p "$logs/surefire"
    base=$(basename "$f" .xml)
    cp "$f" "$logs/surefire/"
    [ ! -f "$(dirname "$f")/${base#TEST-}-output.txt" ] \
      || cp "$(dirname "$f")/${base#TEST-}-output.txt" "$logs/surefire/"
  done < <(grep -l -E '<(failure|error)[ >]' \
    "$root"/root/ssh-container/*/target/{surefire,failsafe}-reports/TEST-*.xml 2>/dev/null || true)
}

report() {
  local run=$1 name rc secs failed=0 summary
  say "run $run of $runs, commit $(git -C "$src" rev-parse --short "$head"):"
  while read -r _ name rc secs; do
    printf '  %s: exit %s, %d min %02d s\n' "$name" "$rc" $((secs / 60)) $((secs % 60))
    [ "$rc" = 0 ] && continue
    failed=1
    if [ "$name" = test ]; then
      printf '    first failing test: '
      first_failing_test "$logs/$name.log"
    else
      tail -n 15 "$logs/$name.log" | cut -c1-200 | sed 's/^/      /'
    fi
  done < <(grep '^done ' "$logs/results")
  [ "$(grep -c '^done ' "$logs/results")" = "${#commands[@]}" ] || failed=1
  local tests
  tests=$(for spec in "${commands[@]}"; do failing_tests "$logs/${spec%%=*}.log"; done)
  if [ -n "$tests" ]; then
    printf '  failing tests (%d):\n' "$(echo "$tests" | wc -l)"
    echo "$tests" | head -n 10 | sed 's/^/    /'
  fi
  # the first run's downloads: apt's summary line (install-deps), .debs apt kept, ~/.m2
  summary=$(grep -h -m 1 '^install-deps: installed' "$logs"/*.log 2>/dev/null | head -n 1 || true)
  printf '  apt: %s\n' "${summary:-no install-deps summary line in the logs}"
  awk '/^measure / {
      for (i = 3; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
      printf "  %s: %s packages installed, %s MB of .debs in /var/cache/apt/archives, ~/.m2 %s MB\n",
        $2 == "before" ? "at the start" : "after " $2, v["packages"], v["debs_mb"], v["m2_mb"]}' \
    "$logs/results"
  keep_failing_reports
  return $failed
}

passed=0
for run in $(seq 1 "$runs"); do
  build_root
  run_in_root
  ok=0
  report "$run" || ok=1
  mapfile -t left < <(processes_in_root)
  if [ ${#left[@]} -gt 0 ]; then
    say "LEFT RUNNING in the root after the commands ended (stopping them):"
    describe "${left[@]}"
    ok=1
  else
    say "nothing left running in the root"
  fi
  if [ "$run" -lt "$runs" ]; then
    keep_this=$keep keep=0
    (cleanup) || true
    keep=$keep_this work='' root='' logs=''
  fi
  [ $ok = 1 ] || passed=$((passed + 1))
done
say "$passed of $runs runs passed (every command exit 0, nothing left running)"
[ "$passed" = "$runs" ]
