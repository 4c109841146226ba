#!/usr/bin/env bash
# Sets the project's version everywhere in one command: every pom (the versions plugin), the
# consumer projects' poms and the READMEs. The CLI reads its version from its jar's manifest.
# Usage: scripts/set-version.sh 0.1.0      (then add the version's section to CHANGELOG.md)
set -euo pipefail
# Debian's Maven 3.8.7 writes ESC[0m at exit even under -q; see test.sh
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
cd "$(dirname "$0")/.."
new=${1:?usage: scripts/set-version.sh NEW_VERSION}
[[ "$new" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[A-Za-z0-9.]+)?$ ]] || {
  echo "version '$new' must look like 1.2.3 or 1.2.3-SNAPSHOT" >&2; exit 2; }
# the parent's own <version>, the first one at two spaces of indentation in pom.xml
old=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
mvn -B -ntp -q versions:set -DnewVersion="$new" -DgenerateBackupPoms=false \
  -DprocessAllModules=true
for consumer in consumer-test/pom.xml consumer-spring/pom.xml; do
  sed -i -e "s|<ssh-container.version>$old</ssh-container.version>|<ssh-container.version>$new</ssh-container.version>|" \
    -e "s|<version>$old</version>|<version>$new</version>|g" "$consumer"
done
for readme in README.md README-zh-CN.md; do
  sed -i -e "s|\`$old\`|\`$new\`|g" -e "s|<version>$old</version>|<version>$new</version>|g" \
    "$readme"
done
echo "version: $old -> $new"
grep -rl --include=pom.xml -- "$old" . | grep -v /target/ && {
  echo "some poms still name $old (above)" >&2; exit 1; } || true
