#!/usr/bin/env bash
# Runs every test against real components (sshd, dockerd, containerd started by the lab).
# As root it first installs what is missing from Debian's packages; otherwise it names them.
# Usage: scripts/test.sh [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's Maven 3.8.7 (jansi 2.4) writes ESC[0m when it exits, under -B and -q too, and
# -Dstyle.color=never does not stop it; this JVM property does
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
scripts/install-deps.sh
mvn -B -ntp verify "$@"
# a library user's first project, outside the reactor, against the installed artifacts:
# the README's programs, the enforcer rules (one version of each library, no duplicate class)
mvn -B -ntp -q install -DskipTests
mvn -B -ntp -f consumer-test/pom.xml verify
# the same programs and tests in a Spring Boot 3.5 project (Boot's versions, Testcontainers 1.21)
mvn -B -ntp -f consumer-spring/pom.xml verify
# two clean builds of the published jars give the same bytes
scripts/check-reproducible.sh
# the Maven Central staging bundle: complete, SBOMs, checksums, signed with a throwaway key
scripts/check-release.sh
