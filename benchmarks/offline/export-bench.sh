#!/usr/bin/env bash
# Quiver training-set export vs DuckDB ASOF LEFT JOIN on the same Parquet files (one JVM).
# Usage: benchmarks/offline/export-bench.sh [dir] [spineRows] [featureRows] [views] [entities] [runs]
# Run from the repository root. Data are generated once per size under <dir> and reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${1:-/tmp/quiver-export-bench}
mvn -q -B -DskipTests package -pl benchmarks -am
java -Xmx${XMX:-6g} --add-opens=java.base/java.nio=ALL-UNNAMED -Darrow.allocation.manager.type=Unsafe \
  -cp 'benchmarks/target/quiver-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
  dev.quiver.benchmarks.offline.ExportBenchmark "$DIR" "${2:-1000000}" "${3:-10000000}" "${4:-1}" "${5:-100000}" "${6:-3}"
