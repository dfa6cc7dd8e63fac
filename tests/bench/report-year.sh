#!/usr/bin/env bash
# How long `chathulp-relay report` takes for a year of a busy service (issue 15: under
# 2 s). See docs/performance.md, "Reports".
#
#   tests/bench/report-year.sh           # 5 runs of each report, median and max
#   RUNS=9 tests/bench/report-year.sh
#
# It makes a SQLite store in a temporary folder with the relay's own migrations
# (`chathulp-relay user add`), then fills the anonymous counts (`tallies`) with sqlite3
# for 2026: both services open 09:00-23:00 every day of the year (far busier than the
# real hours), every hour with every metric and value the relay counts (docs/reports.md):
# hellos, both refusals, returning, all wait and duration buckets and sums, every age
# band, region and gender, both dossier values, every topic of the example config and
# every survey answer. Then it times each report with the release binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-5}"
command -v sqlite3 >/dev/null || { echo "report-year: needs sqlite3" >&2; exit 1; }

cargo build --release --locked -q -p chathulp-relay
relay="$PWD/target/release/chathulp-relay"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
config="$PWD/docs/relay.example.toml"
export CHATHULP_DATA_DIR="$dir"
echo "x-bench-password" | "$relay" --config "$config" user add bench --role admin \
  --password-stdin >/dev/null 2>&1 ||
  "$relay" --config "$config" user add bench --role admin >/dev/null 2>&1 || true
db="$dir/chathulp.db"
[ -f "$db" ] || { echo "report-year: the relay made no database in $dir" >&2; exit 1; }

# Every (metric, value) of one busy hour, with a count.
sqlite3 "$db" <<'SQL'
CREATE TEMP TABLE kinds (metric TEXT, value TEXT, n INTEGER);
INSERT INTO kinds VALUES
  ('hello', '', 14), ('refused', 'busy', 3), ('refused', 'closed', 1), ('returning', '', 4),
  ('served', '0-1', 2), ('served', '1-5', 5), ('served', '5-15', 3), ('served', '15-30', 1),
  ('served', '30-60', 1), ('served', '60+', 0), ('wait_ms', '', 4200000),
  ('left_queue', '0-1', 1), ('left_queue', '1-5', 1), ('left_queue', '5-15', 0),
  ('left_queue', '15-30', 0), ('left_queue', '30-60', 0), ('left_queue', '60+', 0),
  ('duration', '0-15', 3), ('duration', '15-30', 4), ('duration', '30-60', 4),
  ('duration', '60+', 1), ('duration_ms', '', 21600000),
  ('dossier', 'refused', 1), ('dossier', 'not_refused', 13),
  ('reveal', 'requested', 0), ('block', '', 0);
INSERT INTO kinds SELECT 'age', v, 2 FROM (SELECT '0-11' v UNION ALL SELECT '12-15'
  UNION ALL SELECT '16-17' UNION ALL SELECT '18-24' UNION ALL SELECT '25-34'
  UNION ALL SELECT '35-49' UNION ALL SELECT '50-64' UNION ALL SELECT '65+'
  UNION ALL SELECT 'niet_opgegeven');
INSERT INTO kinds SELECT 'region', v, 2 FROM (SELECT 'antwerpen' v UNION ALL SELECT 'limburg'
  UNION ALL SELECT 'oost_vlaanderen' UNION ALL SELECT 'vlaams_brabant'
  UNION ALL SELECT 'west_vlaanderen' UNION ALL SELECT 'brussel' UNION ALL SELECT 'elders'
  UNION ALL SELECT 'undisclosed' UNION ALL SELECT 'niet_opgegeven');
INSERT INTO kinds SELECT 'gender', v, 3 FROM (SELECT 'female' v UNION ALL SELECT 'male'
  UNION ALL SELECT 'x' UNION ALL SELECT 'undisclosed' UNION ALL SELECT 'niet_opgegeven');
INSERT INTO kinds SELECT 'topic', v, 1 FROM (SELECT 'Relaties en gezin' v
  UNION ALL SELECT 'Psychisch welzijn' UNION ALL SELECT 'Zelfdoding'
  UNION ALL SELECT 'Geweld en misbruik' UNION ALL SELECT 'Verslaving'
  UNION ALL SELECT 'Geld en schulden' UNION ALL SELECT 'Wonen' UNION ALL SELECT 'School en werk'
  UNION ALL SELECT 'Seksualiteit' UNION ALL SELECT 'Eenzaamheid' UNION ALL SELECT 'Andere');
INSERT INTO kinds SELECT 'survey', 'helped=' || v, 1 FROM (SELECT '1' v UNION ALL SELECT '2'
  UNION ALL SELECT '3' UNION ALL SELECT '4' UNION ALL SELECT '5');
-- 2026, 09:00-23:00 Brussels is about 08:00-22:00 UTC: 14 hours a day, both services.
WITH RECURSIVE hours(h) AS (
  SELECT 1767225600000
  UNION ALL SELECT h + 3600000 FROM hours WHERE h + 3600000 < 1798761600000
)
INSERT INTO tallies (service, hour_ms, metric, value, n)
SELECT s.service, hours.h, k.metric, k.value, k.n
FROM hours, kinds k, (SELECT 'caw' service UNION ALL SELECT 'jac') s
WHERE (hours.h / 3600000) % 24 BETWEEN 8 AND 21 AND k.n > 0;
SQL
rows=$(sqlite3 "$db" "SELECT COUNT(*) FROM tallies")
echo "report-year: $rows count rows for 2026, two services, 14 hours a day"

time_report() {
  local label="$1"; shift
  local times=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N)
    "$relay" --config "$config" report --from 2026-01-01 --to 2026-12-31 "$@" --out "$dir/out" \
      2>/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  local median max
  median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
  max=$(echo "$sorted" | tail -1)
  printf '| %s | %s ms | %s ms | %s KiB |\n' "$label" "$median" "$max" \
    "$(( $(stat -c %s "$dir/out") / 1024 ))"
}

echo
echo "| report of 2026 (a year) | median of $RUNS | max | output |"
echo "|---|---:|---:|---:|"
time_report "jac, by day, html" --service jac --by day --format html
time_report "jac, by week, html" --service jac --by week --format html
time_report "both services, by month, html" --by month --format html
time_report "both services, by day, json" --by day --format json
time_report "both services, by hour, csv" --by hour --format csv
