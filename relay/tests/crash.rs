//! `kill -9` of the relay binary in the middle of many conversations, then a restart on
//! the same data folder: every message that was acknowledged to anyone is stored and
//! delivered after the clients come back, none twice, and the unacknowledged ones can
//! be resent safely.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use chathulp_tests::{Client, PASSWORD, install_crypto};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");
const PAIRS: usize = 8;
/// Acked messages after which the relay is killed.
const KILL_AFTER_ACKS: usize = 60;

const CONFIG: &str = r#"
[limits]
counselor_capacity = 20

[[services]]
id = "caw"
name = "CAW online"
email = "info@caw.be"
hours_text = "altijd (test)"
hours = [{ days = "mon-sun", from = "00:00", to = "24:00" }]
"#;

struct Relay {
    child: Child,
    addr: String,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Relay {
    let mut child = Command::new(BIN)
        .arg("--dev")
        .arg("--config")
        .arg(dir.join("relay.toml"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the relay");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = rx
        .iter()
        .find_map(|l| {
            l.split("listening on https://")
                .nth(1)
                .map(|a| a.trim().to_owned())
        })
        .expect("a listening line");
    Relay { child, addr }
}

fn tls(dir: &Path) -> Arc<rustls::ClientConfig> {
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

/// What the clients saw before the crash: per conversation, the texts acked to anyone,
/// and the (client_id, text) sends that got no ack.
#[derive(Default)]
struct Ledger {
    sent: usize,
    acked: BTreeMap<String, BTreeSet<String>>,
    unacked: Vec<(String, Value)>,
}

/// Sends `frames` one by one, each after the previous one's ack, until the socket dies.
async fn chatter(
    mut client: Client,
    frames: impl Iterator<Item = (String, Value)>,
    ledger: Arc<Mutex<Ledger>>,
    acks: tokio::sync::watch::Sender<usize>,
) {
    for (conversation, frame) in frames {
        ledger.lock().expect("ledger").sent += 1;
        let text = frame["text"].as_str().unwrap_or_default().to_owned();
        let acked = async {
            client.send(frame.clone()).await?;
            client.expect("ack").await
        }
        .await;
        let mut ledger = ledger.lock().expect("ledger");
        if acked.is_ok() {
            ledger.acked.entry(conversation).or_default().insert(text);
            acks.send_modify(|n| *n += 1);
        } else {
            ledger.unacked.push((conversation, frame));
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_kill_minus_9() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("relay.toml"), CONFIG)?;
    let mut add = Command::new(BIN)
        .args(["user", "add", "an", "--role", "counselor", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(add.stdin.take().expect("stdin"), "{PASSWORD}")?;
    assert!(add.wait()?.success());

    let relay = start(dir.path());
    let tls = tls(dir.path());
    let url = |addr: &str, path: &str| format!("wss://{addr}{path}");

    let mut counselor = Client::connect(&url(&relay.addr, "/ws/staff"), tls.clone()).await?;
    counselor
        .send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    let staff_token = counselor.expect("login_ok").await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut visitors = Vec::new();
    let mut conversations = Vec::new();
    for i in 0..PAIRS {
        let mut v = Client::connect(&url(&relay.addr, "/ws/visitor"), tls.clone()).await?;
        v.send(json!({"type":"hello","protocol":1,"service":"caw","nickname":format!("v{i}")}))
            .await?;
        let token = v.expect("welcome").await?["resume_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        counselor
            .send(json!({"type":"take","service":"caw"}))
            .await?;
        let id = counselor.expect("conversation").await?["conversation"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        visitors.push((v, token));
        conversations.push(id);
    }

    // Everyone writes as fast as acks come back; the relay dies part-way.
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let (acks, mut acked) = tokio::sync::watch::channel(0usize);
    let mut tasks = Vec::new();
    let mut tokens = Vec::new();
    for (i, (visitor, token)) in visitors.into_iter().enumerate() {
        tokens.push(token);
        let id = conversations[i].clone();
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
            ledger.clone(),
            acks.clone(),
        )));
    }
    let ids = conversations.clone();
    let frames = (0..).map(move |k: usize| {
        let id = ids[k % PAIRS].clone();
        let text = format!("counselor bericht {k} aan {id}");
        let frame =
            json!({"type":"send","conversation":id,"client_id":format!("c-{k}"),"text":text});
        (id, frame)
    });
    tasks.push(tokio::spawn(chatter(
        counselor,
        frames,
        ledger.clone(),
        acks.clone(),
    )));
    acked.wait_for(|n| *n >= KILL_AFTER_ACKS).await?;
    let status = Command::new("kill")
        .args(["-KILL", &relay.child.id().to_string()])
        .status()?;
    assert!(status.success());
    for task in tasks {
        task.await?;
    }
    drop(relay);

    // Restart on the same folder; everyone comes back.
    let relay = start(dir.path());
    let mut counselor = Client::connect(&url(&relay.addr, "/ws/staff"), tls.clone()).await?;
    counselor
        .send(json!({"type":"session","protocol":1,"token":staff_token}))
        .await?;
    counselor.expect("login_ok").await?;
    let mut counselor_view: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        let frame = counselor.next().await?;
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
                counselor_view.insert(
                    frame["conversation"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    texts,
                );
            }
            Some("synced") => break,
            _ => {}
        }
    }
    let mut visitor_view: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut resumed_visitors = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut v = Client::connect(&url(&relay.addr, "/ws/visitor"), tls.clone()).await?;
        v.send(json!({"type":"resume","protocol":1,"token":token,"last_seq":0}))
            .await?;
        let resumed = v.expect("resumed").await?;
        let texts = resumed["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["text"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        visitor_view.insert(conversations[i].clone(), texts);
        resumed_visitors.push(v);
    }

    let ledger = Arc::try_unwrap(ledger)
        .map_err(|_| anyhow::anyhow!("ledger still shared"))?
        .into_inner()
        .map_err(|_| anyhow::anyhow!("ledger poisoned"))?;
    let acked_total: usize = ledger.acked.values().map(BTreeSet::len).sum();
    let mut delivered = 0;
    for id in &conversations {
        let acked = ledger.acked.get(id).cloned().unwrap_or_default();
        for view in [&counselor_view[id], &visitor_view[id]] {
            let unique: BTreeSet<&String> = view.iter().collect();
            assert_eq!(unique.len(), view.len(), "a message shows twice in {id}");
            for text in &acked {
                assert!(
                    view.contains(text),
                    "acked {text:?} missing after restart in {id}"
                );
            }
        }
        delivered += counselor_view[id].len();
    }

    // Resending what got no ack stores each exactly once.
    let mut resent = 0;
    for (id, frame) in &ledger.unacked {
        let client = if frame.get("conversation").is_some() {
            &mut counselor
        } else {
            let i = conversations
                .iter()
                .position(|c| c == id)
                .expect("known conversation");
            &mut resumed_visitors[i]
        };
        client.send(frame.clone()).await?;
        client.expect("ack").await?;
        resent += 1;
    }
    let db = rusqlite::Connection::open(dir.path().join("chathulp.db"))?;
    let duplicates: i64 = db.query_row(
        "SELECT COUNT(*) FROM (SELECT conversation, body FROM messages
         GROUP BY conversation, body HAVING COUNT(*) > 1)",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(duplicates, 0);
    println!(
        "crash test: {} sent, {acked_total} acked before kill -9, {delivered} delivered after restart, {resent} unacked resent",
        ledger.sent
    );
    drop(relay);
    Ok(())
}
