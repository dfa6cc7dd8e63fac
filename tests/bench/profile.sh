#!/usr/bin/env bash
# Profiles the release relay under the load generator (docs/performance.md, "The profile
# of this round"). Loopback only, bounded in time; results go to a temporary folder that
# is printed at the end.
#
#   tests/bench/profile.sh callgrind chat      # instructions, 100 conversations at 150 msgs/s
#   tests/bench/profile.sh callgrind connect   # instructions, 20 sessions/s
#   tests/bench/profile.sh perf chat           # time incl. kernel, 1,000 conversations at 8,000 msgs/s
#   tests/bench/profile.sh perf connect        # time incl. kernel, 1,600 sessions/s
#
# Needs valgrind (callgrind_control, callgrind_annotate) or perf, and taskset. The relay
# runs pinned to CPU 0 and the load generator to CPU 1, as in run.sh.
#
#   METRICS=1 tests/bench/profile.sh callgrind chat   # with a [metrics] listener,
#                                                     # scraped every second
#
# Run once without and once with METRICS=1 to count what the metrics cost a message:
# instructions are repeatable where wall-clock knees are not (docs/performance.md).
set -euo pipefail
TOOL="${1:?callgrind or perf}"
MODE="${2:?chat or connect}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
(cd "$ROOT" && cargo build --release --locked -q -p chathulp-relay -p chathulp-tests --bins)
R="$ROOT/target/release"
D="$(mktemp -d "${TMPDIR:-/tmp}/chathulp-profile.XXXXXX")"
mkdir -p "$D/data"
"$R/ceiling" gen-cert "$D/cert" >/dev/null
PORT=18777
cat >"$D/relay.toml" <<TOML
listen = "127.0.0.1:$PORT"
data_dir = "$D/data"
[tls]
cert = "$D/cert/cert.pem"
key = "$D/cert/key.pem"
[limits]
counselor_capacity = 1000000
visitor_messages_per_sec = 1000000
visitor_message_burst = 1000000
new_sessions_per_minute = 1000000000
connections_per_network = 1000000
$([ -n "${METRICS:-}" ] && printf '[metrics]\nlisten = "127.0.0.1:18778"\n')
[[services]]
id = "caw"
name = "Profile caw"
email = "info@caw.be"
hours_text = "dag en nacht"
max_queue = 1000000
hours = [{ days = "mon-sun", from = "00:00", to = "24:00" }]
TOML
export LOADGEN_PASSWORD="profile-$RANDOM$RANDOM"
for i in 0 1 2 3; do
  echo "$LOADGEN_PASSWORD" | "$R/chathulp-relay" --config "$D/relay.toml" user add "bench$i" --role counselor >/dev/null
done

case "$TOOL" in
  callgrind) taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$D/callgrind.%p" \
               "$R/chathulp-relay" --config "$D/relay.toml" >/dev/null 2>"$D/relay.log" & ;;
  perf) taskset -c 0 "$R/chathulp-relay" --config "$D/relay.toml" >/dev/null 2>"$D/relay.log" & ;;
  *) echo "profile.sh: unknown tool $TOOL" >&2; exit 2 ;;
esac
RELAY=$!
trap 'kill -TERM $RELAY 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do grep -q "listening on" "$D/relay.log" 2>/dev/null && break; sleep 0.1; done

case "$MODE:$TOOL" in
  chat:callgrind) ARGS=(chat --conversations 100 --counselors 4 --total-rates 150 --warmup-secs 1 --duration-secs 10 --drain-secs 2 --retries 0) ;;
  chat:perf) ARGS=(chat --conversations 1000 --counselors 4 --total-rates 8000 --warmup-secs 1 --duration-secs 8 --drain-secs 2 --retries 0) ;;
  connect:callgrind) ARGS=(connect --rates 20 --step-secs 10 --retries 0) ;;
  connect:perf) ARGS=(connect --rates 1600 --step-secs 6 --retries 0) ;;
  *) echo "profile.sh: unknown scenario $MODE" >&2; exit 2 ;;
esac
timeout 300 taskset -c 1 "$R/loadgen" --addr "127.0.0.1:$PORT" --cert "$D/cert/cert.pem" \
  --pid "$RELAY" --system ours "${ARGS[@]}" >"$D/loadgen.json" 2>"$D/loadgen.log" &
LOADGEN=$!
SCRAPER=""
if [ -n "${METRICS:-}" ]; then
  (while :; do curl -fsS http://127.0.0.1:18778/metrics >/dev/null 2>&1 || true; sleep 1; done) &
  SCRAPER=$!
fi
# Measure the steps only, not the set-up (chat) or from the first session (connect).
if [ "$MODE" = chat ]; then
  for _ in $(seq 1 600); do grep -q "set up in" "$D/loadgen.log" 2>/dev/null && break; sleep 0.2; done
fi
if [ "$TOOL" = callgrind ]; then
  callgrind_control -z "$RELAY" >/dev/null
  wait "$LOADGEN" || true
  callgrind_control -d "$RELAY" >/dev/null
else
  perf record -e cpu-clock -F 1000 -g -p "$RELAY" -o "$D/perf.data" -- sleep 5 >/dev/null 2>&1
  wait "$LOADGEN" || true
fi
[ -z "$SCRAPER" ] || { kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; }
kill -TERM "$RELAY"; wait "$RELAY" || true
trap - EXIT
tail -2 "$D/loadgen.log"
echo "messages stored: $(sqlite3 "$D/data/chathulp.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo '?')"
if [ "$TOOL" = callgrind ]; then
  echo "read with: callgrind_annotate --inclusive=yes $(ls "$D"/callgrind.*.1 2>/dev/null | head -1)"
else
  echo "read with: perf report -i $D/perf.data --stdio --no-children --sort sym"
fi
