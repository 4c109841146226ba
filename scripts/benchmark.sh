#!/usr/bin/env bash
# Side-by-side benchmarks; not pass/fail tests.
#   scripts/benchmark.sh [tunnel|docker|containerd|cli|gateway|all] [--quick]
# tunnel: direct socket vs OpenSSH ssh -L vs this tunnel (loopback and 20 ms RTT)
# docker: docker CLI over ssh:// vs ssh -L + docker-java vs SshDocker (needs root for dockerd)
# containerd: live task output latency through the FIFOs carried over SSH (needs root)
# cli: start times of the distribution's jar (--help, tunnel -- true)
# gateway: ssh gateway true against ssh host docker run --rm (loopback and 20 ms RTT), logins/s
#   with 8 clients, memory per open connection, keystroke to echo: ssh -tt against the web
#   terminal (GatewayBenchmark --only keystrokes runs that part alone)
# JSON goes to benchmark/target/*.json.
set -euo pipefail
# Debian's Maven 3.8.7 writes ESC[0m at exit even under -q; see test.sh
export MAVEN_OPTS="-Djansi.noreset=true${MAVEN_OPTS:+ $MAVEN_OPTS}"
cd "$(dirname "$0")/.."
what=all
case "${1:-}" in tunnel|docker|containerd|cli|gateway|all) what=$1; shift ;; esac
mvn -q -B -ntp -DskipTests install -pl benchmark -am
cp_file=benchmark/target/classpath.txt
mvn -q -B -ntp -pl benchmark dependency:build-classpath -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
run() {
  java -Xms512m -Xmx2g -cp "benchmark/target/classes:$(cat "$cp_file")" "$@"
}
if [ "$what" = tunnel ] || [ "$what" = all ]; then
  run io.github.sshcontainer.benchmark.TunnelBenchmark "$@"
fi
if [ "$what" = docker ] || [ "$what" = all ]; then
  run io.github.sshcontainer.benchmark.DockerBenchmark "$@"
fi
if [ "$what" = cli ] || [ "$what" = all ]; then
  mvn -q -B -ntp -DskipTests package -pl cli -am
  run io.github.sshcontainer.benchmark.CliBenchmark "$@"
fi
if [ "$what" = containerd ] || [ "$what" = all ]; then
  run io.github.sshcontainer.benchmark.ContainerdBenchmark "$@"
fi
if [ "$what" = gateway ] || [ "$what" = all ]; then
  run io.github.sshcontainer.benchmark.GatewayBenchmark "$@"
fi
