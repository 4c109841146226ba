#!/usr/bin/env bash
# Prints, for each published library artifact, what a project that declares only it (with the
# BOM imported) gets on its runtime class path: number of jars and their total size.
# Needs the artifacts installed (mvn install -DskipTests). Usage: scripts/runtime-sizes.sh
set -euo pipefail
# Debian's Maven 3.8.7 writes ESC[0m at exit even under -q; see test.sh
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
cd "$(dirname "$0")/.."
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| artifact | jars | MiB (runtime class path, the artifact included) |\n|---|---:|---:|\n'
for artifact in ssh-container-tunnel ssh-container-registry-auth ssh-container-docker \
    ssh-container-containerd ssh-container-testcontainers; do
  mkdir -p "$work/$artifact"
  cat > "$work/$artifact/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId><artifactId>size-$artifact</artifactId><version>1</version>
  <dependencyManagement><dependencies><dependency>
    <groupId>io.github.sshcontainer</groupId><artifactId>ssh-container-bom</artifactId>
    <version>$version</version><type>pom</type><scope>import</scope>
  </dependency></dependencies></dependencyManagement>
  <dependencies><dependency>
    <groupId>io.github.sshcontainer</groupId><artifactId>$artifact</artifactId>
  </dependency></dependencies>
</project>
POM
  mvn -B -ntp -q -f "$work/$artifact/pom.xml" dependency:build-classpath \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/$artifact/cp" >/dev/null
  tr ':' '\n' < "$work/$artifact/cp" | grep -v '^$' > "$work/$artifact/jars"
  jars=$(wc -l < "$work/$artifact/jars")
  mib=$(xargs -d '\n' stat -c %s < "$work/$artifact/jars" | awk '{s+=$1} END {printf "%.1f", s/1048576}')
  printf '| `%s` | %d | %s |\n' "$artifact" "$jars" "$mib"
done
