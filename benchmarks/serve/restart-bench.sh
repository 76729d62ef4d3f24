#!/usr/bin/env bash
# Restart benchmark: how soon a `quiver serve` killed with SIGKILL materializes again.
#
#   benchmarks/serve/restart-bench.sh [kills=5] [workDir=$(mktemp -d)]
#
# Builds the CLI through bin/quiver (a plain `mvn package`, so it works on a fresh clone), writes
# the example repo with `quiver init`, applies it and starts `quiver serve` (embedded broker) on a
# free port. Then, `kills` times: push a row and wait until it is online (the server materializes),
# `kill -9` the server, start it again and, as soon as its HTTP port answers, push a row with a new
# value and time how long until a lookup returns it ("produce to online after the restart"). Also
# prints the time from the restart to the HTTP port answering, and from the restart to that row
# being online. Prints the median of the produce-to-online figures at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kills="${1:-5}"
work="${2:-$(mktemp -d -t quiver-restart-bench.XXXXXX)}"
repo="$work/repo"
quiver="$root/bin/quiver"

now_ms() { date +%s%3N; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

echo "building / checking the CLI..." >&2
"$quiver" --version >/dev/null
rm -rf "$repo"
"$quiver" init "$repo" >/dev/null
"$quiver" apply -r "$repo" >/dev/null
port="$(free_port)"
url="http://127.0.0.1:$port"

pid=""
start_server() {
  "$quiver" serve -r "$repo" --port "$port" >>"$work/serve.log" 2>&1 &
  pid=$!
}

wait_http() {
  local deadline=$(( $(now_ms) + 120000 ))
  until curl -s -o /dev/null "$url/health"; do
    if [ "$(now_ms)" -gt "$deadline" ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "the server did not answer; see $work/serve.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

# push_row N: a row for driver 1001 with avg_daily_trips = N at the current time.
push_row() {
  local ts
  ts="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  curl -s -f -o /dev/null "$url/push" -H 'content-type: application/json' -d '{"feature_view": "driver_hourly_stats",
    "to": "online_and_offline", "df": {"driver_id": [1001], "event_timestamp": ["'"$ts"'"],
    "conv_rate": [0.5], "acc_rate": [0.5], "avg_daily_trips": ['"$1"']}}'
}

# wait_online N: until the lookup of driver 1001 returns avg_daily_trips = N (at most 180 s).
wait_online() {
  local deadline=$(( $(now_ms) + 180000 ))
  while true; do
    if curl -s "$url/get-online-features" -H 'content-type: application/json' \
        -d '{"features": ["driver_hourly_stats:avg_daily_trips"], "entities": {"driver_id": [1001]}}' \
        | tr -d ' \n' | grep -q "\"values\":\[$1\]"; then
      return 0
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "row $1 not online within 180 s; see $work/serve.log" >&2
      exit 1
    fi
    sleep 0.02
  done
}

cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

start_server
wait_http
seq=1000
push_row "$seq"
wait_online "$seq"
echo "serving at $url, work dir $work"

figures=()
for i in $(seq 1 "$kills"); do
  # Something materialized by this very process before the kill.
  seq=$((seq + 1)); push_row "$seq"; wait_online "$seq"
  sleep 1
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  t_restart="$(now_ms)"
  start_server
  wait_http
  t_http="$(now_ms)"
  seq=$((seq + 1))
  t_push="$(now_ms)"
  push_row "$seq"
  wait_online "$seq"
  t_online="$(now_ms)"
  p2o=$((t_online - t_push))
  figures+=("$p2o")
  echo "kill $i: restart to HTTP up $((t_http - t_restart)) ms, produce to online $p2o ms, restart to online $((t_online - t_restart)) ms"
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
sorted=($(printf '%s\n' "${figures[@]}" | sort -n))
echo "median produce to online after a kill -9 restart: ${sorted[$(( ${#sorted[@]} / 2 ))]} ms (of ${#sorted[@]}: ${sorted[*]})"
