#!/usr/bin/env bash
# Brings up a throwaway "remote host" on this machine (sshd on loopback with a generated key,
# dockerd and containerd on private sockets, a locally built busybox image), runs the three
# examples and a CLI round trip against it, and tears everything down. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's Maven 3.8.7 (jansi 2.4) writes ESC[0m when it exits, under -B and -q too, and
# -Dstyle.color=never does not stop it; this JVM property does
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
scripts/install-deps.sh
if [ "$(id -u)" != 0 ]; then
  echo "The demo starts dockerd and containerd, which need root: sudo scripts/demo.sh" >&2
  exit 1
fi

echo "==> Building (mvn install, tests skipped)"
mvn -q -B -ntp -DskipTests install
cp_file=examples/target/demo-classpath.txt
mvn -q -B -ntp -pl examples dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
CP="examples/target/classes:$(cat "$cp_file")"

demo=/tmp/ssh-container-demo
rm -rf "$demo"
mkdir -p "$demo"
mkfifo "$demo/stdin"
echo "==> Starting the demo host: sshd, dockerd and containerd on private sockets"
java -cp "$CP" io.github.sshcontainer.lab.DemoHost "$demo/demo.env" \
  < "$demo/stdin" > "$demo/host.log" 2>&1 &
host=$!
exec 3> "$demo/stdin" # the host runs until this closes

teardown() {
  echo "==> Tearing down the demo host"
  exec 3>&- || true
  for _ in $(seq 1 60); do kill -0 "$host" 2>/dev/null || break; sleep 0.5; done
  kill "$host" 2>/dev/null || true
  wait "$host" 2>/dev/null || true
  rm -rf "$demo"
}
trap teardown EXIT

for _ in $(seq 1 360); do
  [ -f "$demo/demo.env" ] && break
  if ! kill -0 "$host" 2>/dev/null; then
    echo "the demo host failed to start:" >&2
    cat "$demo/host.log" >&2
    exit 1
  fi
  sleep 0.5
done
[ -f "$demo/demo.env" ] || { echo "the demo host did not come up in 3 minutes" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$demo/demo.env"
set +a
echo "    remote host: $SSHC_DEST (docker at $SSHC_DOCKER_SOCKET, containerd at $SSHC_CONTAINERD_SOCKET)"

echo "==> Example 1: tunnel only (examples/.../TunnelExample.java)"
java -cp "$CP" io.github.sshcontainer.examples.TunnelExample
echo "==> Example 2: Docker (examples/.../DockerExample.java)"
java -cp "$CP" io.github.sshcontainer.examples.DockerExample
echo "==> Example 3: containerd (examples/.../ContainerdExample.java)"
java -cp "$CP" io.github.sshcontainer.examples.ContainerdExample
echo "==> CLI round trip: bin/ssh-container run ..."
bin/ssh-container run --identity "$SSHC_KEY" --known-hosts "$SSHC_KNOWN_HOSTS" \
  --remote-socket "$SSHC_DOCKER_SOCKET" "$SSHC_DEST" "$SSHC_IMAGE" --pull never \
  --network none -- sh -c 'echo hello from a container, via the ssh-container CLI'
echo "==> Demo finished: every step above talked to the daemons over SSH only"
