//! `loadgen`: the benchmark load generator (docs/performance.md, tests/bench/run.sh).
//!
//! Drives visitors and counselors over real TLS WebSockets with the documented protocol
//! (docs/protocol.md) against the relay, the ceiling or the Node peer, and prints one
//! JSON object on stdout. Loopback only.
//!
//! - `chat`: N conversations; every visitor and, per conversation, its counselor send at a
//!   fixed open-loop rate. Each send has a *scheduled* time (a `tokio::time::interval`
//!   with [`MissedTickBehavior::Burst`] per connection), and latency is measured from that
//!   time, so a slow server cannot hide its own latency by slowing the senders down
//!   (no coordinated omission). The text carries the scheduled time; the receiving side
//!   records visitor → counselor and counselor → visitor delivery latency in HDR
//!   histograms, the sender records the latency of its `ack`. Steps the rate up and
//!   reports the knee: the highest delivered rate with p99 ≤ `--p99-limit-ms`.
//! - `idle`: N visitors connected, `hello` sent, waiting in the queue; the server's RSS
//!   per connection at each count.
//! - `connect`: new visitor sessions (TCP + TLS + WebSocket upgrade + `hello` →
//!   `welcome`, then `end` → `ended` and close) at stepped open-loop rates until the
//!   server saturates.
//! - `startup`: runs a command and times spawn → its `listening on` log line.
//!
//! With `--pid`, every step also reads the server's RSS (`/proc/PID/status` VmRSS) and
//! CPU time (`/proc/PID/stat` utime + stime) to report CPU-seconds per message.
//! Client sockets bind to 127.0.0.2–127.0.0.250 in turn, so 10,000 connections do not
//! run out of source ports.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Ws, Message>;
/// A socket's writing half, shared by setup and the step's sender task.
type SharedSink = Arc<tokio::sync::Mutex<Sink>>;

/// How long setup steps (connect, hello, login, take) may take before the run fails.
const SETUP_PATIENCE: Duration = Duration::from_secs(60);
/// Largest latency the histograms hold: 10 minutes, in microseconds.
const MAX_LATENCY_US: u64 = 600_000_000;

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "chathulp benchmark load generator (JSON on stdout)"
)]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Args, Debug)]
struct Target {
    /// Server address; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    addr: SocketAddr,
    /// PEM certificate to trust (and nothing else): the server's own certificate.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Server process id, for RSS and CPU time from /proc.
    #[arg(long)]
    pid: Option<u32>,
    /// Name of the system under test, copied into the JSON ("ours", "ceiling", "peer").
    #[arg(long, default_value = "ours")]
    system: String,
    /// Counselor accounts are PREFIX0, PREFIX1, …
    #[arg(long, default_value = "bench")]
    user_prefix: String,
    /// Password of every counselor account.
    #[arg(long, env = "LOADGEN_PASSWORD", default_value = "bench-password")]
    password: String,
    /// Service visitors join.
    #[arg(long, default_value = "caw")]
    service: String,
    /// Turn TLS session resumption off (every connection does a full handshake).
    #[arg(long)]
    no_tls_resume: bool,
    /// Connect from 127.0.0.1 only instead of 127.0.0.2–250.
    #[arg(long)]
    no_spread: bool,
}

#[derive(Subcommand, Debug)]
enum Scenario {
    Chat(ChatArgs),
    Idle(IdleArgs),
    Connect(ConnectArgs),
    Startup(StartupArgs),
    FsyncProbe(FsyncProbeArgs),
}

/// Writes 4 KiB and fsyncs it, `count` times, in `dir`: the disk's fsync latency, which
/// bounds a relay that syncs every message.
#[derive(Args, Debug)]
struct FsyncProbeArgs {
    #[arg(long)]
    dir: PathBuf,
    #[arg(long, default_value_t = 500)]
    count: usize,
}

#[derive(Args, Debug)]
struct ChatArgs {
    /// Conversations (one visitor socket each).
    #[arg(long, default_value_t = 100)]
    conversations: usize,
    /// Counselor accounts (one socket each); conversations are spread evenly.
    #[arg(long, default_value_t = 4)]
    counselors: usize,
    /// Per-side rates to step through, msgs/s per conversation per side (comma-separated).
    #[arg(long, value_delimiter = ',', conflicts_with = "total_rates")]
    rates: Vec<f64>,
    /// Or: total offered rates (both sides, all conversations), msgs/s.
    #[arg(long, value_delimiter = ',')]
    total_rates: Vec<f64>,
    /// Total rates that run even after a failing step (e.g. a target's load).
    #[arg(long, value_delimiter = ',')]
    must_total_rates: Vec<f64>,
    /// Extra steps between the last passing and the first failing rate (geometric).
    #[arg(long, default_value_t = 0)]
    refine: usize,
    /// Keep stepping after a failing step (default: stop at the first failure).
    #[arg(long)]
    all_steps: bool,
    /// Times a failing step is run again before it counts as failed.
    #[arg(long, default_value_t = 1)]
    retries: usize,
    /// Stop climbing after this many failing rates in a row (or at the first rate the
    /// server no longer keeps up with).
    #[arg(long, default_value_t = 2)]
    stop_after_fails: usize,
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    #[arg(long, default_value_t = 3.0)]
    duration_secs: f64,
    /// After a step, how long to wait for messages still in flight.
    #[arg(long, default_value_t = 2.0)]
    drain_secs: f64,
    /// Chat text size in bytes.
    #[arg(long, default_value_t = 64)]
    msg_bytes: usize,
    /// A step passes when p99 end-to-end latency is at most this.
    #[arg(long, default_value_t = 50.0)]
    p99_limit_ms: f64,
    /// Visitors set up (hello, take) per batch.
    #[arg(long, default_value_t = 100)]
    setup_batch: usize,
}

#[derive(Args, Debug)]
struct IdleArgs {
    /// Connection counts at which to measure (ascending, comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    counts: Vec<usize>,
    /// Visitors connecting at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Services to spread the visitors over, in turn (default: `--service`).
    #[arg(long, value_delimiter = ',')]
    services: Vec<String>,
    /// Sign a counselor in (so the relay's service is online), then drop that socket
    /// without `logout`: the relay keeps the service online for the reconnect window, and
    /// no staff socket receives a queue snapshot per `hello`.
    #[arg(long)]
    no_counselor: bool,
    /// Wait at least this long at each count before reading RSS.
    #[arg(long, default_value_t = 1.0)]
    settle_secs: f64,
    /// …and until the server uses less than 10% of a core, at most this long.
    #[arg(long, default_value_t = 30.0)]
    settle_max_secs: f64,
}

#[derive(Args, Debug)]
struct ConnectArgs {
    /// Offered new-session rates to step through, sessions/s.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "50,100,200,400,800,1600,3200"
    )]
    rates: Vec<f64>,
    #[arg(long, default_value_t = 2.0)]
    step_secs: f64,
    /// Sessions in flight at most; a session that cannot start counts as shed.
    #[arg(long, default_value_t = 1000)]
    max_inflight: usize,
    /// A step is saturated when it completes fewer than this share of the offered rate.
    #[arg(long, default_value_t = 0.9)]
    saturation: f64,
    /// Keep stepping after saturation.
    #[arg(long)]
    all_steps: bool,
    /// Times a saturated step is run again before the search stops.
    #[arg(long, default_value_t = 1)]
    retries: usize,
}

#[derive(Args, Debug)]
struct StartupArgs {
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Log text that means "serving".
    #[arg(long, default_value = "listening on")]
    ready: String,
    #[arg(long, default_value_t = 60.0)]
    timeout_secs: f64,
    /// The command to run (after `--`).
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let load_start = loadavg();
    let mut out = match cli.scenario {
        Scenario::Startup(args) => startup(&args)?,
        Scenario::FsyncProbe(args) => fsync_probe(&args)?,
        scenario => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(run(cli.target, scenario))?
        }
    };
    out["loadavg_start"] = json!(load_start);
    out["loadavg_end"] = json!(loadavg());
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn run(target: Target, scenario: Scenario) -> anyhow::Result<Value> {
    if !target.addr.ip().is_loopback() {
        bail!(
            "loadgen only drives loopback addresses, not {}",
            target.addr
        );
    }
    let ctx = Arc::new(Ctx::new(&target)?);
    let mut out = match scenario {
        Scenario::Chat(args) => chat(&ctx, &target, &args).await?,
        Scenario::Idle(args) => idle(&ctx, &target, &args).await?,
        Scenario::Connect(args) => connect(&ctx, &target, &args).await?,
        Scenario::Startup(_) | Scenario::FsyncProbe(_) => {
            bail!("this scenario runs without the runtime")
        }
    };
    out["system"] = json!(target.system);
    out["addr"] = json!(target.addr.to_string());
    out["tls_resumption"] = json!(!target.no_tls_resume);
    Ok(out)
}

// ---- connections ----

struct Ctx {
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    ws_config: WebSocketConfig,
    epoch: Instant,
    next_source: AtomicU32,
    spread: bool,
    rec: Recorder,
    pid: Option<u32>,
    /// Makes this run's nicknames unique, so a relay that still holds an earlier run's
    /// conversations never sees a nickname return.
    tag: String,
}

impl Ctx {
    fn new(target: &Target) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        let path = target
            .cert
            .as_ref()
            .context("--cert is required: the server's PEM certificate")?;
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading {}", path.display()))?
        {
            roots.add(cert?)?;
        }
        let mut tls = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        if target.no_tls_resume {
            tls.resumption = rustls::client::Resumption::disabled();
        }
        // The client's read buffer only needs to be small: this measures the server.
        let mut ws_config = WebSocketConfig::default();
        ws_config.read_buffer_size = 8 * 1024;
        Ok(Self {
            addr: target.addr,
            tls: Arc::new(tls),
            ws_config,
            epoch: Instant::now(),
            next_source: AtomicU32::new(0),
            spread: !target.no_spread,
            rec: Recorder::new()?,
            pid: target.pid,
            tag: format!(
                "{:x}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros() % 0xff_ffff)
                    .unwrap_or(0)
            ),
        })
    }

    fn ns(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn now_ns(&self) -> u64 {
        self.ns(Instant::now())
    }

    async fn connect(&self, path: &str) -> anyhow::Result<Ws> {
        let tcp = if self.spread {
            let n = self.next_source.fetch_add(1, Ordering::Relaxed);
            let last = u8::try_from(2 + n % 249).unwrap_or(2);
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))?;
            socket.connect(self.addr).await?
        } else {
            TcpStream::connect(self.addr).await?
        };
        tcp.set_nodelay(true)?;
        // The relay's own origin, as its page would send (the visitor endpoint checks it).
        let mut request = format!("wss://{}{path}", self.addr).into_client_request()?;
        request
            .headers_mut()
            .insert("origin", format!("https://{}", self.addr).parse()?);
        let (ws, _) = tokio_tungstenite::client_async_tls_with_config(
            request,
            tcp,
            Some(self.ws_config),
            Some(Connector::Rustls(Arc::clone(&self.tls))),
        )
        .await?;
        Ok(ws)
    }

    /// Opens a socket and starts its reader. `side` is who this socket is: a counselor
    /// socket receives visitor → counselor messages, a visitor socket the other way.
    async fn open(self: &Arc<Self>, side: Side) -> anyhow::Result<Peer> {
        let path = match side {
            Side::Visitor => "/ws/visitor",
            Side::Counselor => "/ws/staff",
        };
        let ws = self.connect(path).await?;
        let (sink, stream) = ws.split();
        let (tx, control) = mpsc::unbounded_channel();
        let reader = tokio::spawn(reader(Arc::clone(self), stream, side, tx));
        Ok(Peer {
            sink: Arc::new(tokio::sync::Mutex::new(sink)),
            control,
            reader,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Visitor,
    Counselor,
}

/// One open socket: its writing half, and the frames its reader did not consume itself.
struct Peer {
    sink: SharedSink,
    control: mpsc::UnboundedReceiver<Control>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A frame the reader passes on: everything but `message`, `ack` and broadcasts.
#[derive(Debug)]
struct Control {
    kind: String,
    conversation: Option<String>,
    nickname: Option<String>,
    code: Option<String>,
}

impl Peer {
    async fn send(&self, text: String) -> anyhow::Result<()> {
        self.sink
            .lock()
            .await
            .send(Message::Text(text.into()))
            .await?;
        Ok(())
    }

    async fn next_control(&mut self, patience: Duration) -> anyhow::Result<Control> {
        tokio::time::timeout(patience, self.control.recv())
            .await
            .map_err(|_| anyhow!("no answer within {patience:?}"))?
            .ok_or_else(|| anyhow!("socket closed"))
    }

    /// Waits for a frame of type `kind`; an `error` frame fails.
    async fn expect(&mut self, kind: &str) -> anyhow::Result<Control> {
        loop {
            let c = self.next_control(SETUP_PATIENCE).await?;
            if c.kind == kind {
                return Ok(c);
            }
            if c.kind == "error" {
                bail!("expected {kind}, got error {:?}", c.code);
            }
        }
    }

    async fn close(&self) {
        let mut sink = self.sink.lock().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
    }

    /// Closes with the full WebSocket close handshake: sends a close frame and waits
    /// until the server's close frame (or the end of the stream) has been read, so the
    /// socket is not reset with unread data.
    async fn close_and_wait(&mut self) {
        self.close().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.reader).await;
    }
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    client_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    conversation: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    nickname: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<IncomingMessage<'a>>,
}

#[derive(Deserialize)]
struct IncomingMessage<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

async fn reader(
    ctx: Arc<Ctx>,
    mut stream: SplitStream<Ws>,
    side: Side,
    control: mpsc::UnboundedSender<Control>,
) {
    while let Some(item) = stream.next().await {
        let text = match item {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) => break,
            Ok(_) => continue,
            Err(_) => break,
        };
        let Ok(frame) = serde_json::from_str::<Incoming<'_>>(text.as_str()) else {
            ctx.rec.count_error("unparseable_frame");
            continue;
        };
        match frame.kind.as_ref() {
            "message" => {
                if let Some(stamp) = frame.message.as_ref().and_then(|m| stamp_of(&m.text)) {
                    let dir = match side {
                        Side::Counselor => Dir::VisitorToCounselor,
                        Side::Visitor => Dir::CounselorToVisitor,
                    };
                    ctx.rec.delivered(dir, stamp, ctx.now_ns());
                }
            }
            "ack" => {
                if let Some(stamp) = frame.client_id.as_deref().and_then(stamp_of) {
                    ctx.rec.acked(stamp, ctx.now_ns());
                }
            }
            "queue" | "queued" | "typing" => {}
            kind => {
                if kind == "error" {
                    ctx.rec
                        .count_error(frame.code.as_deref().unwrap_or("error_without_code"));
                }
                let _ = control.send(Control {
                    kind: kind.to_owned(),
                    conversation: frame.conversation.map(Cow::into_owned),
                    nickname: frame.nickname.map(Cow::into_owned),
                    code: frame.code.map(Cow::into_owned),
                });
            }
        }
    }
    if !ctx.rec.stopping.load(Ordering::Relaxed) {
        ctx.rec.disconnects.fetch_add(1, Ordering::Relaxed);
    }
}

/// The scheduled send time (ns since the loadgen's epoch) at the start of a text
/// (`t123…`) or a client id (`123….n`).
fn stamp_of(s: &str) -> Option<u64> {
    let s = s.strip_prefix('t').unwrap_or(s);
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

// ---- recording ----

#[derive(Clone, Copy)]
enum Dir {
    VisitorToCounselor,
    CounselorToVisitor,
}

struct Hists {
    v2c: Histogram<u64>,
    c2v: Histogram<u64>,
    ack: Histogram<u64>,
    /// New sessions: scheduled start → `welcome`.
    session: Histogram<u64>,
}

struct Recorder {
    /// The measured window, ns since the epoch, by scheduled send time.
    start_ns: AtomicU64,
    end_ns: AtomicU64,
    hists: Mutex<Hists>,
    sent: AtomicU64,
    delivered: AtomicU64,
    /// Messages that arrived (whenever scheduled) while the window was open.
    arrivals: AtomicU64,
    acks: AtomicU64,
    /// Sends scheduled so far (whether or not written yet).
    total_sent: AtomicU64,
    /// Sends written to their socket so far: what the server can still owe us.
    total_written: AtomicU64,
    total_delivered: AtomicU64,
    total_acked: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    disconnects: AtomicU64,
    stopping: AtomicBool,
}

impl Recorder {
    fn new() -> anyhow::Result<Self> {
        let h = || Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3);
        Ok(Self {
            start_ns: AtomicU64::new(u64::MAX),
            end_ns: AtomicU64::new(u64::MAX),
            hists: Mutex::new(Hists {
                v2c: h()?,
                c2v: h()?,
                ack: h()?,
                session: h()?,
            }),
            sent: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            arrivals: AtomicU64::new(0),
            acks: AtomicU64::new(0),
            total_sent: AtomicU64::new(0),
            total_written: AtomicU64::new(0),
            total_delivered: AtomicU64::new(0),
            total_acked: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            disconnects: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        })
    }

    fn hists(&self) -> MutexGuard<'_, Hists> {
        self.hists.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn in_window(&self, ns: u64) -> bool {
        ns >= self.start_ns.load(Ordering::Relaxed) && ns < self.end_ns.load(Ordering::Relaxed)
    }

    /// Starts a new window and clears the window's numbers.
    fn open_window(&self, start_ns: u64, end_ns: u64) {
        let mut h = self.hists();
        h.v2c.reset();
        h.c2v.reset();
        h.ack.reset();
        h.session.reset();
        self.sent.store(0, Ordering::Relaxed);
        self.delivered.store(0, Ordering::Relaxed);
        self.arrivals.store(0, Ordering::Relaxed);
        self.acks.store(0, Ordering::Relaxed);
        self.start_ns.store(start_ns, Ordering::Relaxed);
        self.end_ns.store(end_ns, Ordering::Relaxed);
    }

    fn sent(&self, stamp: u64) {
        self.total_sent.fetch_add(1, Ordering::Relaxed);
        if self.in_window(stamp) {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn delivered(&self, dir: Dir, stamp: u64, now: u64) {
        self.total_delivered.fetch_add(1, Ordering::Relaxed);
        if self.in_window(now) {
            self.arrivals.fetch_add(1, Ordering::Relaxed);
        }
        if self.in_window(stamp) {
            self.delivered.fetch_add(1, Ordering::Relaxed);
            let us = (now.saturating_sub(stamp) / 1000).clamp(1, MAX_LATENCY_US);
            let mut h = self.hists();
            let hist = match dir {
                Dir::VisitorToCounselor => &mut h.v2c,
                Dir::CounselorToVisitor => &mut h.c2v,
            };
            let _ = hist.record(us);
        }
    }

    fn acked(&self, stamp: u64, now: u64) {
        self.total_acked.fetch_add(1, Ordering::Relaxed);
        if self.in_window(stamp) {
            self.acks.fetch_add(1, Ordering::Relaxed);
            let us = (now.saturating_sub(stamp) / 1000).clamp(1, MAX_LATENCY_US);
            let _ = self.hists().ack.record(us);
        }
    }

    fn count_error(&self, code: &str) {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        *errors.entry(code.to_owned()).or_default() += 1;
    }

    fn error_total(&self) -> u64 {
        let errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        errors.values().sum()
    }

    fn errors_json(&self) -> Value {
        let errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        json!(*errors)
    }
}

fn summary(h: &Histogram<u64>) -> Value {
    let ms = |us: u64| (us as f64) / 1000.0;
    if h.is_empty() {
        return json!({"count": 0});
    }
    json!({
        "count": h.len(),
        "p50_ms": ms(h.value_at_quantile(0.5)),
        "p90_ms": ms(h.value_at_quantile(0.9)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "p999_ms": ms(h.value_at_quantile(0.999)),
        "max_ms": ms(h.max()),
        "mean_ms": h.mean() / 1000.0,
    })
}

// ---- /proc ----

/// CPU seconds (user + system) of a process, from /proc/PID/stat (USER_HZ is 100).
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// (some, full) stall totals in µs from /proc/pressure/io.
fn io_pressure() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/pressure/io").ok()?;
    let total = |prefix: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(prefix))?
            .split_whitespace()
            .find_map(|f| f.strip_prefix("total="))?
            .parse()
            .ok()
    };
    Some((total("some")?, total("full")?))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// CPU seconds of the server and of the load generator itself, now.
#[derive(Clone, Copy)]
struct Cpu {
    at: Instant,
    server: Option<f64>,
    own: Option<f64>,
    /// /proc/pressure/io totals (µs): time some / all tasks stalled on I/O, machine-wide.
    io: Option<(u64, u64)>,
}

impl Cpu {
    fn now(ctx: &Ctx) -> Self {
        Self {
            at: Instant::now(),
            server: ctx.pid.and_then(|p| cpu_secs(&p.to_string())),
            own: cpu_secs("self"),
            io: io_pressure(),
        }
    }

    /// Milliseconds in which some task, and in which every task, of the machine was
    /// stalled on I/O between `self` and `later` (a disk others use shows up here).
    fn io_stall_ms(&self, later: &Cpu) -> Value {
        match self.io.zip(later.io) {
            Some(((s0, f0), (s1, f1))) => json!({
                "some_ms": s1.saturating_sub(s0) as f64 / 1000.0,
                "full_ms": f1.saturating_sub(f0) as f64 / 1000.0,
            }),
            None => Value::Null,
        }
    }

    /// (server CPU-seconds, server share of a core, loadgen share of a core) since `self`.
    fn since(&self, later: &Cpu) -> (Option<f64>, Option<f64>, Option<f64>) {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let server = later.server.zip(self.server).map(|(b, a)| b - a);
        let own = later.own.zip(self.own).map(|(b, a)| b - a);
        (server, server.map(|s| s / wall), own.map(|o| o / wall))
    }
}

/// A small deterministic generator for send phases (no `rand` dependency needed).
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---- chat ----

struct Counselor {
    peer: Peer,
    conversations: Vec<String>,
}

fn hello(service: &str, nickname: &str) -> String {
    json!({"type":"hello","protocol":1,"service":service,"nickname":nickname}).to_string()
}

async fn login(ctx: &Arc<Ctx>, target: &Target, i: usize) -> anyhow::Result<Peer> {
    let mut peer = ctx.open(Side::Counselor).await?;
    let user = format!("{}{i}", target.user_prefix);
    peer.send(
        json!({"type":"login","protocol":1,"user":user,"password":target.password}).to_string(),
    )
    .await?;
    peer.expect("login_ok")
        .await
        .with_context(|| format!("signing in as {user}"))?;
    // Snapshots of conversations this account still holds come before `synced`.
    peer.expect("synced").await?;
    Ok(peer)
}

async fn queued_visitor(ctx: &Arc<Ctx>, service: &str, i: usize) -> anyhow::Result<Peer> {
    let mut last = None;
    for _ in 0..3 {
        match ctx.open(Side::Visitor).await {
            Ok(mut v) => {
                v.send(hello(service, &format!("v{}-{i}", ctx.tag))).await?;
                v.expect("welcome").await?;
                return Ok(v);
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    Err(last.unwrap_or_else(|| anyhow!("cannot connect")))
}

async fn chat(ctx: &Arc<Ctx>, target: &Target, args: &ChatArgs) -> anyhow::Result<Value> {
    let n = args.conversations.max(1);
    let m = args.counselors.clamp(1, n);
    let setup_started = Instant::now();
    let mut counselors = Vec::with_capacity(m);
    for i in 0..m {
        counselors.push(Counselor {
            peer: login(ctx, target, i).await?,
            conversations: Vec::new(),
        });
    }
    let mut visitors: Vec<Peer> = Vec::with_capacity(n);
    let ours = format!("v{}-", ctx.tag);
    let mut next = 0;
    while next < n {
        let batch: Vec<usize> = (next..(next + args.setup_batch.max(1)).min(n)).collect();
        next += batch.len();
        let joined = futures_util::future::join_all(
            batch
                .iter()
                .map(|&i| queued_visitor(ctx, &target.service, i)),
        )
        .await;
        let mut batch_peers = Vec::with_capacity(batch.len());
        for v in joined {
            batch_peers.push(v?);
        }
        let take = json!({"type":"take","service":target.service}).to_string();
        let mut wanted = vec![0usize; m];
        for &i in &batch {
            wanted[i % m] += 1;
            counselors[i % m].peer.send(take.clone()).await?;
        }
        for (c, want) in wanted.into_iter().enumerate() {
            let mut got = 0;
            while got < want {
                let event = counselors[c].peer.next_control(SETUP_PATIENCE).await?;
                match (event.kind.as_str(), event.code.as_deref()) {
                    ("conversation", _)
                        if event
                            .nickname
                            .as_deref()
                            .is_some_and(|n| n.starts_with(&ours)) =>
                    {
                        let id = event.conversation.context("conversation without id")?;
                        counselors[c].conversations.push(id);
                        got += 1;
                    }
                    ("error", Some("queue_empty")) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        counselors[c].peer.send(take.clone()).await?;
                    }
                    ("error", code) => bail!("take failed: {code:?}"),
                    _ => {}
                }
            }
        }
        for v in &mut batch_peers {
            v.expect("assigned").await?;
        }
        visitors.extend(batch_peers);
    }
    let setup_secs = setup_started.elapsed().as_secs_f64();
    let rss_after_setup = ctx.pid.and_then(rss_kib);
    eprintln!(
        "loadgen[{}]: {n} conversations with {m} counselors set up in {setup_secs:.1}s",
        target.system
    );

    // The plan: per-side rates.
    let mut plan: Vec<f64> = if args.total_rates.is_empty() {
        args.rates.clone()
    } else {
        args.total_rates
            .iter()
            .map(|t| t / (2.0 * n as f64))
            .collect()
    };
    if plan.is_empty() {
        plan = vec![1.0];
    }
    let must: Vec<f64> = args
        .must_total_rates
        .iter()
        .map(|t| t / (2.0 * n as f64))
        .collect();
    for m in &must {
        if !plan.iter().any(|r| (r - m).abs() < 1e-9) {
            plan.push(*m);
        }
    }
    plan.sort_by(f64::total_cmp);
    let visitor_sinks: Vec<_> = visitors.iter().map(|v| Arc::clone(&v.sink)).collect();
    let counselor_plans: Vec<_> = counselors
        .iter()
        .map(|c| (Arc::clone(&c.peer.sink), Arc::new(c.conversations.clone())))
        .collect();
    let mut steps: Vec<Step> = Vec::new();
    // Outcome per rate (the last attempt), for the refinement.
    let mut outcomes: Vec<(f64, bool)> = Vec::new();
    let mut consecutive_fails = 0;
    let mut aborted = None;
    let mut queue: std::collections::VecDeque<f64> = plan.into_iter().collect();
    let mut refines_left = args.refine;
    let mut rng = SplitMix(0x5eed);
    loop {
        let Some(rate) = queue.pop_front() else {
            // Refine between the highest passing rate and the next failing one above it.
            let best = outcomes
                .iter()
                .filter(|(_, ok)| *ok)
                .map(|(r, _)| *r)
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
            let above = best.and_then(|a| {
                outcomes
                    .iter()
                    .filter(|(r, ok)| !*ok && *r > a)
                    .map(|(r, _)| *r)
                    .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.min(r))))
            });
            if refines_left > 0
                && let (Some(a), Some(b)) = (best, above)
                && b > a * 1.1
            {
                refines_left -= 1;
                queue.push_back((a * b).sqrt());
                continue;
            }
            break;
        };
        // A failing step runs again once (after the backlog cleared): on a shared machine
        // one stray pause should not end the search. The last attempt counts.
        let mut pass = false;
        for attempt in 0..=args.retries {
            if attempt > 0
                && !wait_backlog(ctx, Duration::from_secs_f64(args.drain_secs.max(1.0) * 5.0)).await
            {
                break;
            }
            let mut step = chat_step(
                ctx,
                args,
                rate,
                n,
                &visitor_sinks,
                &counselor_plans,
                &mut rng,
            )
            .await?;
            step.json["attempt"] = json!(attempt + 1);
            pass = step.pass;
            eprintln!(
                "loadgen[{}]: rate {:.3}/side ({:.0} msgs/s offered): delivered {:.0}/s, p99 {:?} ms, {}",
                target.system,
                rate,
                step.offered,
                step.delivered_per_s,
                step.json["e2e"]["p99_ms"],
                if pass { "pass" } else { "FAIL" }
            );
            if attempt > 0
                && let Some(previous) = steps.last_mut()
            {
                // Only the last attempt of a rate counts for the knee.
                previous.counted = false;
                previous.json["counted"] = json!(false);
            }
            steps.push(step);
            if pass {
                break;
            }
        }
        outcomes.push((rate, pass));
        if pass {
            consecutive_fails = 0;
        } else {
            consecutive_fails += 1;
            let saturated = steps
                .last()
                .is_some_and(|s| s.delivered_per_s < 0.9 * s.offered);
            // Let the backlog clear before anything else runs on these sockets.
            if !wait_backlog(ctx, Duration::from_secs_f64(args.drain_secs.max(1.0) * 5.0)).await {
                aborted = Some("backlog did not clear after a failing step");
                break;
            }
            // Stop climbing once the server no longer keeps up, or after two failing rates
            // in a row; a latency spike alone (on a shared machine) does not end the search.
            if !args.all_steps && (saturated || consecutive_fails >= args.stop_after_fails.max(1)) {
                queue.retain(|r| *r < rate || must.iter().any(|m| (m - r).abs() < 1e-9));
            }
        }
    }
    ctx.rec.stopping.store(true, Ordering::Relaxed);
    let knee = steps
        .iter()
        .filter(|s| s.pass && s.counted)
        .max_by(|a, b| a.delivered_per_s.total_cmp(&b.delivered_per_s));
    let out = json!({
        "scenario": "chat",
        "conversations": n,
        "counselors": m,
        "msg_bytes": args.msg_bytes,
        "warmup_secs": args.warmup_secs,
        "duration_secs": args.duration_secs,
        "p99_limit_ms": args.p99_limit_ms,
        "setup_secs": setup_secs,
        "rss_kib_after_setup": rss_after_setup,
        "steps": steps.iter().map(|s| s.json.clone()).collect::<Vec<_>>(),
        "knee": knee.map(|k| json!({
            "per_side_rate": k.rate,
            "msgs_per_s": k.delivered_per_s,
            "p99_ms": k.json["e2e"]["p99_ms"],
            "cpu_s_per_msg": k.json["server_cpu_s_per_msg"],
            "loadgen_saturated": k.json["loadgen_saturated"],
            "passed_every_step": outcomes.iter().all(|(_, ok)| *ok),
        })),
        "first_failing_per_side_rate": outcomes
            .iter()
            .filter(|(_, ok)| !*ok)
            .map(|(r, _)| *r)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.min(r)))),
        "aborted": aborted,
        "total_sent": ctx.rec.total_sent.load(Ordering::Relaxed),
        "total_written": ctx.rec.total_written.load(Ordering::Relaxed),
        "total_delivered": ctx.rec.total_delivered.load(Ordering::Relaxed),
        "total_acked": ctx.rec.total_acked.load(Ordering::Relaxed),
        "errors": ctx.rec.errors_json(),
        "disconnects": ctx.rec.disconnects.load(Ordering::Relaxed),
    });
    for v in &visitors {
        v.close().await;
    }
    for c in &counselors {
        c.peer.close().await;
    }
    Ok(out)
}

struct Step {
    /// False for an attempt that was retried.
    counted: bool,
    rate: f64,
    offered: f64,
    delivered_per_s: f64,
    pass: bool,
    json: Value,
}

/// Waits until every message sent so far has been delivered.
async fn wait_backlog(ctx: &Ctx, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    loop {
        // A send that was scheduled but cut off at the end of a step was never written,
        // so only written ones are owed.
        let written = ctx.rec.total_written.load(Ordering::Relaxed);
        let delivered = ctx.rec.total_delivered.load(Ordering::Relaxed);
        if delivered >= written {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn chat_step(
    ctx: &Arc<Ctx>,
    args: &ChatArgs,
    rate: f64,
    n: usize,
    visitors: &[SharedSink],
    counselors: &[(SharedSink, Arc<Vec<String>>)],
    rng: &mut SplitMix,
) -> anyhow::Result<Step> {
    let start = Instant::now() + Duration::from_millis(50);
    let window_start = start + Duration::from_secs_f64(args.warmup_secs);
    let window_end = window_start + Duration::from_secs_f64(args.duration_secs);
    ctx.rec
        .open_window(ctx.ns(window_start), ctx.ns(window_end));
    let errors_before = ctx.rec.error_total();
    let disconnects_before = ctx.rec.disconnects.load(Ordering::Relaxed);
    let mut senders = Vec::new();
    for sink in visitors {
        let phase = rng.next_f64();
        senders.push(tokio::spawn(sender(
            Arc::clone(ctx),
            Arc::clone(sink),
            None,
            rate,
            start,
            phase,
            window_end,
            args.msg_bytes,
        )));
    }
    for (sink, conversations) in counselors {
        if conversations.is_empty() {
            continue;
        }
        let phase = rng.next_f64();
        senders.push(tokio::spawn(sender(
            Arc::clone(ctx),
            Arc::clone(sink),
            Some(Arc::clone(conversations)),
            rate * conversations.len() as f64,
            start,
            phase,
            window_end,
            args.msg_bytes,
        )));
    }
    tokio::time::sleep_until(window_start).await;
    let cpu_start = Cpu::now(ctx);
    tokio::time::sleep_until(window_end).await;
    let cpu_end = Cpu::now(ctx);
    let rss = ctx.pid.and_then(rss_kib);
    // Drain: wait for what was sent in the window, or give up after drain_secs.
    let drain_deadline = window_end + Duration::from_secs_f64(args.drain_secs);
    loop {
        let sent = ctx.rec.sent.load(Ordering::Relaxed);
        let delivered = ctx.rec.delivered.load(Ordering::Relaxed);
        let acks = ctx.rec.acks.load(Ordering::Relaxed);
        let senders_done = senders.iter().all(|s| s.is_finished());
        if senders_done && delivered >= sent && acks >= sent {
            break;
        }
        if Instant::now() >= drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained_at = ctx.now_ns();
    for s in &senders {
        s.abort();
    }
    let sent = ctx.rec.sent.load(Ordering::Relaxed);
    let delivered = ctx.rec.delivered.load(Ordering::Relaxed);
    let arrivals = ctx.rec.arrivals.load(Ordering::Relaxed);
    let missing = sent.saturating_sub(delivered);
    let duration = args.duration_secs;
    let offered = 2.0 * n as f64 * rate;
    let delivered_per_s = arrivals as f64 / duration;
    let (server_cpu, server_util, own_util) = cpu_start.since(&cpu_end);
    let h = ctx.rec.hists();
    // Messages still undelivered count as at least as late as the end of the drain.
    let missing_floor_us = (drained_at.saturating_sub(ctx.ns(window_end)) / 1000).max(1);
    let mut e2e = h.v2c.clone();
    e2e.add(&h.c2v)?;
    if missing > 0 {
        e2e.record_n(missing_floor_us.min(MAX_LATENCY_US), missing)?;
    }
    let p99_ms = if e2e.is_empty() {
        f64::INFINITY
    } else {
        e2e.value_at_quantile(0.99) as f64 / 1000.0
    };
    let errors = ctx.rec.error_total() - errors_before;
    let disconnects = ctx.rec.disconnects.load(Ordering::Relaxed) - disconnects_before;
    let pass = p99_ms <= args.p99_limit_ms && errors == 0 && disconnects == 0 && sent > 0;
    let loadgen_saturated = own_util.is_some_and(|u| u > 0.9);
    let json = json!({
        "per_side_rate": rate,
        "offered_msgs_per_s": offered,
        "sent_in_window": sent,
        "delivered_in_window": delivered,
        "undelivered_after_drain": missing,
        "delivered_msgs_per_s": delivered_per_s,
        "e2e": summary(&e2e),
        "visitor_to_counselor": summary(&h.v2c),
        "counselor_to_visitor": summary(&h.c2v),
        "ack": summary(&h.ack),
        "server_cpu_s": server_cpu,
        "server_cpu_util": server_util,
        "server_cpu_s_per_msg": server_cpu.map(|c| if arrivals > 0 { c / arrivals as f64 } else { f64::NAN }),
        "server_rss_kib": rss,
        "loadgen_cpu_util": own_util,
        "loadgen_saturated": loadgen_saturated,
        "io_stall": cpu_start.io_stall_ms(&cpu_end),
        "errors": errors,
        "disconnects": disconnects,
        "pass": pass,
        "counted": true,
        "loadavg": loadavg(),
    });
    drop(h);
    Ok(Step {
        counted: true,
        rate,
        offered,
        delivered_per_s,
        pass,
        json,
    })
}

/// Sends on one socket at `rate` msgs/s from `start + phase × period` until `end`, on a
/// fixed schedule. A counselor socket (`conversations` set) sends for each of its
/// conversations in turn.
#[allow(clippy::too_many_arguments)]
async fn sender(
    ctx: Arc<Ctx>,
    sink: SharedSink,
    conversations: Option<Arc<Vec<String>>>,
    rate: f64,
    start: Instant,
    phase: f64,
    end: Instant,
    msg_bytes: usize,
) {
    if rate <= 0.0 {
        return;
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let first = start + period.mul_f64(phase);
    if first >= end {
        return;
    }
    let mut ticks = tokio::time::interval_at(first, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sink = sink.lock().await;
    let mut j: u64 = 0;
    loop {
        let scheduled = ticks.tick().await;
        if scheduled >= end {
            break;
        }
        let stamp = ctx.ns(scheduled);
        let mut text = format!("t{stamp} ");
        while text.len() < msg_bytes {
            text.push('x');
        }
        let client_id = format!("{stamp}.{j}");
        let frame = match &conversations {
            None => format!(r#"{{"type":"send","client_id":"{client_id}","text":"{text}"}}"#),
            Some(list) => {
                let idx = usize::try_from(j % list.len() as u64).unwrap_or(0);
                let conversation = &list[idx];
                format!(
                    r#"{{"type":"send","conversation":"{conversation}","client_id":"{client_id}","text":"{text}"}}"#
                )
            }
        };
        ctx.rec.sent(stamp);
        if sink.send(Message::Text(frame.into())).await.is_err() {
            ctx.rec.count_error("send_failed");
            break;
        }
        ctx.rec.total_written.fetch_add(1, Ordering::Relaxed);
        j += 1;
    }
}

// ---- idle ----

async fn idle(ctx: &Arc<Ctx>, target: &Target, args: &IdleArgs) -> anyhow::Result<Value> {
    let pid = ctx.pid.context("idle needs --pid")?;
    if !args.no_counselor {
        let c = login(ctx, target, 0).await?;
        c.close().await;
        drop(c);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let base_rss = rss_kib(pid).context("cannot read the server's RSS")?;
    let mut counts = args.counts.clone();
    counts.sort_unstable();
    let mut visitors: Vec<Peer> = Vec::new();
    let mut levels = Vec::new();
    let services = if args.services.is_empty() {
        vec![target.service.clone()]
    } else {
        args.services.clone()
    };
    for count in counts {
        let from = visitors.len();
        let started = Instant::now();
        let cpu_before = Cpu::now(ctx);
        let results: Vec<anyhow::Result<Peer>> = futures_util::stream::iter(from..count)
            .map(|i| {
                let ctx = Arc::clone(ctx);
                let service = services[i % services.len()].clone();
                async move { queued_visitor(&ctx, &service, i).await }
            })
            .buffer_unordered(args.concurrency.max(1))
            .collect()
            .await;
        let connect_secs = started.elapsed().as_secs_f64();
        let mut failed = 0;
        for r in results {
            match r {
                Ok(v) => visitors.push(v),
                Err(e) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("loadgen[{}]: visitor failed: {e:#}", target.system);
                    }
                }
            }
        }
        // Settle: the server may still be busy (queue position updates).
        tokio::time::sleep(Duration::from_secs_f64(args.settle_secs)).await;
        let settle_deadline = Instant::now() + Duration::from_secs_f64(args.settle_max_secs);
        loop {
            let a = Cpu::now(ctx);
            tokio::time::sleep(Duration::from_millis(500)).await;
            let (_, util, _) = a.since(&Cpu::now(ctx));
            if util.is_none_or(|u| u < 0.1) || Instant::now() > settle_deadline {
                break;
            }
        }
        let settled_secs = started.elapsed().as_secs_f64();
        let cpu_after = Cpu::now(ctx);
        let (fill_cpu, _, own_util) = cpu_before.since(&cpu_after);
        let rss = rss_kib(pid).context("cannot read the server's RSS")?;
        let connected = visitors.len();
        let per_conn = if connected > 0 {
            (rss.saturating_sub(base_rss)) as f64 / connected as f64
        } else {
            f64::NAN
        };
        eprintln!(
            "loadgen[{}]: {connected} idle visitors: RSS {rss} KiB ({per_conn:.1} KiB each), filled in {connect_secs:.1}s",
            target.system
        );
        levels.push(json!({
            "target": count,
            "connected": connected,
            "failed": failed,
            "server_rss_kib": rss,
            "rss_per_conn_kib": per_conn,
            "connect_secs": connect_secs,
            "settled_secs": settled_secs,
            "hellos_per_s": (count - from) as f64 / connect_secs.max(1e-9),
            "server_cpu_s": fill_cpu,
            "server_cpu_s_per_hello": fill_cpu.map(|c| c / ((count - from).max(1)) as f64),
            "loadgen_cpu_util": own_util,
            "io_stall": cpu_before.io_stall_ms(&cpu_after),
            "loadavg": loadavg(),
        }));
    }
    ctx.rec.stopping.store(true, Ordering::Relaxed);
    let out = json!({
        "scenario": "idle",
        "services": services.len(),
        "base_rss_kib": base_rss,
        "levels": levels,
        "errors": ctx.rec.errors_json(),
        "disconnects": ctx.rec.disconnects.load(Ordering::Relaxed),
    });
    // Close in parallel, quickly: the server is stopped next anyway.
    futures_util::stream::iter(visitors.iter())
        .for_each_concurrent(500, |v| async move {
            let _ = tokio::time::timeout(Duration::from_millis(500), v.close()).await;
        })
        .await;
    Ok(out)
}

// ---- connect ----

async fn connect(ctx: &Arc<Ctx>, target: &Target, args: &ConnectArgs) -> anyhow::Result<Value> {
    // A counselor stays signed in, so the relay's service is online.
    let _counselor = login(ctx, target, 0).await?;
    let mut steps: Vec<Value> = Vec::new();
    'rates: for &rate in &args.rates {
        if rate <= 0.0 {
            continue;
        }
        // A saturated step runs again once: one stray pause should not end the search.
        for attempt in 0..=args.retries {
            let mut step = connect_step(ctx, target, args, rate).await;
            step["attempt"] = json!(attempt + 1);
            let saturated = step["saturated"] == true;
            if attempt > 0
                && let Some(previous) = steps.last_mut()
            {
                previous["counted"] = json!(false);
            }
            steps.push(step);
            if !saturated {
                continue 'rates;
            }
            // Let the sessions of the saturated step finish before anything else runs.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if !args.all_steps {
            break;
        }
    }
    ctx.rec.stopping.store(true, Ordering::Relaxed);
    let best = steps
        .iter()
        .filter(|s| s["counted"] != false)
        .filter_map(|s| s["sessions_per_s"].as_f64())
        .fold(0.0, f64::max);
    Ok(json!({
        "scenario": "connect",
        "steps": steps,
        "max_sessions_per_s": best,
        "saturated": steps.iter().any(|s| s["saturated"] == true && s["counted"] != false),
        "errors": ctx.rec.errors_json(),
    }))
}

/// One step of `connect`: new sessions at `rate` per second for `step_secs`.
async fn connect_step(ctx: &Arc<Ctx>, target: &Target, args: &ConnectArgs, rate: f64) -> Value {
    let completed = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let end = start + Duration::from_secs_f64(args.step_secs);
    ctx.rec.open_window(ctx.ns(start), ctx.ns(end));
    let inflight = Arc::new(tokio::sync::Semaphore::new(args.max_inflight.max(1)));
    let mut ticks = tokio::time::interval_at(start, Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut offered = 0u64;
    let mut shed = 0u64;
    let mut tasks = Vec::new();
    let cpu_start = Cpu::now(ctx);
    loop {
        let scheduled = ticks.tick().await;
        if scheduled >= end {
            break;
        }
        offered += 1;
        let Ok(permit) = Arc::clone(&inflight).try_acquire_owned() else {
            shed += 1;
            continue;
        };
        let ctx = Arc::clone(ctx);
        let service = target.service.clone();
        let completed = Arc::clone(&completed);
        let failed = Arc::clone(&failed);
        tasks.push(tokio::spawn(async move {
            let result = tokio::time::timeout(
                Duration::from_secs(20),
                session(&ctx, &service, scheduled, &completed),
            )
            .await;
            if !matches!(result, Ok(Ok(()))) {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            drop(permit);
        }));
    }
    let cpu_end = Cpu::now(ctx);
    let rss = ctx.pid.and_then(rss_kib);
    let wait_deadline = Instant::now() + Duration::from_secs(20);
    while !tasks.iter().all(|t| t.is_finished()) && Instant::now() < wait_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for t in &tasks {
        t.abort();
    }
    let done = completed.load(Ordering::Relaxed);
    let sessions_per_s = done as f64 / args.step_secs;
    let (server_cpu, server_util, own_util) = cpu_start.since(&cpu_end);
    let fails = failed.load(Ordering::Relaxed);
    let h = ctx.rec.hists().session.clone();
    let saturated = sessions_per_s < args.saturation * rate || shed > 0 || fails > 0;
    eprintln!(
        "loadgen[{}]: {rate:.0} sessions/s offered: {sessions_per_s:.0}/s done, p99 {:?} ms{}",
        target.system,
        summary(&h)["p99_ms"],
        if saturated { ", saturated" } else { "" }
    );
    json!({
        "offered_per_s": rate,
        "offered": offered,
        "completed_in_window": done,
        "sessions_per_s": sessions_per_s,
        "shed": shed,
        "failed": fails,
        "setup_latency": summary(&h),
        "server_cpu_s": server_cpu,
        "server_cpu_util": server_util,
        "server_cpu_s_per_session": server_cpu.map(|c| if done > 0 { c / done as f64 } else { f64::NAN }),
        "server_rss_kib": rss,
        "loadgen_cpu_util": own_util,
        "loadgen_saturated": own_util.is_some_and(|u| u > 0.9),
        "io_stall": cpu_start.io_stall_ms(&cpu_end),
        "saturated": saturated,
        "counted": true,
        "loadavg": loadavg(),
    })
}

/// One visitor session: connect, `hello` → `welcome` (the latency recorded), then `end` →
/// `ended` and close.
async fn session(
    ctx: &Arc<Ctx>,
    service: &str,
    scheduled: Instant,
    completed: &AtomicU64,
) -> anyhow::Result<()> {
    let mut v = ctx.open(Side::Visitor).await?;
    v.send(hello(service, "visitor")).await?;
    v.expect("welcome").await?;
    let now = Instant::now();
    if ctx.rec.in_window(ctx.ns(now)) {
        completed.fetch_add(1, Ordering::Relaxed);
    }
    let us = u64::try_from(now.duration_since(scheduled).as_micros())
        .unwrap_or(MAX_LATENCY_US)
        .clamp(1, MAX_LATENCY_US);
    let _ = ctx.rec.hists().session.record(us);
    v.send(json!({"type":"end"}).to_string()).await?;
    v.expect("ended").await?;
    v.close_and_wait().await;
    Ok(())
}

// ---- startup ----

fn startup(args: &StartupArgs) -> anyhow::Result<Value> {
    let (program, rest) = args.command.split_first().context("no command")?;
    let mut runs = Vec::new();
    for run in 0..args.runs {
        let started = std::time::Instant::now();
        let mut child = std::process::Command::new(program)
            .args(rest)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let ready = args.ready.clone();
        // Reads the log; keeps draining it after the ready line so the child never blocks.
        std::thread::spawn(move || {
            let mut told = false;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if !told && line.contains(&ready) {
                    let _ = tx.send((started.elapsed(), line));
                    told = true;
                }
            }
        });
        let result = rx.recv_timeout(Duration::from_secs_f64(args.timeout_secs));
        let pid = child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if child.try_wait()?.is_some() {
                break;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let (elapsed, line) =
            result.map_err(|_| anyhow!("run {run}: no {:?} line in time", args.ready))?;
        let ms = elapsed.as_secs_f64() * 1000.0;
        eprintln!("loadgen[startup]: run {run}: {ms:.1} ms");
        runs.push(json!({"ms": ms, "line": line}));
    }
    let mut ms: Vec<f64> = runs.iter().filter_map(|r| r["ms"].as_f64()).collect();
    ms.sort_by(f64::total_cmp);
    let median = ms.get(ms.len() / 2).copied();
    Ok(json!({
        "scenario": "startup",
        "command": args.command,
        "runs": runs,
        "median_ms": median,
        "min_ms": ms.first(),
        "max_ms": ms.last(),
    }))
}

// ---- fsync probe ----

fn fsync_probe(args: &FsyncProbeArgs) -> anyhow::Result<Value> {
    use std::io::{Seek, Write};
    let path = args.dir.join("fsync-probe.bin");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let mut h = Histogram::<u64>::new_with_bounds(1, MAX_LATENCY_US, 3)?;
    let block = [0x5au8; 4096];
    let io_before = io_pressure();
    let started = std::time::Instant::now();
    for i in 0..args.count {
        file.seek(std::io::SeekFrom::Start(((i % 16) * 4096) as u64))?;
        file.write_all(&block)?;
        let t = std::time::Instant::now();
        file.sync_all()?;
        let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(MAX_LATENCY_US);
        h.record(us.clamp(1, MAX_LATENCY_US))?;
    }
    let secs = started.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    let io = io_before.zip(io_pressure()).map(|((s0, f0), (s1, f1))| {
        json!({"some_ms": s1.saturating_sub(s0) as f64 / 1000.0, "full_ms": f1.saturating_sub(f0) as f64 / 1000.0})
    });
    Ok(json!({
        "scenario": "fsync-probe",
        "dir": args.dir,
        "count": args.count,
        "secs": secs,
        "fsync": summary(&h),
        "io_stall": io,
    }))
}
