#!/usr/bin/env bash
# Assembles the Maven Central staging bundle: builds with -Prelease, deploys into
# target/staging (a repository layout), checks that every published artifact is complete, and
# zips it as target/central-bundle.zip. Signs when GPG_KEYNAME names a key in the gpg keyring;
# otherwise says so (Central refuses unsigned bundles).
# Usage: scripts/release-bundle.sh [extra Maven arguments]
set -euo pipefail
# Debian's Maven 3.8.7 writes ESC[0m at exit even under -q; see test.sh
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
cd "$(dirname "$0")/.."
rm -rf target/staging target/central-bundle.zip
sign=(-Dgpg.skip=true)
if [ -n "${GPG_KEYNAME:-}" ]; then
  sign=(-Dgpg.skip=false "-Dgpg.keyname=$GPG_KEYNAME")
else
  echo "release-bundle: no GPG_KEYNAME: the bundle is NOT signed (set GPG_KEYNAME to a key in" \
    "your gpg keyring to add the .asc signatures Central requires)" >&2
fi
mvn -B -ntp -q -Prelease deploy -DskipTests "${sign[@]}" \
  "-DaltDeploymentRepository=staging::file://$PWD/target/staging" \
  -Daether.checksums.algorithms=SHA-512,SHA-256,SHA-1,MD5 "$@"
root=target/staging/io/github/sshcontainer
missing=0
for dir in "$root"/*/; do
  artifact=$(basename "$dir")
  version=$(ls "$dir" | grep -v maven-metadata | head -n 1)
  files=$(ls "$dir$version")
  # a SNAPSHOT is deployed with a timestamp in its file names; a release with the version
  want=('\.pom$' '\.pom\.sha1$' '\.pom\.md5$' '\.pom\.sha256$')
  if echo "$files" | grep -qE -- '[0-9]\.jar$'; then
    want+=('[0-9]\.jar\.sha1$' '-sources\.jar$' '-javadoc\.jar$' '-cyclonedx\.json$')
  fi
  if [ -n "${GPG_KEYNAME:-}" ]; then
    want+=('\.pom\.asc$')
  fi
  for pattern in "${want[@]}"; do
    if ! echo "$files" | grep -qE -- "^$artifact-.*$pattern"; then
      echo "release-bundle: $artifact $version has no file matching $pattern" >&2
      missing=1
    fi
  done
done
for internal in ssh-container-lab ssh-container-examples ssh-container-benchmark; do
  if [ -d "$root/$internal" ]; then
    echo "release-bundle: $internal is internal and must not be in the bundle" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 1
(cd target/staging && find . -name 'maven-metadata*' -delete && \
  jar cfM ../central-bundle.zip io)
echo "release-bundle: target/central-bundle.zip, $(ls -d "$root"/*/ | wc -l) artifacts:" \
  "$(cd "$root" && ls | tr '\n' ' ')"
