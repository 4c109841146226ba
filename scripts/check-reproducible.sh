#!/usr/bin/env bash
# Builds the published jars twice from a clean tree and compares them byte for byte
# (project.build.outputTimestamp fixes the entry times). Exit 1 names the jars that differ.
# Usage: scripts/check-reproducible.sh [extra Maven arguments]
set -euo pipefail
# Debian's Maven 3.8.7 writes ESC[0m at exit even under -q; see test.sh
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/sshc-repro-XXXXXX)
trap 'rm -rf "$work"' EXIT
build() {
  mvn -B -ntp -q clean package -DskipTests -Dmaven.javadoc.skip=false "$@" >/dev/null
  find . -path ./benchmark -prune -o -path ./examples -prune -o -path ./lab -prune -o \
    -path '*/target/*.jar' -print | grep -v -- '-tests.jar' | sort | while read -r jar; do
    printf '%s %s\n' "$(sha256sum "$jar" | cut -d' ' -f1)" "$jar"
  done
}
build "$@" > "$work/first"
build "$@" > "$work/second"
if diff -u "$work/first" "$work/second"; then
  echo "reproducible: $(wc -l < "$work/first") jars identical over two clean builds"
else
  echo "NOT reproducible: the jars above differ between two clean builds" >&2
  exit 1
fi
