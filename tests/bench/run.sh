#!/usr/bin/env bash
# The chathulp benchmark: the relay ("ours"), the ceiling and the Node peer, side by side,
# in one invocation on this machine. See docs/performance.md.
#
#   tests/bench/run.sh            # full run (about 10 to 15 minutes)
#   tests/bench/run.sh --quick    # under 90 seconds once the binaries are built
#
# Options: --quick, --systems ours,ceiling,peer,ours-pg (default: the first three),
# --out DIR. `ours-pg` is the relay on the PostgreSQL store: a throwaway cluster
# (scripts/pg-cluster) pinned to CPU 0 with the relay, a fresh database per run, and only
# the chat scenario (what the store changes); its knee and p99 are reported beside ours.
#
# What it does:
#   1. builds target/release/{chathulp-relay,loadgen,ceiling} and runs `npm ci` for the
#      peer (tests/bench/peer, package-lock.json);
#   2. makes one ECDSA P-256 certificate (rcgen, via `ceiling gen-cert`) that all three
#      servers use;
#   3. for each system and scenario starts a fresh server pinned to CPU 0 (taskset -c 0)
#      and runs the load generator pinned to CPU 1 (taskset -c 1):
#        chat     conversations with both sides sending at stepped open-loop rates
#        idle     visitors connected and waiting (RSS per connection)
#        connect  new visitor sessions per second
#      plus, for the relay only, start-to-serving time with 100,000 stored conversations;
#   4. prints a table and writes summary.json (with ours/ceiling and ours/peer ratios)
#      next to every raw JSON result in the output folder.
#
# The relay runs as shipped (WAL, synchronous=FULL, group commit, every message stored
# before its ack) with a benchmark config: services open all day, counselor_capacity and
# max_queue high, and counselor accounts made with `chathulp-relay user add`. Everything
# runs on loopback. Every process this script starts is stopped on exit (trap), and every
# step has a time limit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="$ROOT/tests/bench"
MODE=full
SYSTEMS="ours,ceiling,peer"
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --systems) SYSTEMS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$BENCH/results/$STAMP-$MODE}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chathulp-bench.XXXXXX")"
SERVER_PID=""
PG_STARTED=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then stop_server; fi
  if [ -n "$PG_STARTED" ]; then "$ROOT/scripts/pg-cluster" stop "$WORK/pg" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- tools ----

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (server on CPU 0, load generator on CPU 1)" >&2
  exit 1
fi

# 10,000 idle visitors need 10,000 descriptors in the server and in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FDS="$(ulimit -n)"

log "building release binaries (load $(load))"
(cd "$ROOT" && cargo build --release --locked -q -p chathulp-relay -p chathulp-tests --bins)
RELAY="$ROOT/target/release/chathulp-relay"
LOADGEN="$ROOT/target/release/loadgen"
CEILING="$ROOT/target/release/ceiling"
log "npm ci for the peer"
(cd "$BENCH/peer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# ---- parameters ----

PASSWORD="bench-$RANDOM$RANDOM"
export LOADGEN_PASSWORD="$PASSWORD"
if [ "$MODE" = quick ]; then
  COUNSELORS=4
  CHAT_NS="1000"
  CHAT_RATES="1000,2000,4000,8000,16000,32000"
  CONNECT_RETRIES=0
  CHAT_TIMING=(--warmup-secs 0.3 --duration-secs 1 --drain-secs 1)
  CHAT_REFINE=0
  CHAT_STOP=1
  IDLE_COUNTS="1000"
  CONNECT_RATES="200,800,1600,6400"
  CONNECT_SECS=1
  STARTUP_RUNS=3
else
  COUNSELORS=10
  CHAT_NS="100 1000 10000"
  CHAT_RATES="125,250,500,1000,2000,4000,8000,16000,32000,64000"
  CHAT_TIMING=(--warmup-secs 1 --duration-secs 3 --drain-secs 2)
  CHAT_REFINE=2
  CHAT_STOP=2
  IDLE_COUNTS="1000,10000"
  CONNECT_RATES="50,100,200,400,800,1600,3200,6400,12800"
  CONNECT_SECS=3
  CONNECT_RETRIES=1
  STARTUP_RUNS=5
fi
if [ "$FDS" -lt 10500 ]; then
  log "ulimit -n is $FDS: idle stops at 1,000 connections"
  IDLE_COUNTS="1000"
fi
# Waiting visitors are spread over this many services in `idle` (see docs/performance.md:
# every hello sends a position update to every visitor waiting in the same queue).
IDLE_SERVICES=40
# The one step every chat run makes, failing or not: 1,000 conversations × 1 msg/s/side.
MUST_RATE=2000

# ---- ports and servers ----

free_port() {
  local p
  for p in $(seq 18440 18540); do
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"; return
    fi
  done
  echo "run.sh: no free port in 18440-18540" >&2; exit 1
}

# start_server NAME LOGFILE CMD...: starts CMD on CPU 0 and waits for "listening on".
start_server() {
  local name="$1" logfile="$2"; shift 2
  taskset -c 0 "$@" >"$logfile.out" 2>"$logfile" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    if grep -q "listening on" "$logfile" 2>/dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run.sh: $name exited at start:" >&2; tail -5 "$logfile" >&2; SERVER_PID=""; exit 1
    fi
    sleep 0.1
  done
  echo "run.sh: $name did not start in 30 s" >&2; exit 1
}

stop_server() {
  local pid="$SERVER_PID" i
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

CERT_DIR="$WORK/cert"
"$CEILING" gen-cert "$CERT_DIR" >/dev/null
CERT="$CERT_DIR/cert.pem"
KEY="$CERT_DIR/key.pem"

# service_ids N: caw,s2,s3,…,sN
service_ids() {
  local i ids=caw
  for i in $(seq 2 "$1"); do ids="$ids,s$i"; done
  echo "$ids"
}

# relay_config FILE PORT DATA_DIR SERVICES
relay_config() {
  local file="$1" port="$2" data="$3" services="$4" i id
  {
    echo "listen = \"127.0.0.1:$port\""
    echo "data_dir = \"$data\""
    echo "[tls]"
    echo "cert = \"$CERT\""
    echo "key = \"$KEY\""
    echo "[limits]"
    echo "counselor_capacity = 1000000"
    # The abuse limits are per visitor and per network, and all of this load comes from a
    # handful of loopback addresses: lift them, or the harness measures its own throttle.
    echo "visitor_messages_per_sec = 1000000"
    echo "visitor_message_burst = 1000000"
    echo "new_sessions_per_minute = 1000000000"
    echo "connections_per_network = 1000000"
    for i in $(seq 1 "$services"); do
      if [ "$i" -eq 1 ]; then id=caw; else id="s$i"; fi
      echo "[[services]]"
      echo "id = \"$id\""
      echo "name = \"Benchmark $id\""
      echo "email = \"info@caw.be\""
      echo "hours_text = \"dag en nacht (benchmark)\""
      echo "max_queue = 1000000"
      echo "hours = [{ days = \"mon-sun\", from = \"00:00\", to = \"24:00\" }]"
    done
  } >"$file"
}

# A data folder with the counselor accounts, copied for every relay run.
TEMPLATE="$WORK/relay-template"
mkdir -p "$TEMPLATE"
relay_config "$WORK/template.toml" 18439 "$TEMPLATE" 1
for i in $(seq 0 $((COUNSELORS - 1))); do
  echo "$PASSWORD" | "$RELAY" --config "$WORK/template.toml" user add "bench$i" --role counselor >/dev/null
done

RUN=0
# server SYSTEM SERVICES: starts a fresh server; sets PORT and SERVER_PID.
server() {
  local system="$1" services="${2:-1}"
  RUN=$((RUN + 1))
  PORT="$(free_port)"
  case "$system" in
    ours)
      local dir="$WORK/relay-$RUN"
      RELAY_DIR="$dir"
      cp -a "$TEMPLATE" "$dir"
      relay_config "$WORK/relay-$RUN.toml" "$PORT" "$dir" "$services"
      start_server ours "$OUT/ours-server-$RUN.log" "$RELAY" --config "$WORK/relay-$RUN.toml"
      ;;
    ours-pg)
      local dir="$WORK/relay-$RUN" db="bench_$RUN"
      RELAY_DIR="$dir"
      mkdir -p "$dir"
      psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
      PG_DB_URL="${PG_URL%/*}/$db?sslmode=require"
      relay_config "$WORK/relay-$RUN.toml" "$PORT" "$dir" "$services"
      printf '[store]\nbackend = "postgres"\nurl = "%s"\n' "$PG_DB_URL" >>"$WORK/relay-$RUN.toml"
      local i
      for i in $(seq 0 $((COUNSELORS - 1))); do
        echo "$PASSWORD" | "$RELAY" --config "$WORK/relay-$RUN.toml" user add "bench$i" --role counselor >/dev/null
      done
      start_server ours-pg "$OUT/ours-pg-server-$RUN.log" "$RELAY" --config "$WORK/relay-$RUN.toml"
      ;;
    ceiling)
      start_server ceiling "$OUT/ceiling-server-$RUN.log" \
        "$CEILING" serve --listen "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
      ;;
    peer)
      start_server peer "$OUT/peer-server-$RUN.log" \
        node "$BENCH/peer/server.js" --listen "127.0.0.1:$PORT" --cert "$CERT" --key "$KEY"
      ;;
  esac
}

# loadgen SYSTEM NAME LIMIT_SECS ARGS...: runs the load generator on CPU 1 against the
# current server; JSON to $OUT/SYSTEM-NAME.json, its log to .log.
loadgen() {
  local system="$1" name="$2" limit="$3"; shift 3
  log "$system $name (load $(load))"
  if ! timeout --signal=TERM --kill-after=10 "$limit" taskset -c 1 "$LOADGEN" \
      --addr "127.0.0.1:$PORT" --cert "$CERT" --pid "$SERVER_PID" --system "$system" "$@" \
      >"$OUT/$system-$name.json" 2>"$OUT/$system-$name.log"; then
    log "$system $name FAILED (see $OUT/$system-$name.log)"
    tail -3 "$OUT/$system-$name.log" >&2 || true
    rm -f "$OUT/$system-$name.json"
  fi
}

# ---- scenarios ----

run_system() {
  local system="$1" n rates timeout
  if [ "$system" = ours ]; then
    # The disk's fsync latency bounds a relay that syncs every message; a shared disk
    # shows up here (and as io_stall in every step).
    timeout 60 "$LOADGEN" fsync-probe --dir "$WORK" --count 1000 >"$OUT/fsync-probe.json" 2>/dev/null || true
  fi
  for n in $CHAT_NS; do
    server "$system"
    timeout=$([ "$MODE" = quick ] && echo 60 || echo 600)
    must=()
    [ "$n" = 1000 ] && must=(--must-total-rates "$MUST_RATE")
    loadgen "$system" "chat-$n" "$timeout" chat --conversations "$n" \
      --counselors "$COUNSELORS" --total-rates "$CHAT_RATES" --refine "$CHAT_REFINE" --stop-after-fails "$CHAT_STOP" \
      "${must[@]}" "${CHAT_TIMING[@]}"
    stop_server
    if [ "$system" = ours ]; then
      # Every acknowledged message must be in the database: count what is stored.
      sqlite3 "$RELAY_DIR/chathulp.db" "SELECT COUNT(*) FROM messages;" >"$OUT/ours-chat-$n.stored" || true
    elif [ "$system" = ours-pg ]; then
      psql -qtA "$PG_DB_URL" -c "SELECT COUNT(*) FROM messages" >"$OUT/ours-pg-chat-$n.stored" || true
    fi
  done
  # Waiting visitors and new sessions don't touch the store's write path: on SQLite only.
  [ "$system" = ours-pg ] && return 0

  server "$system" "$IDLE_SERVICES"
  loadgen "$system" idle "$([ "$MODE" = quick ] && echo 40 || echo 600)" \
    idle --counts "$IDLE_COUNTS" --services "$(service_ids "$IDLE_SERVICES")"
  stop_server

  if [ "$MODE" = full ]; then
    # The shipped shape: every visitor in one queue.
    server "$system" 1
    loadgen "$system" idle-one-queue 300 idle --counts 1000
    stop_server
  fi

  server "$system"
  loadgen "$system" connect "$([ "$MODE" = quick ] && echo 40 || echo 300)" \
    connect --rates "$CONNECT_RATES" --step-secs "$CONNECT_SECS" --retries "$CONNECT_RETRIES"
  stop_server
}

run_startup() {
  # Let the relay make its schema, then add 100,000 ended conversations (4 messages each).
  local dir="$WORK/startup" port
  cp -a "$TEMPLATE" "$dir"
  port="$(free_port)"
  relay_config "$WORK/startup.toml" "$port" "$dir" 1
  log "ours startup: empty database (load $(load))"
  timeout 120 "$LOADGEN" startup --runs "$STARTUP_RUNS" -- \
    taskset -c 0 "$RELAY" --config "$WORK/startup.toml" \
    >"$OUT/ours-startup-empty.json" 2>"$OUT/ours-startup-empty.log" || log "startup (empty) FAILED"
  log "ours startup: writing 100,000 ended conversations with sqlite3"
  sqlite3 "$dir/chathulp.db" >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO conversations (id, service, nickname, intake, counselor, queued_at_ms,
    started_at_ms, ended_at_ms, ended_by, resume_token_sha256)
SELECT printf('%032x', i), 'caw', 'bezoeker' || i, '{}', 'bench' || (i % 4),
    1790000000000 + i * 60000, 1790000000000 + i * 60000 + 30000,
    1790000000000 + i * 60000 + 1800000, 'visitor', lower(hex(randomblob(32)))
FROM n;
WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < 4)
INSERT INTO messages (conversation, seq, sender, client_id, body, at_ms)
SELECT c.id, s.k, CASE s.k % 2 WHEN 1 THEN 'visitor' ELSE 'counselor' END, 'c' || s.k,
    'bericht ' || s.k || ' in een afgesloten gesprek', c.started_at_ms + s.k * 1000
FROM conversations c, s;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  local stored
  stored="$(sqlite3 "$dir/chathulp.db" "SELECT COUNT(*) FROM conversations;")"
  log "ours startup: $stored stored conversations (load $(load))"
  timeout 120 "$LOADGEN" startup --runs "$STARTUP_RUNS" -- \
    taskset -c 0 "$RELAY" --config "$WORK/startup.toml" \
    >"$OUT/ours-startup-100k.json" 2>"$OUT/ours-startup-100k.log" || log "startup (100k) FAILED"
  echo "$stored" >"$OUT/ours-startup-100k.count"
}

STARTED=$(date +%s)
{
  echo "{"
  echo "  \"mode\": \"$MODE\","
  echo "  \"started\": \"$STAMP\","
  echo "  \"commit\": \"$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
  echo "  \"dirty\": $(cd "$ROOT" && [ -n "$(git status --porcelain 2>/dev/null)" ] && echo true || echo false),"
  echo "  \"nproc\": $(nproc),"
  echo "  \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\","
  echo "  \"kernel\": \"$(uname -r)\","
  echo "  \"node\": \"$(node --version)\","
  echo "  \"ulimit_n\": $FDS,"
  echo "  \"loadavg_start\": \"$(load)\","
  echo "  \"counselors\": $COUNSELORS,"
  echo "  \"idle_services\": $IDLE_SERVICES"
  echo "}"
} >"$OUT/run.json"

IFS=',' read -r -a WANT <<<"$SYSTEMS"
if [[ ",$SYSTEMS," == *,ours-pg,* ]]; then
  # The cluster runs as `postgres`, who must reach its folder.
  chmod 0755 "$WORK"
  PG_URL="$("$ROOT/scripts/pg-cluster" start "$WORK/pg")"
  PG_STARTED=1
  # The database is part of the server side: CPU 0, with the relay. Backends inherit it.
  taskset -a -cp 0 "$(head -1 "$WORK/pg/data/postmaster.pid")" >/dev/null
  log "PostgreSQL for ours-pg: $(psql -qtA "$PG_URL" -c 'SHOW server_version') (synchronous_commit $(psql -qtA "$PG_URL" -c 'SHOW synchronous_commit'))"
fi
for system in "${WANT[@]}"; do
  case "$system" in
    ours|ceiling|peer|ours-pg) run_system "$system" ;;
    *) echo "run.sh: unknown system $system" >&2; exit 2 ;;
  esac
  if [ "$system" = ours ]; then run_startup; fi
done

ELAPSED=$(( $(date +%s) - STARTED ))
echo "{\"loadavg_end\": \"$(load)\", \"elapsed_secs\": $ELAPSED}" >"$OUT/run-end.json"
node "$BENCH/report.js" "$OUT" | tee "$OUT/table.md"
log "done in ${ELAPSED}s; results in $OUT"
