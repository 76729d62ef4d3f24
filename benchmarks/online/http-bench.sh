#!/usr/bin/env bash
# HTTP load on the online feature server, beside a bare Vert.x JSON echo, on loopback.
#
#   benchmarks/online/http-bench.sh [seconds=10] [runs=3] [connections=50] [threads=2]
#
# 1. builds the benchmarks jar when missing, installs wrk with apt when missing;
# 2. starts OnlineBenchServer (1M entities x 10 features, written once to
#    /tmp/quiver-online-bench, plus a JSON echo on another port);
# 3. wrk (max throughput, --latency): echo, 1 entity x 10 features, 100 x 10, each `runs` times,
#    reporting the median req/s, p50 and p99;
# 4. constant-rate load (OpenLoopLoad, latency from the due time): 1 x 10 at half the measured
#    1 x 10 throughput, and 100 x 10 at 500 req/s, for the issue's p99 targets; then the echo at
#    the same rate (the driver's own floor) and both lookups at a light rate.
set -euo pipefail

SECONDS_PER_RUN=${1:-10}
RUNS=${2:-3}
CONNECTIONS=${3:-50}
THREADS=${4:-2}
PORT=${PORT:-16566}
ECHO_PORT=${ECHO_PORT:-16567}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
JAR=benchmarks/target/quiver-benchmarks-0.1.0-SNAPSHOT.jar
CP="$JAR:benchmarks/target/lib/*"
if [ ! -f "$JAR" ]; then
  mvn -q -B -DskipTests package -pl benchmarks -am
fi
if ! command -v wrk > /dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2> /dev/null || true; wait "$SERVER_PID" 2> /dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# request bodies: 1000 of each kind, random entities among the 1M
python3 - "$WORK" <<'PY'
import json, random, sys
random.seed(11)
work = sys.argv[1]
feats = ["user_stats:" + f for f in ["f_float_0", "f_float_1", "f_float_2", "f_float_3", "f_double_0",
         "f_double_1", "f_long_0", "f_long_1", "f_long_2", "f_string"]]
def body(n):
    return json.dumps({"features": feats, "entities": {"user_id": [random.randrange(1_000_000) for _ in range(n)]}})
for name, n in (("lookup1", 1), ("lookup100", 100)):
    with open(f"{work}/{name}.txt", "w") as f:
        for _ in range(1000):
            f.write(body(n) + "\n")
# the echo gets bodies of the 1-entity request's size and shape
with open(f"{work}/echo.txt", "w") as f:
    for _ in range(1000):
        f.write(body(1) + "\n")
PY

java -Xmx2g -cp "$CP" dev.quiver.benchmarks.online.OnlineBenchServer "$PORT" "$ECHO_PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 900); do
  grep -q READY "$WORK/server.log" 2> /dev/null && break
  if ! kill -0 "$SERVER_PID" 2> /dev/null; then cat "$WORK/server.log"; exit 1; fi
  sleep 1
done
grep READY "$WORK/server.log"
echo "cores: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# wrk prints latencies as 812.00us / 1.23ms / 1.02s: to milliseconds
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }

run_wrk() { # name url
  local name=$1 url=$2
  BODIES="$WORK/$name.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
    -s benchmarks/online/bodies.lua "$url" > "$WORK/wrk-$name.out"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$name.out")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk-$name.out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk-$name.out" | to_ms)
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-$name.out")
  echo "$name $rps $p50 $p99 ${non2xx:-0}" >> "$WORK/results.txt"
  echo "wrk $name: req/s=$rps p50_ms=$p50 p99_ms=$p99 non2xx=${non2xx:-0}"
}

# warm up the JIT of both servers
BODIES="$WORK/echo.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s benchmarks/online/bodies.lua "http://127.0.0.1:$ECHO_PORT/echo" > /dev/null
BODIES="$WORK/lookup1.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s benchmarks/online/bodies.lua "http://127.0.0.1:$PORT/get-online-features" > /dev/null
BODIES="$WORK/lookup100.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s benchmarks/online/bodies.lua "http://127.0.0.1:$PORT/get-online-features" > /dev/null

for run in $(seq 1 "$RUNS"); do
  run_wrk echo "http://127.0.0.1:$ECHO_PORT/echo"
  run_wrk lookup1 "http://127.0.0.1:$PORT/get-online-features"
  run_wrk lookup100 "http://127.0.0.1:$PORT/get-online-features"
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "== wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s, median of $RUNS runs =="
printf "%-10s %12s %9s %9s\n" what req/s p50_ms p99_ms
for name in echo lookup1 lookup100; do
  rps=$(awk -v n=$name '$1==n {print $2}' "$WORK/results.txt" | median)
  p50=$(awk -v n=$name '$1==n {print $3}' "$WORK/results.txt" | median)
  p99=$(awk -v n=$name '$1==n {print $4}' "$WORK/results.txt" | median)
  printf "%-10s %12s %9s %9s\n" "$name" "$rps" "$p50" "$p99"
  eval "RPS_$name=$rps"
done
echo "lookup1/echo throughput ratio: $(awk -v a="$RPS_lookup1" -v b="$RPS_echo" 'BEGIN {printf "%.2f", a/b}') (target >= 0.5)"

HALF=$(awk -v a="$RPS_lookup1" 'BEGIN {printf "%d", a/2}')
echo
echo "== constant rate, latency from due time (OpenLoopLoad, ${SECONDS_PER_RUN}s, $CONNECTIONS connections) =="
echo -n "lookup1 at $HALF req/s (half the 1x10 max): "
java -cp "$CP" dev.quiver.benchmarks.online.OpenLoopLoad "http://127.0.0.1:$PORT/get-online-features" \
  "$WORK/lookup1.txt" "$HALF" "$SECONDS_PER_RUN" "$CONNECTIONS"
echo "  (target p99 <= 2 ms)"
echo -n "lookup100 at 500 req/s: "
java -cp "$CP" dev.quiver.benchmarks.online.OpenLoopLoad "http://127.0.0.1:$PORT/get-online-features" \
  "$WORK/lookup100.txt" 500 "$SECONDS_PER_RUN" "$CONNECTIONS"
echo "  (target p99 <= 5 ms)"
echo -n "echo at $HALF req/s (the floor of the driver and the host at that rate): "
java -cp "$CP" dev.quiver.benchmarks.online.OpenLoopLoad "http://127.0.0.1:$ECHO_PORT/echo" \
  "$WORK/echo.txt" "$HALF" "$SECONDS_PER_RUN" "$CONNECTIONS"
echo -n "lookup1 at 1000 req/s (light load): "
java -cp "$CP" dev.quiver.benchmarks.online.OpenLoopLoad "http://127.0.0.1:$PORT/get-online-features" \
  "$WORK/lookup1.txt" 1000 "$SECONDS_PER_RUN" "$CONNECTIONS"
echo -n "lookup100 at 100 req/s (light load): "
java -cp "$CP" dev.quiver.benchmarks.online.OpenLoopLoad "http://127.0.0.1:$PORT/get-online-features" \
  "$WORK/lookup100.txt" 100 "$SECONDS_PER_RUN" "$CONNECTIONS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
