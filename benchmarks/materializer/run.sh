#!/usr/bin/env bash
# Materializer load drivers. Usage (from the repo root):
#   benchmarks/materializer/run.sh catchup [events=2000000]
#   benchmarks/materializer/run.sh soak [events=1000000] [kills=10] [workDir]
#   benchmarks/materializer/run.sh latency [rate=20000] [seconds=60] [flushAgeMillis=5000]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B -DskipTests package -pl benchmarks -am
CP="benchmarks/target/quiver-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
JAVA_OPTS="--add-opens=java.base/java.nio=ALL-UNNAMED -Darrow.allocation.manager.type=Unsafe"
case "${1:-}" in
  catchup) shift; exec java $JAVA_OPTS -Xmx3g -cp "$CP" dev.quiver.benchmarks.materializer.MaterializerCatchUp "$@" ;;
  soak)    shift; exec java $JAVA_OPTS -Xmx3g -cp "$CP" dev.quiver.benchmarks.materializer.MaterializerSoak "$@" ;;
  latency) shift; exec java $JAVA_OPTS -Xmx3g -cp "$CP" dev.quiver.benchmarks.materializer.ProduceToOnlineLatency "$@" ;;
  *) echo "usage: $0 catchup|soak|latency [args]" >&2; exit 2 ;;
esac
