// Summarises one tests/bench/run.sh output folder: prints a Markdown table (ours, the
// ceiling, the peer, ratios, targets) and writes summary.json next to the raw results.
//
//   node tests/bench/report.js tests/bench/results/<run>
'use strict';

const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node report.js RESULTS_DIR');
  process.exit(2);
}

function read(name) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const run = read('run.json') || {};
const runEnd = read('run-end.json') || {};
const SYSTEMS = ['ours', 'ceiling', 'peer'];

function chatNs() {
  const ns = new Set();
  for (const f of fs.readdirSync(dir)) {
    const m = /^(ours-pg|ours|ceiling|peer)-chat-(\d+)\.json$/.exec(f);
    if (m) ns.add(Number(m[2]));
  }
  return [...ns].sort((a, b) => a - b);
}

function stepAt(chat, total) {
  if (!chat) return null;
  // The last attempt at that rate is the one that counts.
  const at = chat.steps.filter((s) => Math.abs(s.offered_msgs_per_s - total) < 1e-6 && s.counted !== false);
  return at.length ? at[at.length - 1] : null;
}

// Per system: every number the table needs.
function collect(system) {
  const r = { system, chat: {} };
  for (const n of chatNs()) {
    const chat = read(`${system}-chat-${n}.json`);
    if (!chat) continue;
    const knee = chat.knee;
    const at1 = n === 1000 ? stepAt(chat, 2000) : null;
    const at1000 = stepAt(chat, 1000);
    r.chat[n] = {
      knee_msgs_per_s: knee ? knee.msgs_per_s : 0,
      knee_p99_ms: knee ? knee.p99_ms : null,
      knee_cpu_us_per_msg: knee && knee.cpu_s_per_msg != null ? knee.cpu_s_per_msg * 1e6 : null,
      // The knee is only a lower bound when no step failed or the load generator was
      // the busier side.
      knee_lower_bound: knee ? Boolean(knee.passed_every_step || knee.loadgen_saturated) : false,
      first_failing_total: chat.first_failing_per_side_rate != null ? chat.first_failing_per_side_rate * 2 * n : null,
      p99_at_1000_msgs_ms: at1000 ? at1000.e2e.p99_ms : null,
      p99_at_1_per_side_ms: at1 ? at1.e2e.p99_ms : null,
      p50_at_1_per_side_ms: at1 ? at1.e2e.p50_ms : null,
      delivered_at_1_per_side: at1 ? at1.delivered_msgs_per_s : null,
      setup_secs: chat.setup_secs,
      loadavg: [chat.loadavg_start, chat.loadavg_end],
      total_acked: chat.total_acked,
      total_sent: chat.total_written != null ? chat.total_written : chat.total_sent,
      stored: (() => {
        try {
          return Number(fs.readFileSync(path.join(dir, `${system}-chat-${n}.stored`), 'utf8').trim());
        } catch {
          return null;
        }
      })(),
      io_stall_ms: chat.steps.reduce((a, st) => a + ((st.io_stall && st.io_stall.full_ms) || 0), 0),
    };
  }
  const idle = read(`${system}-idle.json`);
  if (idle) {
    r.idle = {};
    for (const l of idle.levels) {
      r.idle[l.target] = {
        rss_per_conn_kib: l.rss_per_conn_kib,
        connected: l.connected,
        cpu_ms_per_hello: l.server_cpu_s_per_hello != null ? l.server_cpu_s_per_hello * 1000 : null,
        hellos_per_s: l.hellos_per_s,
      };
    }
    r.idle_services = idle.services;
    r.idle_base_rss_kib = idle.base_rss_kib;
  }
  const oneQueue = read(`${system}-idle-one-queue.json`);
  if (oneQueue && oneQueue.levels.length) {
    const l = oneQueue.levels[oneQueue.levels.length - 1];
    r.one_queue = {
      visitors: l.connected,
      cpu_ms_per_hello: l.server_cpu_s_per_hello != null ? l.server_cpu_s_per_hello * 1000 : null,
      hellos_per_s: l.hellos_per_s,
      rss_per_conn_kib: l.rss_per_conn_kib,
    };
  }
  const connect = read(`${system}-connect.json`);
  if (connect) {
    const best = connect.steps.reduce((a, s) => (!a || s.sessions_per_s > a.sessions_per_s ? s : a), null);
    r.connect = {
      sessions_per_s: connect.max_sessions_per_s,
      cpu_ms_per_session: best && best.server_cpu_s_per_session != null ? best.server_cpu_s_per_session * 1000 : null,
      p99_ms_at_best: best ? best.setup_latency.p99_ms : null,
      saturated: connect.saturated,
      // The load generator, not the server, ran out of CPU first: the rate is a lower bound.
      loadgen_saturated: connect.steps.some((s) => s.counted !== false && s.saturated && s.loadgen_saturated),
    };
  }
  if (system === 'ours') {
    const s100k = read('ours-startup-100k.json');
    const sEmpty = read('ours-startup-empty.json');
    let count = null;
    try {
      count = Number(fs.readFileSync(path.join(dir, 'ours-startup-100k.count'), 'utf8').trim());
    } catch {
      count = null;
    }
    r.startup = {
      stored_conversations: count,
      median_ms_100k: s100k ? s100k.median_ms : null,
      runs_ms_100k: s100k ? s100k.runs.map((x) => x.ms) : [],
      median_ms_empty: sEmpty ? sEmpty.median_ms : null,
    };
  }
  return r;
}

const res = Object.fromEntries(SYSTEMS.map((s) => [s, collect(s)]));
const ns = chatNs();
const mainN = ns.includes(1000) ? 1000 : ns[ns.length - 1];
const idleMax = Math.max(0, ...SYSTEMS.flatMap((s) => Object.keys(res[s].idle || {}).map(Number)));

const get = (s, f) => {
  try {
    const v = f(res[s]);
    return v == null || Number.isNaN(v) ? null : v;
  } catch {
    return null;
  }
};
const ratio = (a, b) => (a != null && b != null && b !== 0 ? a / b : null);

const rows = [
  {
    id: 'chat_knee',
    label: `chat knee, msgs/s at p99 ≤ 50 ms (${mainN} conversations)`,
    f: (r) => r.chat[mainN].knee_msgs_per_s,
    bound: (r) => r.chat[mainN].knee_lower_bound,
    fmt: 0,
  },
  { id: 'knee_p99', label: 'p99 at the knee, ms', f: (r) => r.chat[mainN].knee_p99_ms, fmt: 1 },
  { id: 'cpu_per_msg', label: 'server CPU per delivered message at the knee, µs', f: (r) => r.chat[mainN].knee_cpu_us_per_msg, fmt: 0 },
  { id: 'p99_1000x1', label: 'p99 end-to-end, 1,000 conversations × 1 msg/s per side, ms', f: (r) => r.chat[1000].p99_at_1_per_side_ms, fmt: 1 },
  { id: 'rss_idle_1000', label: 'RSS per idle visitor connection at 1,000, KiB', f: (r) => r.idle[1000].rss_per_conn_kib, fmt: 1 },
  { id: 'rss_idle_10000', label: 'RSS per idle visitor connection at 10,000, KiB', f: (r) => r.idle[10000].rss_per_conn_kib, fmt: 1 },
  { id: 'sessions', label: 'new visitor sessions/s (TLS + WS + hello → welcome, then end)', f: (r) => r.connect.sessions_per_s, bound: (r) => !r.connect.saturated || r.connect.loadgen_saturated, fmt: 0 },
  { id: 'cpu_per_session', label: 'server CPU per session, ms', f: (r) => r.connect.cpu_ms_per_session, fmt: 2 },
  { id: 'one_queue', label: 'server CPU per hello with 1,000 waiting in one queue, ms', f: (r) => r.one_queue.cpu_ms_per_hello, fmt: 2 },
  { id: 'startup_100k', label: 'start to serving with 100,000 stored conversations, ms (median)', f: (r) => r.startup.median_ms_100k, fmt: 0 },
  { id: 'startup_empty', label: 'start to serving, empty database, ms (median)', f: (r) => r.startup.median_ms_empty, fmt: 0 },
];

const table = {};
for (const row of rows) {
  const v = Object.fromEntries(SYSTEMS.map((s) => [s, get(s, row.f)]));
  const b = Object.fromEntries(SYSTEMS.map((s) => [s, row.bound ? Boolean(get(s, row.bound)) : false]));
  if (SYSTEMS.every((s) => v[s] == null)) continue;
  table[row.id] = {
    label: row.label,
    values: v,
    lower_bound: b,
    ours_over_ceiling: ratio(v.ours, v.ceiling),
    ours_over_peer: ratio(v.ours, v.peer),
    fmt: row.fmt,
  };
}

const t = (id) => table[id] || { values: {}, lower_bound: {} };
const targets = [];
function target(name, measured, ok, detail) {
  targets.push({ target: name, measured, met: ok, detail });
}
{
  const k = t('chat_knee');
  const rc = k.ours_over_ceiling;
  const rp = k.ours_over_peer;
  target(
    'chat knee ≥ 0.5 × ceiling and ≥ 1.0 × peer',
    `${fmtRatio(rc)} × ceiling${k.lower_bound && k.lower_bound.ceiling ? ' (ceiling is a lower bound, so the ratio is an upper bound)' : ''}; ${fmtRatio(rp)} × peer`,
    rc != null && rp != null ? rc >= 0.5 && rp >= 1.0 : null,
  );
  const p = t('p99_1000x1').values.ours;
  target('p99 ≤ 15 ms at 1,000 conversations × 1 msg/s per side', p != null ? `${p.toFixed(1)} ms` : 'not measured', p != null ? p <= 15 : null);
  const rssId = table.rss_idle_10000 ? 'rss_idle_10000' : 'rss_idle_1000';
  const rss = t(rssId).values.ours;
  target(
    `RSS per idle visitor connection ≤ 32 KiB (at ${rssId === 'rss_idle_10000' ? '10,000' : '1,000 only'})`,
    rss != null ? `${rss.toFixed(1)} KiB` : 'not measured',
    rss != null ? rss <= 32 : null,
  );
  const sc = t('sessions').ours_over_ceiling;
  target('new visitor sessions/s ≥ 0.8 × ceiling', `${fmtRatio(sc)} × ceiling`, sc != null ? sc >= 0.8 : null);
  const st = t('startup_100k').values.ours;
  target('start to serving with 100,000 stored conversations ≤ 200 ms', st != null ? `${st.toFixed(0)} ms` : 'not measured', st != null ? st <= 200 : null);
}

function fmtRatio(x) {
  return x == null ? 'n/a' : x.toFixed(2);
}
function fmtVal(v, digits, bound) {
  if (v == null) return '–';
  const s = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return bound ? `≥ ${s}` : s;
}

// Growth: throughput and p99 per conversation count.
const growth = ns.map((n) => {
  const g = { conversations: n };
  for (const s of SYSTEMS) {
    const c = res[s].chat[n];
    g[s] = c
      ? { knee_msgs_per_s: c.knee_msgs_per_s, knee_p99_ms: c.knee_p99_ms, p99_at_1000_msgs_ms: c.p99_at_1000_msgs_ms, lower_bound: c.knee_lower_bound, setup_secs: c.setup_secs }
      : null;
  }
  return g;
});

const lines = [];
lines.push(`| measure | ours | ceiling | peer | ours/ceiling | ours/peer |`);
lines.push(`|---|---:|---:|---:|---:|---:|`);
for (const row of Object.values(table)) {
  lines.push(
    `| ${row.label} | ${SYSTEMS.map((s) => fmtVal(row.values[s], row.fmt, row.lower_bound[s])).join(' | ')} | ${fmtRatio(row.ours_over_ceiling)} | ${fmtRatio(row.ours_over_peer)} |`,
  );
}
lines.push('');
lines.push(`| target | measured | met |`);
lines.push(`|---|---|---|`);
for (const x of targets) {
  lines.push(`| ${x.target} | ${x.measured} | ${x.met == null ? 'not measured' : x.met ? 'yes' : '**no**'} |`);
}
if (growth.length > 1) {
  lines.push('');
  lines.push(`| conversations | ours knee msgs/s (p99 ms) | ceiling | peer | ours p99 at 1,000 msgs/s, ms |`);
  lines.push(`|---:|---:|---:|---:|---:|`);
  for (const g of growth) {
    const cell = (s) => (g[s] ? `${fmtVal(g[s].knee_msgs_per_s, 0, g[s].lower_bound)} (${fmtVal(g[s].knee_p99_ms, 1)})` : '–');
    lines.push(`| ${g.conversations.toLocaleString('en-US')} | ${cell('ours')} | ${cell('ceiling')} | ${cell('peer')} | ${g.ours ? fmtVal(g.ours.p99_at_1000_msgs_ms, 1) : '–'} |`);
  }
}
const integrity = ns
  .map((n) => res.ours.chat[n])
  .filter((c) => c && c.stored != null && c.total_acked != null);
if (integrity.length) {
  lines.push('');
  lines.push(
    'Stored vs acknowledged (ours): ' +
      ns
        .filter((n) => res.ours.chat[n] && res.ours.chat[n].stored != null)
        .map((n) => {
          const c = res.ours.chat[n];
          return `${n} conversations: ${c.total_acked} acks, ${c.stored} messages stored, ${c.total_sent} sent (${c.stored >= c.total_acked ? 'every ack stored' : '**acks missing from the database**'})`;
        })
        .join('; '),
  );
}
// The relay on the PostgreSQL store (`--systems ...,ours-pg`), beside ours on SQLite.
const pg = collect('ours-pg');
const pgNs = ns.filter((n) => pg.chat[n]);
if (pgNs.length) {
  lines.push('');
  lines.push('The PostgreSQL store (ours-pg) beside SQLite (ours), same harness, same run:');
  lines.push('');
  lines.push('| conversations | ours knee msgs/s (p99 ms) | ours-pg knee msgs/s (p99 ms) | ours-pg/ours | p99 at 1,000 × 1 msg/s/side, ms: ours | ours-pg | ours-pg acks / stored |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of pgNs) {
    const o = res.ours.chat[n];
    const q = pg.chat[n];
    const cell = (c) => (c ? `${fmtVal(c.knee_msgs_per_s, 0, c.knee_lower_bound)} (${fmtVal(c.knee_p99_ms, 1)})` : '–');
    const r = o && o.knee_msgs_per_s ? q.knee_msgs_per_s / o.knee_msgs_per_s : null;
    lines.push(
      `| ${n.toLocaleString('en-US')} | ${cell(o)} | ${cell(q)} | ${fmtRatio(r)} | ${o ? fmtVal(o.p99_at_1_per_side_ms, 1) : '–'} | ${fmtVal(q.p99_at_1_per_side_ms, 1)} | ${q.total_acked} / ${q.stored == null ? '?' : q.stored}${q.stored != null && q.stored < q.total_acked ? ' **acks missing**' : ''} |`,
    );
  }
  const q = pg.chat[1000];
  const o = res.ours.chat[1000];
  if (q && o) {
    const r = o.knee_msgs_per_s ? q.knee_msgs_per_s / o.knee_msgs_per_s : null;
    lines.push('');
    lines.push(`Targets: ours-pg knee ≥ 0.5 × ours: ${fmtRatio(r)} (${r == null ? 'not measured' : r >= 0.5 ? 'met' : '**not met**'}); p99 at 1,000 × 1 msg/s/side < 15 ms: ${fmtVal(q.p99_at_1_per_side_ms, 1)} ms (${q.p99_at_1_per_side_ms == null ? 'not measured' : q.p99_at_1_per_side_ms < 15 ? 'met' : '**not met**'}).`);
  }
}
const probe = read('fsync-probe.json');
if (probe && probe.fsync && probe.fsync.count) {
  lines.push('');
  lines.push(
    `fsync of 4 KiB in the data folder's file system: p50 ${probe.fsync.p50_ms} ms, p99 ${probe.fsync.p99_ms} ms, max ${probe.fsync.max_ms} ms (${probe.count} calls). I/O stall (PSI, machine-wide) during ours' chat steps: ${ns.map((n) => (res.ours.chat[n] ? `${n}: ${Math.round(res.ours.chat[n].io_stall_ms)} ms` : null)).filter(Boolean).join(', ')}.`,
  );
}
lines.push('');
lines.push(
  `mode ${run.mode || '?'}, commit ${run.commit || '?'}${run.dirty ? ' (+ uncommitted changes)' : ''}, ${run.nproc || '?'} × ${run.cpu || '?'}, kernel ${run.kernel || '?'}, node ${run.node || '?'}; load average ${run.loadavg_start || '?'} at the start, ${runEnd.loadavg_end || '?'} at the end; ${runEnd.elapsed_secs != null ? runEnd.elapsed_secs + ' s' : ''}`,
);

const summary = { run: { ...run, ...runEnd }, table, targets, growth, systems: res, fsync_probe: probe };
fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(lines.join('\n'));
console.log('');
console.log(JSON.stringify({ table: Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { ...v.values, ours_over_ceiling: v.ours_over_ceiling, ours_over_peer: v.ours_over_peer }])), targets }, null, 2));
