//! Failover on a real PostgreSQL with two real relay processes behind real HAProxy
//! (`packaging/haproxy.cfg`): 8 conversations keep chatting, the leader is `kill -9`ed,
//! the standby takes over, every conversation resumes with the same counselor, and every
//! acknowledged message is stored exactly once and delivered to its peer. Two cycles by
//! default; `FAILOVER_CYCLES=20` (`scripts/failover-soak 20`) for the soak, which prints
//! one line per cycle.
//!
//! And the split brain: a leader stopped with SIGSTOP loses its lease, the standby takes
//! over, and after SIGCONT the old leader steps down without writing anything.
//!
//! Needs the relay binary built (`cargo build -p chathulp-relay`; `cargo test
//! --workspace` does) and `haproxy` (scripts/test installs it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chathulp_tests::failover::{
    self, DEADLINE, Haproxy, Ledger, Party, Progress, RelayProcess, add_counselor, chatter,
    client_tls, free_port, ready_through, reconnect, shared_folders,
};
use chathulp_tests::{Client, PASSWORD, pg};
use serde_json::json;
use tokio::sync::watch;

const PAIRS: usize = 8;
/// Acks every party gets after a takeover before the next cycle starts.
const ACKS_AFTER_TAKEOVER: usize = 3;

/// Waits until `progress` satisfies `pred`.
async fn until(
    what: &str,
    progress: &mut watch::Receiver<Progress>,
    pred: impl FnMut(&Progress) -> bool,
) -> anyhow::Result<Progress> {
    tokio::time::timeout(DEADLINE, progress.wait_for(pred))
        .await
        .map_err(|_| anyhow!("no {what} within {DEADLINE:?}"))?
        .map(|p| p.clone())
        .map_err(|_| anyhow!("progress ended before {what}"))
}

/// Stored bodies and how often each is stored.
async fn stored(url: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    let db = pg::connect(url).await?;
    let rows = db
        .query("SELECT body, count(*) FROM messages GROUP BY body", &[])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_and_every_acknowledged_message_survives() -> anyhow::Result<()> {
    let cycles: usize = std::env::var("FAILOVER_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2);
    let cluster = pg::cluster()?;
    let url = cluster.database("failover").await?;
    let root = tempfile::tempdir()?;
    let dirs = shared_folders(root.path(), &url, true)?;
    add_counselor(&dirs[0], "an")?;
    let tls = client_tls(&dirs[0])?;
    let ports = [free_port()?, free_port()?];

    let mut relays: [Option<RelayProcess>; 2] =
        [Some(RelayProcess::start(&dirs[0], ports[0])?), None];
    relays[0]
        .as_ref()
        .context("a")?
        .logged("listening on https://")
        .await?;
    relays[1] = Some(RelayProcess::start(&dirs[1], ports[1])?);
    relays[1]
        .as_ref()
        .context("b")?
        .logged("standby on https://")
        .await?;
    let haproxy = Haproxy::start(root.path(), ports)?;
    ready_through(haproxy.addr, tls.clone()).await?;
    let addr = haproxy.addr;

    // 8 conversations with one counselor, all through HAProxy.
    let mut counselor = Client::connect(&format!("wss://{addr}/ws/staff"), tls.clone()).await?;
    counselor
        .send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    let staff_token = counselor.expect("login_ok").await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut parties = Vec::new();
    let mut clients = Vec::new();
    let mut conversations = Vec::new();
    for i in 0..PAIRS {
        let mut v = Client::connect(&format!("wss://{addr}/ws/visitor"), tls.clone()).await?;
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
        parties.push(Party::Visitor {
            index: i,
            conversation: id.clone(),
            token,
        });
        clients.push(Some(v));
        conversations.push(id);
    }
    parties.push(Party::Counselor {
        token: staff_token.clone(),
        conversations: conversations.clone(),
    });
    clients.push(Some(counselor));

    let started = Instant::now();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let (progress_tx, mut progress) = watch::channel(Progress {
        acks: vec![0; parties.len()],
        resumes: Vec::new(),
    });
    let (stop_tx, stop) = watch::channel(false);
    let mut tasks = Vec::new();
    for (slot, (party, client)) in parties.iter().zip(clients).enumerate() {
        tasks.push(tokio::spawn(chatter(
            party.clone(),
            slot,
            client,
            addr,
            tls.clone(),
            ledger.clone(),
            progress_tx.clone(),
            stop.clone(),
            started,
        )));
    }

    let mut leader = 0;
    println!("cycle\tacked\tstored\tlost\tduplicated\tkill_to_ready_ms\tkill_to_first_resume_ms");
    let mut kill_to_ready = Vec::new();
    let mut kill_to_resume = Vec::new();
    for cycle in 1..=cycles {
        // Everyone has chatted on this leader.
        let base = progress.borrow().acks.clone();
        until("chatting", &mut progress, |p| {
            p.acks
                .iter()
                .zip(&base)
                .all(|(n, b)| *n >= b + ACKS_AFTER_TAKEOVER)
        })
        .await?;
        let resumes_before = progress.borrow().resumes.len();
        let killed = Instant::now();
        let killed_ms = started.elapsed().as_millis();
        relays[leader].as_ref().context("leader")?.signal("KILL")?;
        let standby = 1 - leader;
        relays[standby]
            .as_ref()
            .context("standby")?
            .logged("took the leader lease")
            .await?;
        ready_through(addr, tls.clone()).await?;
        let ready_ms = killed.elapsed().as_millis();
        let after = until("a resumed conversation", &mut progress, |p| {
            p.resumes.len() > resumes_before
        })
        .await?;
        let resume_ms = after.resumes[resumes_before..]
            .iter()
            .min()
            .map(|at| at - killed_ms)
            .unwrap_or_default();
        // Every party is back and chatting on the new leader.
        let base = progress.borrow().acks.clone();
        until("chatting after the takeover", &mut progress, |p| {
            p.acks
                .iter()
                .zip(&base)
                .all(|(n, b)| *n >= b + ACKS_AFTER_TAKEOVER)
        })
        .await?;
        // The killed relay comes back as the standby (systemd's Restart=always).
        let mut dead = relays[leader].take().context("dead")?;
        let status = dead.exited().await?;
        assert!(!status.success(), "kill -9 ends the leader: {status}");
        drop(dead);
        let back = RelayProcess::start(&dirs[leader], ports[leader])?;
        back.logged("standby on https://").await?;
        relays[leader] = Some(back);
        leader = standby;

        let (acked, acked_texts) = {
            let l = ledger.lock().map_err(|_| anyhow!("poisoned"))?;
            let texts: Vec<String> = l.acked.values().flatten().cloned().collect();
            (l.total, texts)
        };
        let in_db = stored(&url).await?;
        let lost = acked_texts
            .iter()
            .filter(|t| !in_db.contains_key(*t))
            .count();
        let duplicated: i64 = in_db.values().map(|n| n - 1).sum();
        println!(
            "{cycle}\t{acked}\t{}\t{lost}\t{duplicated}\t{ready_ms}\t{resume_ms}",
            in_db.len()
        );
        assert_eq!(lost, 0, "acknowledged messages lost in cycle {cycle}");
        assert_eq!(duplicated, 0, "messages stored twice in cycle {cycle}");
        kill_to_ready.push(ready_ms);
        kill_to_resume.push(resume_ms);
    }
    stop_tx.send_replace(true);
    for task in tasks {
        task.await??;
    }
    let summary = |mut v: Vec<u128>| {
        v.sort_unstable();
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (ready_p50, ready_max) = summary(kill_to_ready);
    let (resume_p50, resume_max) = summary(kill_to_resume);
    println!(
        "over {cycles} cycles: kill to /readyz 200 p50 {ready_p50} ms, max {ready_max} ms; \
         kill to first resumed conversation p50 {resume_p50} ms, max {resume_max} ms"
    );

    // Every acked message is delivered to both sides, once, with the same counselor.
    let acked_by_conversation = ledger
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .acked
        .clone();
    let counselor_party = parties.last().context("counselor")?;
    let mut counselor = reconnect_with_snapshots(counselor_party, addr, tls.clone()).await?;
    for (i, party) in parties[..PAIRS].iter().enumerate() {
        let Party::Visitor { token, .. } = party else {
            continue;
        };
        let mut v = Client::connect(&format!("wss://{addr}/ws/visitor"), tls.clone()).await?;
        v.send(json!({"type":"resume","protocol":1,"token":token,"last_seq":0}))
            .await?;
        let resumed = v.expect("resumed").await?;
        assert_eq!(
            resumed["assigned"], true,
            "conversation {i} still has its counselor"
        );
        let visitor_view = failover::texts(&resumed);
        let id = &conversations[i];
        let counselor_view = counselor.remove(id).context("the counselor kept it")?;
        let acked = acked_by_conversation.get(id).cloned().unwrap_or_default();
        for view in [&visitor_view, &counselor_view] {
            let unique: BTreeSet<&String> = view.iter().collect();
            assert_eq!(unique.len(), view.len(), "a message shows twice in {id}");
            for text in &acked {
                assert!(view.contains(text), "acked {text:?} not delivered in {id}");
            }
        }
    }
    drop(haproxy);
    Ok(())
}

/// Signs the counselor in again and returns each conversation's snapshot texts (the
/// `conversation` frames before `synced`).
async fn reconnect_with_snapshots(
    party: &Party,
    addr: std::net::SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let Party::Counselor { token, .. } = party else {
        anyhow::bail!("not the counselor");
    };
    let mut c = Client::connect(&format!("wss://{addr}/ws/staff"), tls).await?;
    c.send(json!({"type":"session","protocol":1,"token":token}))
        .await?;
    c.expect("login_ok").await?;
    let mut view = BTreeMap::new();
    loop {
        let frame = c.next().await?;
        match frame["type"].as_str() {
            Some("conversation") => {
                view.insert(
                    frame["conversation"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    failover::texts(&frame),
                );
            }
            Some("synced") => return Ok(view),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_leader_that_wakes_up_steps_down_without_writing() -> anyhow::Result<()> {
    let cluster = pg::cluster()?;
    let url = cluster.database("splitbrain").await?;
    let root = tempfile::tempdir()?;
    let dirs = shared_folders(root.path(), &url, false)?;
    add_counselor(&dirs[0], "an")?;
    let tls = client_tls(&dirs[0])?;
    let ports = [free_port()?, free_port()?];
    let mut old = RelayProcess::start(&dirs[0], ports[0])?;
    old.logged("listening on https://").await?;
    let new = RelayProcess::start(&dirs[1], ports[1])?;
    new.logged("standby on https://").await?;

    // One conversation on the old leader, talking to it directly.
    let old_addr = format!("127.0.0.1:{}", ports[0]);
    let mut counselor = Client::connect(&format!("wss://{old_addr}/ws/staff"), tls.clone()).await?;
    counselor
        .send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    counselor.expect("login_ok").await?;
    let mut visitor = Client::connect(&format!("wss://{old_addr}/ws/visitor"), tls.clone()).await?;
    visitor
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"v"}))
        .await?;
    let token = visitor.expect("welcome").await?["resume_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conversation = counselor.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    visitor
        .send(json!({"type":"send","client_id":"before","text":"voor de pauze"}))
        .await?;
    visitor.expect("ack").await?;

    // The leader freezes; a message reaches its socket while it is stopped.
    old.signal("STOP")?;
    visitor
        .send(json!({"type":"send","client_id":"during","text":"tijdens de pauze"}))
        .await?;
    new.logged("took the leader lease").await?;
    let db = pg::connect(&url).await?;
    let epoch: i64 = db
        .query_one("SELECT epoch FROM relay_leader WHERE id = 1", &[])
        .await?
        .get(0);
    let before = stored(&url).await?;

    // It wakes up: it must step down, and write nothing.
    old.signal("CONT")?;
    let status = old.exited().await?;
    assert!(!status.success(), "the old leader exits non-zero: {status}");
    let after = stored(&url).await?;
    assert_eq!(before, after, "the old leader wrote after the takeover");
    assert!(
        !after.contains_key("tijdens de pauze"),
        "the message sent to the stopped leader is not stored by it"
    );
    let now: i64 = db
        .query_one("SELECT epoch FROM relay_leader WHERE id = 1", &[])
        .await?
        .get(0);
    assert_eq!(now, epoch, "the new leader's term goes on");
    assert!(
        old.log_contains("stepp"),
        "the old leader said it stepped down"
    );

    // The visitor resumes on the new leader and sends it again: stored once.
    let party = Party::Visitor {
        index: 0,
        conversation: conversation.clone(),
        token,
    };
    let new_addr: std::net::SocketAddr = format!("127.0.0.1:{}", ports[1]).parse()?;
    let mut visitor = reconnect(&party, new_addr, tls.clone()).await?;
    visitor
        .send(json!({"type":"send","client_id":"during","text":"tijdens de pauze"}))
        .await?;
    visitor.expect("ack").await?;
    let finally = stored(&url).await?;
    assert_eq!(finally.get("tijdens de pauze"), Some(&1));
    assert_eq!(finally.get("voor de pauze"), Some(&1));
    Ok(())
}
