//! The relay binary as an operator runs it (issue 14): every file it writes is owner-only
//! under `umask 022`; `/metrics` on its own listener counts exactly what happened;
//! `/healthz` and `/readyz`; a backup taken while conversations chat restores every
//! acknowledged message; JSON log lines hold no address and no message text.
//!
//! Each test runs its own relay process, so the process-wide metrics see only that
//! test's conversation.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use chathulp_tests::{Client, PASSWORD, install_crypto};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

/// One service open around the clock, metrics on a port of the system's choosing.
const CONFIG: &str = r#"
[limits]
counselor_capacity = 20

[metrics]
listen = "127.0.0.1:0"

[[services]]
id = "caw"
name = "CAW online"
email = "info@caw.be"
hours_text = "altijd (test)"
hours = [{ days = "mon-sun", from = "00:00", to = "24:00" }]
"#;

/// A relay process; killed when dropped.
struct Relay {
    child: Child,
    addr: String,
    metrics: Option<String>,
    /// Every stderr line so far.
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Relay {
    fn url(&self, path: &str) -> String {
        format!("wss://{}{path}", self.addr)
    }

    /// SIGTERM, and waits for the graceful stop.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// `chathulp-relay ARGS --data-dir DIR` under `umask 022`, like a shell with the usual
/// umask would start it.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "info");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = command(dir, args).output().expect("run the relay binary");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A data folder with `relay.toml` (CONFIG plus `extra`) and the counselor `an`.
fn prepare(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("relay.toml"), format!("{extra}\n{CONFIG}")).expect("config");
    let mut add = command(dir.path(), &["user", "add", "an", "--role", "counselor"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    writeln!(add.stdin.take().expect("stdin"), "{PASSWORD}").expect("password");
    assert!(add.wait().expect("user add").success());
    dir
}

fn start(dir: &Path, log_level: &str) -> Relay {
    let config = dir.join("relay.toml");
    let config = config.to_str().expect("utf-8 path");
    let mut child = command(
        dir,
        &["--dev", "--config", config, "--listen", "127.0.0.1:0"],
    )
    .env("RUST_LOG", log_level)
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the relay");
    let stderr = child.stderr.take().expect("stderr");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            kept.lock().expect("lines").push(line.clone());
            let _ = tx.send(line);
        }
    });
    let after = |l: &str, marker: &str| {
        l.split(marker).nth(1).map(|a| {
            a.split(|c: char| c == '/' || c == '"' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    };
    let mut metrics = None;
    let addr = rx
        .iter()
        .find_map(|l| {
            if let Some(m) = after(&l, "metrics on http://") {
                metrics = Some(m);
            }
            after(&l, "listening on https://")
        })
        .expect("a listening line");
    Relay {
        child,
        addr,
        metrics,
        lines,
    }
}

fn dev_tls(dir: &Path) -> Arc<rustls::ClientConfig> {
    install_crypto();
    let pem = std::fs::read(dir.join("dev-cert.pem")).expect("dev cert");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.expect("a certificate")).expect("trusted");
    }
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

async fn counselor(relay: &Relay, tls: &Arc<rustls::ClientConfig>) -> anyhow::Result<Client> {
    let mut c = Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    c.send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    c.expect("login_ok").await?;
    Ok(c)
}

/// A visitor from `source` (a loopback address) who said hello and was taken by `staff`.
async fn taken_visitor(
    relay: &Relay,
    tls: &Arc<rustls::ClientConfig>,
    staff: &mut Client,
    nickname: &str,
) -> anyhow::Result<(Client, String)> {
    let mut v = Client::connect(&relay.url("/ws/visitor"), tls.clone()).await?;
    v.send(json!({"type":"hello","protocol":1,"service":"caw","nickname":nickname}))
        .await?;
    v.expect("welcome").await?;
    staff.send(json!({"type":"take","service":"caw"})).await?;
    let id = staff.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    v.expect("assigned").await?;
    Ok((v, id))
}

/// Plain HTTP/1.1 GET on loopback; returns the status code and body.
async fn http_get(addr: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

/// The value of the sample `name` (with its labels, as printed), 0 if absent.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(name)
                .filter(|rest| rest.starts_with(' '))
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

async fn scrape(relay: &Relay) -> anyhow::Result<String> {
    let addr = relay.metrics.as_deref().expect("metrics listening");
    let (status, body) = http_get(addr, "/metrics").await?;
    assert_eq!(status, 200, "{body}");
    Ok(body)
}

/// A GET over TLS to the public listener; returns the status code and body.
async fn https_get(
    relay: &Relay,
    tls: &Arc<rustls::ClientConfig>,
    path: &str,
) -> anyhow::Result<(u16, String)> {
    let tcp = tokio::net::TcpStream::connect(&relay.addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1")?.to_owned();
    let mut stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        relay.addr
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

/// Every file and folder under `root`, recursively, with its permission bits.
fn modes(root: &Path) -> Vec<(PathBuf, bool, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read dir")
            .map_while(Result::ok)
        {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue; // gone meanwhile (a -shm or a journal)
            };
            if meta.is_dir() {
                todo.push(path.clone());
            }
            found.push((path, meta.is_dir(), meta.permissions().mode() & 0o777));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_the_relay_writes_is_owner_only_under_umask_022() -> anyhow::Result<()> {
    let dir = prepare("");
    let relay = start(dir.path(), "info");
    let tls = dev_tls(dir.path());
    let mut an = counselor(&relay, &tls).await?;
    let (mut visitor, id) = taken_visitor(&relay, &tls, &mut an, "Noor").await?;
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"ik wil praten"}))
        .await?;
    visitor.expect("ack").await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    // A backup and an export while the relay runs (the WAL and SHM exist now).
    let backups = dir.path().join("backups");
    run(dir.path(), &["backup", backups.to_str().expect("utf-8")]);
    let export = run(
        dir.path(),
        &["export", "--conversation", &id, "--anonymise"],
    );
    assert!(!export.stdout.is_empty());
    let wal = dir.path().join("chathulp.db-wal");
    assert!(wal.exists(), "the WAL is checked while the relay runs");

    let mut seen = BTreeSet::new();
    for (path, is_dir, mode) in modes(dir.path()) {
        if path.file_name().is_some_and(|n| n == "relay.toml") {
            continue; // the test wrote it
        }
        let want = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} has mode {mode:o}", path.display());
        seen.insert(
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    }
    for file in [
        "chathulp.db",
        "chathulp.db-wal",
        "chathulp.db-shm",
        "vault.key",
        "dev-key.pem",
        "dev-cert.pem",
        "backups",
    ] {
        assert!(seen.contains(file), "{file} was checked: {seen:?}");
    }
    assert!(
        seen.iter()
            .any(|f| f.starts_with("chathulp-") && f.ends_with(".db")),
        "a backup was checked: {seen:?}"
    );
    relay.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_exactly_one_served_conversation_on_their_own_listener() -> anyhow::Result<()>
{
    let dir = prepare("");
    let relay = start(dir.path(), "info");
    let tls = dev_tls(dir.path());
    let before = scrape(&relay).await?;
    assert_eq!(
        sample(
            &before,
            "chathulp_conversations_started_total{service=\"caw\"}"
        ),
        0.0
    );

    let mut an = counselor(&relay, &tls).await?;
    let (mut visitor, id) = taken_visitor(&relay, &tls, &mut an, "Noor").await?;
    let during = scrape(&relay).await?;
    assert_eq!(
        sample(&during, "chathulp_conversations_live{service=\"caw\"}"),
        1.0
    );
    assert_eq!(sample(&during, "chathulp_counselors_online"), 1.0);
    const N: usize = 5;
    for k in 0..N {
        if k % 2 == 0 {
            visitor
                .send(json!({"type":"send","client_id":format!("v{k}"),"text":format!("bericht {k}")}))
                .await?;
            visitor.expect("ack").await?;
        } else {
            an.send(json!({"type":"send","conversation":id,"client_id":format!("c{k}"),"text":format!("antwoord {k}")}))
                .await?;
            an.expect("ack").await?;
        }
    }
    // A resend of a stored message is acked again but not stored again.
    visitor
        .send(json!({"type":"send","client_id":"v0","text":"bericht 0"}))
        .await?;
    visitor.expect("ack").await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    let after = scrape(&relay).await?;
    let caw = |name: &str| sample(&after, &format!("{name}{{service=\"caw\"}}"));
    assert_eq!(caw("chathulp_conversations_started_total"), 1.0, "{after}");
    assert_eq!(caw("chathulp_conversations_served_total"), 1.0);
    assert_eq!(caw("chathulp_conversations_abandoned_total"), 0.0);
    assert_eq!(caw("chathulp_wait_seconds_count"), 1.0, "a wait recorded");
    assert_eq!(caw("chathulp_conversation_duration_seconds_count"), 1.0);
    assert_eq!(caw("chathulp_conversations_live"), 0.0);
    assert_eq!(caw("chathulp_visitors_waiting"), 0.0);
    assert_eq!(sample(&after, "chathulp_messages_stored_total"), N as f64);
    assert!(sample(&after, "chathulp_store_commit_seconds_count") >= 1.0);
    assert!(sample(&after, "chathulp_process_resident_memory_bytes") > 0.0);
    assert!(sample(&after, "chathulp_process_open_fds") > 0.0);
    assert!(after.contains("chathulp_build_info{version=\""), "{after}");
    for secret in ["Noor", "bericht", "antwoord", "\"an\""] {
        assert!(!after.contains(secret), "{secret} in the metrics");
    }

    // Never on the public listener; health and readiness are.
    let (status, _) = https_get(&relay, &tls, "/metrics").await?;
    assert_eq!(status, 404);
    let (status, body) = https_get(&relay, &tls, "/healthz").await?;
    assert_eq!((status, body.trim()), (200, "ok"));
    relay.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_lists_its_named_checks_and_passes_on_a_healthy_relay() -> anyhow::Result<()> {
    let dir = prepare("");
    let relay = start(dir.path(), "info");
    let tls = dev_tls(dir.path());
    // The first housekeeping tick runs at start; until it has, the relay is not ready.
    let deadline = std::time::Instant::now() + chathulp_tests::PATIENCE;
    let (status, body) = loop {
        let (status, body) = https_get(&relay, &tls, "/readyz").await?;
        if status == 200 || std::time::Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body)?;
    assert_eq!(ready["ready"], true);
    let names: Vec<&str> = ready["checks"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "leader",
            "store_writable",
            "certificate_loaded",
            "housekeeping_recent"
        ]
    );
    assert!(
        ready["checks"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["ok"] == true))
    );
    relay.stop();
    Ok(())
}

/// Sends `frames` one by one, each after the previous one's ack, until told to stop;
/// records each acked text with the time of its ack.
async fn chatter(
    mut client: Client,
    frames: impl Iterator<Item = (String, Value)>,
    acked: Arc<Mutex<Vec<(std::time::Instant, String, String)>>>,
    stop: tokio_util::sync::CancellationToken,
) -> Client {
    for (conversation, frame) in frames {
        if stop.is_cancelled() {
            break;
        }
        let text = frame["text"].as_str().unwrap_or_default().to_owned();
        if client.send(frame).await.is_err() || client.expect("ack").await.is_err() {
            break;
        }
        let at = std::time::Instant::now();
        acked.lock().expect("acked").push((at, conversation, text));
    }
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_chatting_restores_every_message_acked_before_it() -> anyhow::Result<()>
{
    const PAIRS: usize = 3;
    let dir = prepare("");
    let relay = start(dir.path(), "info");
    let tls = dev_tls(dir.path());
    let mut an = counselor(&relay, &tls).await?;
    let mut visitors = Vec::new();
    let mut ids = Vec::new();
    for i in 0..PAIRS {
        let (v, id) = taken_visitor(&relay, &tls, &mut an, &format!("v{i}")).await?;
        visitors.push(v);
        ids.push(id);
    }
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut tasks = Vec::new();
    for (i, visitor) in visitors.into_iter().enumerate() {
        let id = ids[i].clone();
        let frames = (0..).map(move |k| {
            let text = format!("visitor {i} bericht {k}");
            (
                id.clone(),
                json!({"type":"send","client_id":format!("v{i}-{k}"),"text":text}),
            )
        });
        tasks.push(tokio::spawn(chatter(
            visitor,
            frames,
            acked.clone(),
            stop.clone(),
        )));
    }
    let all = ids.clone();
    let frames = (0..).map(move |k: usize| {
        let id = all[k % PAIRS].clone();
        let text = format!("counselor bericht {k}");
        let frame =
            json!({"type":"send","conversation":id,"client_id":format!("c-{k}"),"text":text});
        (id, frame)
    });
    tasks.push(tokio::spawn(chatter(
        an,
        frames,
        acked.clone(),
        stop.clone(),
    )));

    // Some chat first, then the backup in the middle of it.
    let patience = std::time::Instant::now() + chathulp_tests::PATIENCE;
    while acked.lock().expect("acked").len() < 40 && std::time::Instant::now() < patience {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let backups = dir.path().join("backups");
    let began = std::time::Instant::now();
    let backup_dir = backups.clone();
    let data = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &data,
            &["backup", backup_dir.to_str().expect("utf-8"), "--keep", "3"],
        )
    })
    .await?;
    let acked_during = acked.lock().expect("acked").len();
    stop.cancel();
    for task in tasks {
        task.await?;
    }
    relay.stop();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let backup = printed
        .lines()
        .find_map(|l| l.strip_prefix("Backup written: "))
        .and_then(|l| l.split(" (").next())
        .map(PathBuf::from)
        .expect("the backup's path");

    let before: BTreeMap<String, BTreeSet<String>> = acked
        .lock()
        .expect("acked")
        .iter()
        .filter(|(at, _, _)| *at < began)
        .fold(BTreeMap::new(), |mut m, (_, id, text)| {
            m.entry(id.clone()).or_default().insert(text.clone());
            m
        });
    let before_total: usize = before.values().map(BTreeSet::len).sum();
    assert!(before_total >= 40, "chat ran before the backup");

    // Restore into a new data folder; start a relay there; the counselor finds them all.
    let fresh = tempfile::tempdir()?;
    std::fs::copy(
        dir.path().join("relay.toml"),
        fresh.path().join("relay.toml"),
    )?;
    run(fresh.path(), &["restore", backup.to_str().expect("utf-8")]);
    let relay = start(fresh.path(), "info");
    let refused = command(fresh.path(), &["restore", backup.to_str().expect("utf-8")]).output()?;
    assert!(
        !refused.status.success(),
        "restore refused under a running relay"
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("a relay is running"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let fresh_tls = dev_tls(fresh.path());
    let mut an = Client::connect(&relay.url("/ws/staff"), fresh_tls).await?;
    an.send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    an.expect("login_ok").await?;
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    loop {
        let frame = an.next().await?;
        match frame["type"].as_str() {
            Some("conversation") => {
                let texts = frame["messages"]
                    .as_array()
                    .map(|m| {
                        m.iter()
                            .filter_map(|m| m["text"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let id = frame["conversation"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                seen.insert(id, texts);
            }
            Some("synced") => break,
            _ => {}
        }
    }
    for (id, texts) in &before {
        let restored = seen.get(id).cloned().unwrap_or_default();
        for text in texts {
            assert!(
                restored.contains(text),
                "{text:?} of {id} missing after restore"
            );
        }
    }
    println!(
        "backup under load: {before_total} acked before the backup began, {acked_during} by its end"
    );
    relay.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_hold_no_address_and_no_message_text() -> anyhow::Result<()> {
    let dir = prepare("[log]\nformat = \"json\"");
    let relay = start(dir.path(), "debug");
    let tls = dev_tls(dir.path());
    let mut an = counselor(&relay, &tls).await?;

    // A visitor from 127.0.0.77, which only this test uses.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind((std::net::Ipv4Addr::new(127, 0, 0, 77), 0).into())?;
    let tcp = socket.connect(relay.addr.parse()?).await?;
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            relay.url("/ws/visitor"),
        )?;
    request
        .headers_mut()
        .insert("origin", format!("https://{}", relay.addr).parse()?);
    let (ws, _) = tokio_tungstenite::client_async_tls_with_config(
        request,
        tcp,
        None,
        Some(tokio_tungstenite::Connector::Rustls(tls.clone())),
    )
    .await?;
    let mut visitor = Client::from_stream(ws);
    visitor
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Zeldzaam"}))
        .await?;
    visitor.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"geheimtekst-4711"}))
        .await?;
    visitor.expect("ack").await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;
    let metrics = scrape(&relay).await?;
    relay_stop_and_check(relay, &metrics)
}

fn relay_stop_and_check(relay: Relay, metrics: &str) -> anyhow::Result<()> {
    let lines = Arc::clone(&relay.lines);
    relay.stop();
    let lines = lines.lock().expect("lines").clone();
    assert!(lines.len() > 3, "log lines were captured: {lines:?}");
    for line in &lines {
        let parsed: Value = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("not a JSON line ({e}): {line}"))?;
        assert!(parsed["level"].is_string(), "{line}");
        for secret in ["127.0.0.77", "7f00004d", "geheimtekst-4711", "Zeldzaam"] {
            assert!(!line.contains(secret), "{secret} in a log line: {line}");
        }
    }
    assert!(
        lines.iter().any(|l| l.contains("listening on https://")),
        "the listening line is there in JSON too"
    );
    for secret in ["127.0.0.77", "7f00004d", "Zeldzaam"] {
        assert!(!metrics.contains(secret), "{secret} in the metrics");
    }
    Ok(())
}
