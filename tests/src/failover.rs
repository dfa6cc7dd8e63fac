//! The pieces of the failover test and the soak (`tests/tests/failover.rs`,
//! `scripts/failover-soak`): real `chathulp-relay` processes on one PostgreSQL
//! database, real HAProxy in front of them with `packaging/haproxy.cfg`, and chatting
//! visitors and a counselor that reconnect the way the page and the app do.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{Client, PASSWORD, http_get, install_crypto};

/// How long any one wait may take before the test fails instead of hanging.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The relay binary next to this test binary (`target/<profile>/chathulp-relay`):
/// `cargo test --workspace` builds it; run `cargo build -p chathulp-relay` before
/// running this crate's tests alone.
pub fn relay_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("CHATHULP_RELAY_BIN") {
        return Ok(path.into());
    }
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test binary outside target/<profile>/deps")?;
    let bin = profile_dir.join("chathulp-relay");
    if !bin.exists() {
        bail!(
            "{} is missing: build it first (cargo build -p chathulp-relay{})",
            bin.display(),
            if cfg!(debug_assertions) {
                ""
            } else {
                " --release"
            }
        );
    }
    Ok(bin)
}

/// A relay's TOML config on the shared database `url`.
/// `behind_haproxy`: the relay requires HAProxy's PROXY v2 header from 127.0.0.1
/// (`packaging/haproxy.cfg` sends it), so tests then reach it only through HAProxy.
pub fn relay_config(url: &str, behind_haproxy: bool) -> String {
    let web = if behind_haproxy {
        "[web]\nproxy_protocol_from = [\"127.0.0.1/32\"]\n"
    } else {
        ""
    };
    format!(
        r#"
{web}
[store]
backend = "postgres"
url = "{url}"

[leader]
check_interval_ms = 250
lease_timeout_ms = 3000
connect_timeout_ms = 3000

[limits]
counselor_capacity = 20
# The final check compares every acked message with the counselor's snapshot: the soak's
# 20 cycles write ~1000 messages a conversation, more than the default page of 200.
snapshot_messages = 100000
visitor_messages_per_sec = 200
visitor_message_burst = 400
new_sessions_per_minute = 1000
connections_per_network = 1000

[[services]]
id = "caw"
name = "CAW online"
email = "info@caw.be"
hours_text = "altijd (test)"
hours = [{{ days = "mon-sun", from = "00:00", to = "24:00" }}]
"#
    )
}

/// A free loopback port (bound, then released for the process that will use it).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One `chathulp-relay` process and the lines of its log.
pub struct RelayProcess {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
    log: watch::Receiver<Vec<String>>,
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RelayProcess {
    /// Starts the relay on `dir` (its config in `dir/relay.toml`) on `port`.
    pub fn start(dir: &Path, port: u16) -> anyhow::Result<Self> {
        let mut child = Command::new(relay_binary()?)
            .arg("--dev")
            .arg("--config")
            .arg(dir.join("relay.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("start chathulp-relay")?;
        let stderr = child.stderr.take().context("stderr")?;
        let (tx, log) = watch::channel(Vec::new());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var_os("FAILOVER_ECHO").is_some() {
                    eprintln!("[{port}] {line}");
                }
                tx.send_modify(|lines| lines.push(line));
            }
        });
        Ok(Self {
            child,
            port,
            dir: dir.to_owned(),
            log,
        })
    }

    /// Waits for a log line that contains `needle`.
    pub async fn logged(&self, needle: &str) -> anyhow::Result<()> {
        let mut log = self.log.clone();
        tokio::time::timeout(
            DEADLINE,
            log.wait_for(|lines| lines.iter().any(|l| l.contains(needle))),
        )
        .await
        .map_err(|_| anyhow!("relay :{} never logged {needle:?}", self.port))?
        .map_err(|_| {
            anyhow!(
                "relay :{} ended before logging {needle:?}: {:?}",
                self.port,
                self.log.borrow().iter().rev().take(5).collect::<Vec<_>>()
            )
        })?;
        Ok(())
    }

    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.borrow().iter().any(|l| l.contains(needle))
    }

    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -{signal} failed");
        Ok(())
    }

    /// Waits for the process to end and returns its exit status.
    pub async fn exited(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if tokio::time::Instant::now() > deadline {
                bail!("relay :{} did not exit", self.port);
            }
            // The child's end is no event tokio can wait for on a std Child.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Makes two data folders that share the vault key and the certificate, as
/// docs/operations.md tells an operator to, each with the config for `url`.
pub fn shared_folders(
    root: &Path,
    url: &str,
    behind_haproxy: bool,
) -> anyhow::Result<[PathBuf; 2]> {
    let a = root.join("relay-a");
    let b = root.join("relay-b");
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("relay.toml"), relay_config(url, behind_haproxy))?;
    }
    chathulp_relay::tls::dev_identity(&a)?;
    drop(chathulp_relay::vault::Vault::open(&a)?);
    for file in ["dev-cert.pem", "dev-key.pem", "vault.key"] {
        std::fs::copy(a.join(file), b.join(file))?;
        #[cfg(unix)]
        if file != "dev-cert.pem" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(b.join(file), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok([a, b])
}

/// Adds counselor `name` through the command line of relay folder `dir`.
pub fn add_counselor(dir: &Path, name: &str) -> anyhow::Result<()> {
    let mut add = Command::new(relay_binary()?)
        .args(["user", "add", name, "--role", "counselor", "--config"])
        .arg(dir.join("relay.toml"))
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(add.stdin.take().context("stdin")?, "{PASSWORD}")?;
    anyhow::ensure!(add.wait()?.success(), "user add failed");
    Ok(())
}

/// The TLS client config that trusts the shared dev certificate in `dir`.
pub fn client_tls(dir: &Path) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    install_crypto();
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(dir.join("dev-cert.pem"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert?)?;
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// HAProxy running `packaging/haproxy.cfg` with its placeholders filled in.
pub struct Haproxy {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haproxy {
    pub fn start(dir: &Path, relays: [u16; 2]) -> anyhow::Result<Self> {
        let template = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/haproxy.cfg");
        let listen = free_port()?;
        let stats = free_port()?;
        let config = std::fs::read_to_string(template)?
            .replace("@LISTEN@", &format!("127.0.0.1:{listen}"))
            .replace("@RELAY_A@", &format!("127.0.0.1:{}", relays[0]))
            .replace("@RELAY_B@", &format!("127.0.0.1:{}", relays[1]))
            .replace("@STATS@", &format!("127.0.0.1:{stats}"));
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config)?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start haproxy (scripts/test installs Debian's haproxy)")?;
        Ok(Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], listen)),
        })
    }
}

/// Waits until `GET /readyz` through `addr` answers 200. HAProxy tells nobody when a
/// server comes up, so this asks again after each failed try.
pub async fn ready_through(addr: SocketAddr, tls: Arc<rustls::ClientConfig>) -> anyhow::Result<()> {
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(r) = http_get(addr, "/readyz", &[], tls.clone()).await
                && r.status == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .map_err(|_| anyhow!("/readyz through {addr} never 200"))
}

/// What all the chatting parties saw: the texts acked to each sender, per conversation.
#[derive(Default)]
pub struct Ledger {
    /// (conversation, text) → acked.
    pub acked: BTreeMap<String, Vec<String>>,
    pub total: usize,
}

/// One chatting party: a visitor (with its resume token) or the counselor (with its
/// session token).
#[derive(Clone)]
pub enum Party {
    Visitor {
        index: usize,
        conversation: String,
        token: String,
    },
    Counselor {
        token: String,
        conversations: Vec<String>,
    },
}

/// Events the orchestration waits on.
#[derive(Clone, Default)]
pub struct Progress {
    /// Acks per party (visitors 0..n, the counselor n).
    pub acks: Vec<usize>,
    /// Reconnects that succeeded (a visitor's `resumed` or the counselor's `synced`),
    /// with when (ms since the test started).
    pub resumes: Vec<u128>,
}

/// Connects `party` through `addr`: a visitor resumes, the counselor signs in with its
/// session and waits for `synced`. Retries until one works (a relay that is down, a
/// standby's 503 or HAProxy with no server all fail the try).
pub async fn reconnect(
    party: &Party,
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> anyhow::Result<Client> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let attempt = async {
            match party {
                Party::Visitor { token, .. } => {
                    let mut v =
                        Client::connect(&format!("wss://{addr}/ws/visitor"), tls.clone()).await?;
                    v.send(json!({"type":"resume","protocol":1,"token":token,"last_seq":0}))
                        .await?;
                    let resumed = v.expect("resumed").await?;
                    anyhow::ensure!(resumed["assigned"] == true, "resumed unassigned: {resumed}");
                    Ok(v)
                }
                Party::Counselor { token, .. } => {
                    let mut c =
                        Client::connect(&format!("wss://{addr}/ws/staff"), tls.clone()).await?;
                    c.send(json!({"type":"session","protocol":1,"token":token}))
                        .await?;
                    c.expect("login_ok").await?;
                    c.expect("synced").await?;
                    Ok(c)
                }
            }
        };
        match attempt.await {
            Ok(client) => return Ok(client),
            Err(e) if tokio::time::Instant::now() > deadline => {
                return Err(e.context("could not reconnect"));
            }
            // A retry backoff, not a synchronisation: nothing announces the new leader.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Sends numbered messages one after the other, each after the previous one's ack,
/// reconnecting (same `client_id` again) whenever the connection fails, until `stop`.
#[allow(clippy::too_many_arguments)]
pub async fn chatter(
    party: Party,
    slot: usize,
    mut client: Option<Client>,
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    ledger: Arc<Mutex<Ledger>>,
    progress: watch::Sender<Progress>,
    mut stop: watch::Receiver<bool>,
    started: std::time::Instant,
) -> anyhow::Result<Option<Client>> {
    for k in 0.. {
        if *stop.borrow() {
            return Ok(client);
        }
        let (conversation, frame) = match &party {
            Party::Visitor {
                index,
                conversation,
                ..
            } => (
                conversation.clone(),
                json!({"type":"send","client_id":format!("v{index}-{k}"),
                       "text":format!("visitor {index} bericht {k}")}),
            ),
            Party::Counselor { conversations, .. } => {
                let id = conversations[k % conversations.len()].clone();
                let text = format!("counselor bericht {k} aan {id}");
                (
                    id.clone(),
                    json!({"type":"send","conversation":id,"client_id":format!("c-{k}"),"text":text}),
                )
            }
        };
        let text = frame["text"].as_str().unwrap_or_default().to_owned();
        for attempt in 0.. {
            if attempt == 50 {
                bail!("{text:?} never acked after {attempt} connections");
            }
            let mut c = match client.take() {
                Some(c) => c,
                None => {
                    let c = tokio::select! {
                        c = reconnect(&party, addr, tls.clone()) => c?,
                        _ = stop.wait_for(|s| *s) => return Ok(None),
                    };
                    let at = started.elapsed().as_millis();
                    progress.send_modify(|p| p.resumes.push(at));
                    c
                }
            };
            let acked = async {
                c.send(frame.clone()).await?;
                c.expect("ack").await
            }
            .await;
            if acked.is_ok() {
                let mut ledger = ledger.lock().map_err(|_| anyhow!("ledger poisoned"))?;
                ledger
                    .acked
                    .entry(conversation.clone())
                    .or_default()
                    .push(text.clone());
                ledger.total += 1;
                drop(ledger);
                progress.send_modify(|p| p.acks[slot] += 1);
                client = Some(c);
                break;
            }
            // The connection failed: reconnect and send the same frame again.
        }
    }
    Ok(client)
}

/// Texts of a `resumed` or `conversation` frame's messages.
pub fn texts(frame: &Value) -> Vec<String> {
    frame["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
