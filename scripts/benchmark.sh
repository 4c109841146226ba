#!/usr/bin/env bash
# Runs the side-by-side benchmark (direct socket, OpenSSH ssh -L, this tunnel; loopback and a
# 20 ms round trip). Not a pass/fail test. Usage: scripts/benchmark.sh [--quick] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests install -pl benchmark -am
cp_file=benchmark/target/classpath.txt
mvn -q -B -pl benchmark dependency:build-classpath -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
exec java -Xms512m -Xmx2g -cp "benchmark/target/classes:$(cat "$cp_file")" \
  io.github.sshcontainer.benchmark.TunnelBenchmark "$@"
