#!/usr/bin/env bash
# What the Prometheus metrics cost the relay at the chat knee: the relay with metrics off
# (no [metrics] listen: every increment is one relaxed load) and on (a metrics listener,
# scraped every second, 15 times as often as the shipped Prometheus config), side by
# side in one invocation, alternating off/on for ROUNDS rounds. Same set-up as
# tests/bench/run.sh --quick: relay on CPU 0, load generator on CPU 1, 1,000
# conversations, both sides sending at stepped rates, knee = highest delivered rate with
# p99 <= 50 ms. See docs/performance.md, "What the metrics cost".
#
#   tests/bench/metrics-cost.sh            # 2 rounds
#   ROUNDS=3 tests/bench/metrics-cost.sh
#   FIXED=4000 RATES=2000,4000,6000,8000 tests/bench/metrics-cost.sh
#
# Besides the knee it prints the server CPU per message at one fixed offered rate that
# every run passes (FIXED, default 4000 msgs/s): the knee moves in rate steps, and CPU per
# message depends on the rate (batching), so the like-for-like cost is CPU at one rate.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ROUNDS="${ROUNDS:-2}"
RATES="${RATES:-2000,4000,8000,12000,16000,24000}"
FIXED="${FIXED:-4000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/chathulp-metrics-cost.XXXXXX")"
SERVER_PID=""
SCRAPER_PID=""
cleanup() {
  [ -z "$SCRAPER_PID" ] || kill "$SCRAPER_PID" 2>/dev/null || true
  [ -z "$SERVER_PID" ] || kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[metrics-cost %s] %s\n' "$(date +%T)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
command -v curl >/dev/null && command -v node >/dev/null && command -v taskset >/dev/null \
  || { echo "needs curl, node and taskset" >&2; exit 1; }

log "building release binaries (load $(load))"
(cd "$ROOT" && cargo build --release --locked -q -p chathulp-relay -p chathulp-tests --bins)
RELAY="$ROOT/target/release/chathulp-relay"
LOADGEN="$ROOT/target/release/loadgen"
"$ROOT/target/release/ceiling" gen-cert "$WORK/cert" >/dev/null
export LOADGEN_PASSWORD="bench-$RANDOM$RANDOM"
PORT=18461
MPORT=18462

config() { # FILE DATA METRICS(0|1)
  {
    echo "listen = \"127.0.0.1:$PORT\""
    echo "data_dir = \"$2\""
    echo "[tls]"
    echo "cert = \"$WORK/cert/cert.pem\""
    echo "key = \"$WORK/cert/key.pem\""
    if [ "$3" = 1 ]; then echo "[metrics]"; echo "listen = \"127.0.0.1:$MPORT\""; fi
    echo "[limits]"
    echo "counselor_capacity = 1000000"
    echo "visitor_messages_per_sec = 1000000"
    echo "visitor_message_burst = 1000000"
    echo "new_sessions_per_minute = 1000000000"
    echo "connections_per_network = 1000000"
    echo "[[services]]"
    echo "id = \"caw\""
    echo "name = \"Benchmark\""
    echo "email = \"info@caw.be\""
    echo "hours_text = \"altijd\""
    echo "max_queue = 1000000"
    echo "hours = [{ days = \"mon-sun\", from = \"00:00\", to = \"24:00\" }]"
  } >"$1"
}
mkdir -p "$WORK/template"
config "$WORK/template.toml" "$WORK/template" 0
for i in 0 1 2 3; do
  echo "$LOADGEN_PASSWORD" | "$RELAY" --config "$WORK/template.toml" user add "bench$i" --role counselor >/dev/null
done

echo "load at start: $(uptime)"
RESULTS="$WORK/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    dir="$WORK/data-$round-$mode"
    cp -a "$WORK/template" "$dir"
    metrics=0; [ "$mode" = on ] && metrics=1
    config "$WORK/relay-$round-$mode.toml" "$dir" "$metrics"
    taskset -c 0 "$RELAY" --config "$WORK/relay-$round-$mode.toml" 2>"$WORK/relay.log" >/dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 300); do grep -q "listening on" "$WORK/relay.log" && break; sleep 0.1; done
    if [ "$mode" = on ]; then
      (while :; do curl -fsS "http://127.0.0.1:$MPORT/metrics" >/dev/null || true; sleep 1; done) &
      SCRAPER_PID=$!
    fi
    log "round $round, metrics $mode (load $(load))"
    timeout 120 taskset -c 1 "$LOADGEN" --addr "127.0.0.1:$PORT" --cert "$WORK/cert/cert.pem" \
      --pid "$SERVER_PID" --system ours chat --conversations 1000 --counselors 4 \
      --total-rates "$RATES" --refine 0 --stop-after-fails 1 \
      --warmup-secs 0.3 --duration-secs 1 --drain-secs 1 >"$WORK/chat.json" 2>"$WORK/chat.log" \
      || log "loadgen failed: $(tail -2 "$WORK/chat.log")"
    if [ -n "$SCRAPER_PID" ]; then
      curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep -E '^chathulp_(messages_stored_total|store_commit_seconds_count) ' >&2 || true
      kill "$SCRAPER_PID" 2>/dev/null || true; wait "$SCRAPER_PID" 2>/dev/null || true; SCRAPER_PID=""
    fi
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const k = r.knee || {};
      const at = (r.steps || []).filter((s) => Math.abs(s.offered_msgs_per_s - Number(process.argv[4])) < 1e-6);
      const f = at.length ? at[at.length - 1] : null;
      const us = (x) => (x ? (x * 1e6).toFixed(1) : "-");
      console.log([process.argv[2], process.argv[3], Math.round(k.msgs_per_s || 0),
        k.p99_ms ?? "-", us(k.cpu_s_per_msg), f ? us(f.server_cpu_s_per_msg) : "-",
        f && f.e2e ? f.e2e.p99_ms : "-"].join("\t"));
    ' "$WORK/chat.json" "$round" "$mode" "$FIXED" >>"$RESULTS"
  done
done
echo "load at end: $(uptime)"
echo
echo "| round | metrics | chat knee, msgs/s | p99 at the knee, ms | CPU/msg at the knee, µs | CPU/msg at $FIXED msgs/s, µs | p99 at $FIXED msgs/s, ms |"
echo "|---:|---|---:|---:|---:|---:|---:|"
while IFS=$'\t' read -r round mode knee p99 cpu fcpu fp99; do
  echo "| $round | $mode | $knee | $p99 | $cpu | $fcpu | $fp99 |"
done <"$RESULTS"
# The like-for-like figure: mean CPU per message at FIXED, on against off.
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
  const mean = (m) => { const v = rows.filter((r) => r[1] === m && r[5] !== "-").map((r) => Number(r[5])); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; };
  const off = mean("off"), on = mean("on");
  if (off && on) console.log(`\nCPU per message at ${process.argv[2]} msgs/s: off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs, metrics cost ${(((on - off) / off) * 100).toFixed(1)} %`);
' "$RESULTS" "$FIXED"
