//! Prometheus metrics (`/metrics`, text format) on a listener of their own
//! (`[metrics] listen`), never on the public one.
//!
//! The families live in one process-wide [`Metrics`] ([`get`]): the relay is one process
//! per data folder, the store's writer thread has no handle to the relay, and a global
//! keeps every increment a one-liner at the point where the event happens. Counters and
//! histograms are bumped where things happen; the gauges (queues, live conversations,
//! counselors online, reveals, blocks, the process's memory and file descriptors) are
//! read from the broker and the store when Prometheus scrapes, so they cost nothing in
//! between.
//!
//! Off (no `[metrics] listen`), every increment is one relaxed load of [`Metrics::on`]
//! and nothing else; [`enable`] (called when a metrics listener is served) turns
//! counting on.
//!
//! Confidentiality: labels are only service ids (from the config), error codes and the
//! build version. No nickname, address, user name or message text ever becomes a name,
//! a label or a value.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chathulp_shared::{ErrorCode, ErrorReply, ServiceId, ServiceStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// prometheus-client writes the OpenMetrics text format (`# EOF` at the end, counter
/// families named without `_total`); Prometheus reads it when told so.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One service's queue and conversations now.
#[derive(Debug)]
pub struct ServiceFigures {
    pub service: ServiceId,
    /// Visitors in the queue.
    pub waiting: usize,
    /// How long the first in the queue has waited (0 when nobody waits).
    pub longest_wait_ms: i64,
    /// Conversations a counselor holds.
    pub live: usize,
}

/// The relay's state in numbers when Prometheus scrapes (`scrape.rs` gathers them from
/// the broker and the store), so the hot path updates no gauge.
#[derive(Debug, Default)]
pub struct Figures {
    pub services: Vec<ServiceFigures>,
    /// Distinct counselor accounts signed in (a counselor serves every service).
    pub counselors_online: usize,
    /// Reveal requests waiting for an administrator; `None` if the store didn't answer.
    pub reveals_pending: Option<usize>,
    /// Blocks in force; `None` if the store didn't answer.
    pub blocks_active: Option<usize>,
    /// This relay serves (the leader, or alone on SQLite); `false` on a standby.
    pub leader: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabel {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusedLabel {
    service: String,
    /// `busy` or `closed` (outside hours, closed, or nobody signed in).
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Seconds a visitor waits before a take: 5 s … ~45 min.
fn wait_buckets() -> Histogram {
    Histogram::new(exponential_buckets(5.0, 2.0, 10))
}

/// Seconds a conversation lasts from take to end: 1 min … ~4 h.
fn duration_buckets() -> Histogram {
    Histogram::new(exponential_buckets(60.0, 1.5, 12))
}

/// Every family the relay exports. Cheap to reach through [`get`].
pub struct Metrics {
    /// Counting at all: only while a metrics listener is served.
    on: AtomicBool,
    registry: Registry,
    started: Family<ServiceLabel, Counter>,
    served: Family<ServiceLabel, Counter>,
    abandoned: Family<ServiceLabel, Counter>,
    refused: Family<RefusedLabel, Counter>,
    wait: Family<ServiceLabel, Histogram, fn() -> Histogram>,
    duration: Family<ServiceLabel, Histogram, fn() -> Histogram>,
    messages_stored: Counter,
    commit_seconds: Histogram,
    batch_jobs: Histogram,
    resumes: Counter,
    windows_expired: Counter,
    logins_failed: Counter,
    logins_throttled: Counter,
    frames_refused: Family<CodeLabel, Counter>,
    tls_handshake_failures: Counter,
    certificate_reload_failures: Counter,
    waiting: Family<ServiceLabel, Gauge>,
    longest_wait: Family<ServiceLabel, FloatGauge>,
    live: Family<ServiceLabel, Gauge>,
    counselors_online: Gauge,
    reveals_pending: Gauge,
    blocks_active: Gauge,
    leader: Gauge,
    resident_memory: Gauge,
    open_fds: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn get() -> &'static Metrics {
    &METRICS
}

/// Starts counting (the relay serves `/metrics`). Until then every increment is a no-op.
pub fn enable() {
    METRICS.on.store(true, Ordering::Relaxed);
}

fn service(id: &ServiceId) -> ServiceLabel {
    ServiceLabel {
        service: id.0.clone(),
    }
}

fn seconds(ms: i64) -> f64 {
    ms.max(0) as f64 / 1000.0
}

impl Metrics {
    fn new() -> Self {
        let mut m = Self {
            on: AtomicBool::new(false),
            registry: Registry::default(),
            started: Family::default(),
            served: Family::default(),
            abandoned: Family::default(),
            refused: Family::default(),
            wait: Family::new_with_constructor(wait_buckets),
            duration: Family::new_with_constructor(duration_buckets),
            messages_stored: Counter::default(),
            // 0.25 ms … ~4 s: a healthy commit (fsync) is a few ms.
            commit_seconds: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
            batch_jobs: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            resumes: Counter::default(),
            windows_expired: Counter::default(),
            logins_failed: Counter::default(),
            logins_throttled: Counter::default(),
            frames_refused: Family::default(),
            tls_handshake_failures: Counter::default(),
            certificate_reload_failures: Counter::default(),
            waiting: Family::default(),
            longest_wait: Family::default(),
            live: Family::default(),
            counselors_online: Gauge::default(),
            reveals_pending: Gauge::default(),
            blocks_active: Gauge::default(),
            leader: Gauge::default(),
            resident_memory: Gauge::default(),
            open_fds: Gauge::default(),
        };
        let r = &mut m.registry;
        // Counters get `_total` from the library.
        r.register(
            "chathulp_conversations_started",
            "Visitors who joined a queue",
            m.started.clone(),
        );
        r.register(
            "chathulp_conversations_served",
            "Conversations a counselor took",
            m.served.clone(),
        );
        r.register(
            "chathulp_conversations_abandoned",
            "Conversations that ended while still in the queue",
            m.abandoned.clone(),
        );
        r.register(
            "chathulp_conversations_refused",
            "Visitors refused at hello: reason busy or closed",
            m.refused.clone(),
        );
        r.register(
            "chathulp_wait_seconds",
            "Time in the queue before a counselor took the conversation",
            m.wait.clone(),
        );
        r.register(
            "chathulp_conversation_duration_seconds",
            "Time from take to end of conversations a counselor took",
            m.duration.clone(),
        );
        r.register(
            "chathulp_messages_stored",
            "Chat messages stored (resends of a stored message not counted)",
            m.messages_stored.clone(),
        );
        r.register(
            "chathulp_store_commit_seconds",
            "Time to run and commit one write batch of the store",
            m.commit_seconds.clone(),
        );
        r.register(
            "chathulp_store_batch_jobs",
            "Writes committed together in one batch",
            m.batch_jobs.clone(),
        );
        r.register(
            "chathulp_resumes",
            "Visitors who resumed their conversation within the reconnect window",
            m.resumes.clone(),
        );
        r.register(
            "chathulp_reconnect_windows_expired",
            "Reconnect windows (visitor or counselor) that passed without a return",
            m.windows_expired.clone(),
        );
        r.register(
            "chathulp_logins_failed",
            "Staff sign-ins refused for a wrong name or password",
            m.logins_failed.clone(),
        );
        r.register(
            "chathulp_logins_throttled",
            "Staff sign-ins refused by the failed-login backoff",
            m.logins_throttled.clone(),
        );
        r.register(
            "chathulp_frames_refused",
            "Frames answered with an error, by error code",
            m.frames_refused.clone(),
        );
        r.register(
            "chathulp_tls_handshake_failures",
            "TLS handshakes that failed or timed out",
            m.tls_handshake_failures.clone(),
        );
        r.register(
            "chathulp_certificate_reload_failures",
            "SIGHUP certificate reloads that failed (the previous certificate stays)",
            m.certificate_reload_failures.clone(),
        );
        r.register(
            "chathulp_visitors_waiting",
            "Visitors in the queue now",
            m.waiting.clone(),
        );
        r.register(
            "chathulp_longest_wait_seconds",
            "How long the first visitor in the queue has waited",
            m.longest_wait.clone(),
        );
        r.register(
            "chathulp_conversations_live",
            "Conversations a counselor holds now",
            m.live.clone(),
        );
        r.register(
            "chathulp_counselors_online",
            "Counselors signed in now (a counselor serves every service)",
            m.counselors_online.clone(),
        );
        r.register(
            "chathulp_reveal_requests_pending",
            "Emergency reveal requests waiting for an administrator",
            m.reveals_pending.clone(),
        );
        r.register(
            "chathulp_blocks_active",
            "Visitor blocks in force",
            m.blocks_active.clone(),
        );
        r.register(
            "chathulp_leader",
            "1 while this relay serves (the leader, or alone on SQLite), 0 on a standby",
            m.leader.clone(),
        );
        r.register(
            "chathulp_process_resident_memory_bytes",
            "Resident memory of the relay process",
            m.resident_memory.clone(),
        );
        r.register(
            "chathulp_process_open_fds",
            "Open file descriptors of the relay process",
            m.open_fds.clone(),
        );
        // A gauge at 1 rather than an OpenMetrics `info`: older parsers (promtool
        // check metrics among them) know only the classic types.
        let build: Family<VersionLabel, Gauge> = Family::default();
        build
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        r.register(
            "chathulp_build_info",
            "The relay's version (always 1)",
            build,
        );
        m
    }

    fn on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Makes every per-service series exist at 0 from the start, so `rate()` and
    /// `increase()` see the first event and the dashboard shows every service at once.
    pub fn declare_services<'a>(&self, services: impl IntoIterator<Item = &'a ServiceId>) {
        for id in services {
            let label = service(id);
            drop(self.started.get_or_create(&label));
            drop(self.served.get_or_create(&label));
            drop(self.abandoned.get_or_create(&label));
            drop(self.wait.get_or_create(&label));
            drop(self.duration.get_or_create(&label));
            drop(self.waiting.get_or_create(&label));
            drop(self.longest_wait.get_or_create(&label));
            drop(self.live.get_or_create(&label));
            for reason in ["busy", "closed"] {
                drop(self.refused.get_or_create(&RefusedLabel {
                    service: id.0.clone(),
                    reason,
                }));
            }
        }
    }

    /// A visitor joined `service`'s queue.
    pub fn started(&self, service_id: &ServiceId) {
        if !self.on() {
            return;
        }
        self.started.get_or_create(&service(service_id)).inc();
    }

    /// A visitor's `hello` was refused because the service is `status`.
    pub fn refused(&self, service_id: &ServiceId, status: ServiceStatus) {
        if !self.on() {
            return;
        }
        let reason = if status == ServiceStatus::Busy {
            "busy"
        } else {
            "closed"
        };
        let label = RefusedLabel {
            service: service_id.0.clone(),
            reason,
        };
        self.refused.get_or_create(&label).inc();
    }

    /// A counselor took a conversation that had waited `waited_ms`.
    pub fn served(&self, service_id: &ServiceId, waited_ms: i64) {
        if !self.on() {
            return;
        }
        let label = service(service_id);
        self.served.get_or_create(&label).inc();
        self.wait.get_or_create(&label).observe(seconds(waited_ms));
    }

    /// A live conversation ended at `now_ms`: abandoned if nobody had taken it, else its
    /// duration since the take.
    pub fn ended(&self, service_id: &ServiceId, started_at_ms: Option<i64>, now_ms: i64) {
        if !self.on() {
            return;
        }
        let label = service(service_id);
        match started_at_ms {
            None => {
                self.abandoned.get_or_create(&label).inc();
            }
            Some(at) => self
                .duration
                .get_or_create(&label)
                .observe(seconds(now_ms - at)),
        }
    }

    /// A new chat message was stored.
    pub fn message_stored(&self) {
        if !self.on() {
            return;
        }
        self.messages_stored.inc();
    }

    /// The store's writer ran one batch of `jobs` writes in `took`.
    pub fn batch_written(&self, jobs: usize, took: Duration) {
        if !self.on() {
            return;
        }
        self.commit_seconds.observe(took.as_secs_f64());
        self.batch_jobs.observe(jobs as f64);
    }

    pub fn resumed(&self) {
        if !self.on() {
            return;
        }
        self.resumes.inc();
    }

    pub fn windows_expired(&self, n: usize) {
        if !self.on() {
            return;
        }
        self.windows_expired.inc_by(n as u64);
    }

    pub fn login_failed(&self) {
        if !self.on() {
            return;
        }
        self.logins_failed.inc();
    }

    pub fn login_throttled(&self) {
        if !self.on() {
            return;
        }
        self.logins_throttled.inc();
    }

    pub fn tls_handshake_failed(&self) {
        if !self.on() {
            return;
        }
        self.tls_handshake_failures.inc();
    }

    pub fn certificate_reload_failed(&self) {
        if !self.on() {
            return;
        }
        self.certificate_reload_failures.inc();
    }

    /// Sets the gauges from `figures` and the process's own, then encodes every family.
    pub fn render(&self, figures: &Figures) -> String {
        for s in &figures.services {
            let label = service(&s.service);
            self.waiting.get_or_create(&label).set(s.waiting as i64);
            self.longest_wait
                .get_or_create(&label)
                .set(seconds(s.longest_wait_ms));
            self.live.get_or_create(&label).set(s.live as i64);
        }
        self.counselors_online.set(figures.counselors_online as i64);
        if let Some(pending) = figures.reveals_pending {
            self.reveals_pending.set(pending as i64);
        }
        if let Some(blocks) = figures.blocks_active {
            self.blocks_active.set(blocks as i64);
        }
        self.leader.set(i64::from(figures.leader));
        if let Some(rss) = resident_memory_bytes() {
            self.resident_memory.set(rss);
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(fds.count() as i64);
        }
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        text
    }
}

/// Counts `reply` under its error code, and gives it back: `Event::Error(refused(e))`.
pub fn refused(reply: ErrorReply) -> ErrorReply {
    get().count_refused(reply.code);
    reply
}

impl Metrics {
    fn count_refused(&self, code: ErrorCode) {
        if !self.on() {
            return;
        }
        let code = match serde_json::to_value(code) {
            Ok(serde_json::Value::String(name)) => name,
            _ => "unknown".to_owned(),
        };
        self.frames_refused.get_or_create(&CodeLabel { code }).inc();
    }
}

/// VmRSS of `/proc/self/status` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
