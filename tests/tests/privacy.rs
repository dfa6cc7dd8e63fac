//! Confidentiality (issue 4): the visitor's address is sealed in the vault, shown only to
//! the counselor whose emergency reveal an administrator approved, and nowhere else: not
//! in any frame to other staff, not in any log line at any level, not in the database
//! file in readable form. Blocks hold for their hours and lift by themselves; the audit
//! log's chain shows tampering; retention purges exactly the conversations past it.

use std::net::Ipv4Addr;

use chathulp_relay::Config;
use chathulp_tests::{Client, TestRelay};
use serde_json::{Value, json};

/// The unique address our visitor connects from.
const VISITOR: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 77);

/// Every form in which the address could leak in text.
fn leaks(text: &str) -> bool {
    text.contains("127.0.0.77") || text.to_ascii_lowercase().contains("7f00004d")
}

/// A visitor from [`VISITOR`] whom `counselor` has taken; returns the conversation id.
async fn taken_visitor(
    relay: &TestRelay,
    counselor: &mut Client,
    nickname: &str,
) -> anyhow::Result<(Client, String)> {
    taken_from(relay, counselor, VISITOR, nickname).await
}

/// A visitor from `source` whom `counselor` has taken; returns the conversation id.
async fn taken_from(
    relay: &TestRelay,
    counselor: &mut Client,
    source: Ipv4Addr,
    nickname: &str,
) -> anyhow::Result<(Client, String)> {
    let mut visitor = relay.visitor_from(source, None).await?;
    visitor
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":nickname}))
        .await?;
    visitor.expect("welcome").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conversation = counselor.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((visitor, conversation))
}

/// The next `reveals` list that is not empty (the one after sign-in may be).
async fn reveals_with_requests(staff: &mut Client) -> anyhow::Result<Value> {
    loop {
        let list = staff.expect("reveals").await?;
        if list["requests"].as_array().is_some_and(|r| !r.is_empty()) {
            return Ok(list);
        }
    }
}

/// The first frame a new visitor from `source` gets after sending `hello`.
async fn first_reply(relay: &TestRelay, source: Ipv4Addr, hello: &Value) -> anyhow::Result<Value> {
    let mut v = relay.visitor_from(source, None).await?;
    v.send(hello.clone()).await?;
    v.next().await
}

async fn expect_error(client: &mut Client, frame: Value) -> anyhow::Result<String> {
    client.send(frame).await?;
    Ok(client.expect("error").await?["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn only_the_approved_counselor_ever_sees_the_address() -> anyhow::Result<()> {
    let logs = chathulp_tests::captured_logs();
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let mut sup = relay.staff("sup").await?;
    let mut adm = relay.staff("adm").await?;
    let (mut visitor, id) = taken_visitor(&relay, &mut an, "Noor").await?;
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"hallo"}))
        .await?;
    visitor.expect("ack").await?;

    // Refused by the relay, not just hidden by the app.
    let reveal = |reason: &str| json!({"type":"request_reveal","conversation":id,"reason":reason});
    assert_eq!(
        expect_error(&mut bo, reveal("not mine")).await?,
        "not_found"
    );
    assert_eq!(
        expect_error(&mut sup, reveal("supervisor")).await?,
        "forbidden"
    );
    assert_eq!(expect_error(&mut an, reveal("   ")).await?, "invalid");

    // A request is pushed at once to supervisors and administrators, pending to `an`.
    an.send(reveal("acuut suïciderisico")).await?;
    let pending = an.expect("reveal").await?;
    assert_eq!(pending["request"]["state"], "pending");
    assert!(pending.get("ip").is_none());
    let first = pending["request"]["id"].as_u64().unwrap();
    // ... and on sign-in.
    let mut late_adm = relay.staff("adm").await?;
    for staff in [&mut sup, &mut adm, &mut late_adm] {
        let list = reveals_with_requests(staff).await?;
        assert_eq!(list["requests"][0]["state"], "pending");
        assert_eq!(list["requests"][0]["counselor"], "an");
    }

    // Nobody but an administrator decides.
    let decide = |request: u64, approve: bool| json!({"type":"decide_reveal","request":request,"approve":approve,"reason":"beoordeeld"});
    assert_eq!(
        expect_error(&mut sup, decide(first, true)).await?,
        "forbidden"
    );
    assert_eq!(
        expect_error(&mut an, decide(first, true)).await?,
        "forbidden"
    );

    // A denied request reveals nothing.
    adm.send(decide(first, false)).await?;
    let denied = an.expect("reveal").await?;
    assert_eq!(denied["request"]["state"], "denied");
    assert!(denied.get("ip").is_none(), "{denied}");
    assert_eq!(
        expect_error(&mut adm, decide(first, true)).await?,
        "not_found"
    );

    // An approved one shows the address to `an`, in this conversation's frame only.
    an.send(reveal("tweede poging, levensgevaar")).await?;
    let second = an.expect("reveal").await?["request"]["id"]
        .as_u64()
        .unwrap();
    adm.send(decide(second, true)).await?;
    let approved = an.expect("reveal").await?;
    assert_eq!(approved["request"]["state"], "approved");
    assert_eq!(approved["conversation"], id.as_str());
    assert_eq!(approved["ip"], "127.0.0.77");

    // Scan everything else: every frame to other staff and the rest of `an`'s frames.
    let mut elsewhere = Vec::new();
    for staff in [&mut bo, &mut sup, &mut adm, &mut late_adm] {
        elsewhere.extend(staff.drain().await?);
    }
    elsewhere.extend(an.drain().await?);
    assert!(
        elsewhere.iter().any(|f| f["type"] == "reveals"),
        "scan saw the lists"
    );
    for frame in &elsewhere {
        assert!(!leaks(&frame.to_string()), "address leaked in {frame}");
    }

    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;
    relay.broker.tick().await?;

    let log_text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        log_text.contains("emergency reveal requested"),
        "logs were captured"
    );
    let leaked: Vec<&str> = log_text.lines().filter(|l| leaks(l)).collect();
    assert!(leaked.is_empty(), "address in the logs: {leaked:#?}");
    for file in ["chathulp.db", "chathulp.db-wal"] {
        let path = relay.data_dir.join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !leaks(&String::from_utf8_lossy(&bytes)),
                "address readable in {file}"
            );
        }
    }

    // Every step is in the audit log, which verifies and holds no address.
    let rows = relay.broker.store().audit_log().await?;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "reveal_requested",
            "reveal_denied",
            "reveal_requested",
            "reveal_approved"
        ]
    );
    assert!(chathulp_relay::store::verify_chain(&rows).is_ok());
    assert!(!leaks(&format!("{rows:?}")));

    // Nor /metrics, scraped over HTTP from the metrics listener.
    let scraped = scrape_metrics(&relay).await?;
    assert!(
        scraped.contains("chathulp_reveal_requests_pending"),
        "{scraped}"
    );
    assert!(!leaks(&scraped), "address in the metrics: {scraped}");
    for secret in ["Noor", "hallo", "\"an\"", "\"adm\""] {
        assert!(!scraped.contains(secret), "{secret} in the metrics");
    }
    relay.stop().await
}

/// `GET /metrics` from a metrics listener serving `relay`'s broker, as Prometheus would.
async fn scrape_metrics(relay: &TestRelay) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(chathulp_relay::scrape::serve(
        listener,
        relay.broker.clone(),
        stop.clone(),
    ));
    let text = chathulp_tests::metrics_get(addr).await;
    stop.cancel();
    server.await??;
    text
}

#[tokio::test]
async fn a_block_holds_for_7h59m_and_lifts_at_8h() -> anyhow::Result<()> {
    // Open day and night, so the hours that pass don't close the service.
    let relay = TestRelay::start_with(Config::dev()).await?;
    let mut an = relay.staff("an").await?;
    let mut adm = relay.staff("adm").await?;
    let (mut visitor, id) = taken_visitor(&relay, &mut an, "Lou").await?;

    assert_eq!(
        expect_error(
            &mut an,
            json!({"type":"block","conversation":id,"reason":""})
        )
        .await?,
        "invalid"
    );
    assert_eq!(
        expect_error(
            &mut adm,
            json!({"type":"block","conversation":id,"reason":"x"})
        )
        .await?,
        "forbidden"
    );
    an.send(json!({"type":"block","conversation":id,"reason":"herhaaldelijk grensoverschrijdend"}))
        .await?;
    let blocked = an.expect("blocked").await?;
    assert_eq!(blocked["conversation"], id.as_str());
    let ended = visitor.expect("ended").await?;
    assert!(
        ended["reason"]
            .as_str()
            .unwrap()
            .contains("alternatieve vormen van hulp")
    );

    let hello = json!({"type":"hello","protocol":1,"service":"caw","nickname":"Lou2"});
    relay
        .clock
        .advance(jiff::SignedDuration::from_secs(7 * 3600 + 59 * 60));
    let refused = first_reply(&relay, VISITOR, &hello).await?;
    assert_eq!(refused["code"], "blocked", "{refused}");
    // Another address is not affected.
    let mut other = relay
        .visitor_from(Ipv4Addr::new(127, 0, 0, 78), None)
        .await?;
    other.send(hello.clone()).await?;
    other.expect("welcome").await?;

    // Administrators see it, without address or hash.
    adm.send(json!({"type":"list_blocks"})).await?;
    let list = adm.expect("blocks").await?;
    assert_eq!(list["blocks"].as_array().unwrap().len(), 1);
    assert!(list["blocks"][0].get("ip_hash").is_none());

    relay.clock.advance(jiff::SignedDuration::from_secs(60));
    let admitted = first_reply(&relay, VISITOR, &hello).await?;
    assert_eq!(admitted["type"], "welcome", "{admitted}");
    adm.send(json!({"type":"list_blocks"})).await?;
    assert_eq!(adm.expect("blocks").await?["blocks"], json!([]));
    relay.stop().await
}

#[tokio::test]
async fn an_administrator_lifts_a_block_and_it_is_audited() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut adm = relay.staff("adm").await?;
    let (_visitor, id) = taken_visitor(&relay, &mut an, "Mo").await?;
    an.send(json!({"type":"block","conversation":id,"reason":"bedreigingen"}))
        .await?;
    let block = an.expect("blocked").await?["block"]["id"].as_u64().unwrap();
    let lift = json!({"type":"lift_block","block":block,"reason":"vergissing"});
    assert_eq!(expect_error(&mut an, lift.clone()).await?, "forbidden");
    adm.send(lift.clone()).await?;
    assert_eq!(adm.expect("blocks").await?["blocks"], json!([]));
    assert_eq!(expect_error(&mut adm, lift).await?, "not_found");

    let mut again = relay.visitor_from(VISITOR, None).await?;
    again
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Mo"}))
        .await?;
    again.expect("welcome").await?;
    let actions: Vec<String> = relay
        .broker
        .store()
        .audit_log()
        .await?
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["block", "block_lifted"]);
    relay.stop().await
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() -> anyhow::Result<()> {
    let hello = json!({"type":"hello","protocol":1,"service":"caw","nickname":"Kim"});
    // Untrusted peer: the header is ignored, so blocking the peer blocks the spoofer.
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut spoofer = relay.visitor_from(VISITOR, Some("198.51.100.5")).await?;
    spoofer.send(hello.clone()).await?;
    spoofer.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap()
        .to_owned();
    an.send(json!({"type":"block","conversation":id,"reason":"spam"}))
        .await?;
    an.expect("blocked").await?;
    let mut disguised = relay.visitor_from(VISITOR, Some("198.51.100.6")).await?;
    disguised.send(hello.clone()).await?;
    assert_eq!(disguised.next().await?["code"], "blocked");
    relay.stop().await?;

    // Trusted proxy: each forwarded visitor is told apart, the proxy itself is not blocked.
    let mut config = Config::default();
    config.web.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let relay = TestRelay::start_with(config).await?;
    let mut an = relay.staff("an").await?;
    let mut first = relay.visitor_from(VISITOR, Some("198.51.100.5")).await?;
    first.send(hello.clone()).await?;
    first.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap()
        .to_owned();
    an.send(json!({"type":"block","conversation":id,"reason":"spam"}))
        .await?;
    an.expect("blocked").await?;
    let mut same = relay.visitor_from(VISITOR, Some("198.51.100.5")).await?;
    same.send(hello.clone()).await?;
    assert_eq!(same.next().await?["code"], "blocked");
    let mut neighbour = relay.visitor_from(VISITOR, Some("198.51.100.6")).await?;
    neighbour.send(hello.clone()).await?;
    neighbour.expect("welcome").await?;
    relay.stop().await
}

/// Behind HAProxy with `send-proxy-v2` (TLS passthrough) every connection comes from the
/// balancer; the PROXY header says whose it is. A block hits that visitor only, never the
/// balancer and the other visitors behind it, and a connection from the balancer's
/// address without a header is refused.
#[tokio::test]
async fn behind_a_proxy_protocol_balancer_a_block_hits_only_the_visitor_it_names()
-> anyhow::Result<()> {
    let hello = json!({"type":"hello","protocol":1,"service":"caw","nickname":"V"});
    let mut config = Config::default();
    // The balancer is 127.0.0.2; staff (and the test's other sockets) come from 127.0.0.1.
    let balancer = std::net::Ipv4Addr::new(127, 0, 0, 2);
    config.web.proxy_protocol_from = vec!["127.0.0.2/32".parse().unwrap()];
    let relay = TestRelay::start_with(config).await?;
    let mut an = relay.staff("an").await?;
    let mut first = relay
        .visitor_proxied_for(balancer, "198.51.100.5:40001".parse()?)
        .await?;
    first.send(hello.clone()).await?;
    first.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap()
        .to_owned();
    an.send(json!({"type":"block","conversation":id,"reason":"spam"}))
        .await?;
    an.expect("blocked").await?;

    let mut same = relay
        .visitor_proxied_for(balancer, "198.51.100.5:40002".parse()?)
        .await?;
    same.send(hello.clone()).await?;
    assert_eq!(same.next().await?["code"], "blocked");
    let mut neighbour = relay
        .visitor_proxied_for(balancer, "198.51.100.6:40003".parse()?)
        .await?;
    neighbour.send(hello.clone()).await?;
    neighbour.expect("welcome").await?;
    assert!(
        relay.visitor_from(balancer, None).await.is_err(),
        "a connection from the balancer's address without a PROXY header is refused"
    );
    relay.stop().await
}

/// Whether conversation `id` is stored, how many messages it has, and whether its sealed
/// address is stored.
async fn stored(store: &chathulp_relay::Store, id: &str) -> anyhow::Result<(bool, usize, bool)> {
    let id = chathulp_shared::ConversationId(id.to_owned());
    Ok((
        store.conversation(id.clone()).await?.is_some(),
        store.messages(id.clone()).await?.len(),
        store.sealed_address(id).await?.is_some(),
    ))
}

#[tokio::test]
async fn retention_purges_exactly_the_conversations_past_it() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(Config::dev()).await?;
    let mut an = relay.staff("an").await?;
    let (mut old_visitor, old) = taken_visitor(&relay, &mut an, "Oud").await?;
    old_visitor
        .send(json!({"type":"send","client_id":"v1","text":"mijn verhaal"}))
        .await?;
    old_visitor.expect("ack").await?;
    an.send(json!({"type":"request_reveal","conversation":old,"reason":"nood"}))
        .await?;
    an.expect("reveal").await?;
    an.send(json!({"type":"tag_name","conversation":old,"name":"Jonas"}))
        .await?;
    an.expect("names_tagged").await?;
    an.send(json!({"type":"end","conversation":old})).await?;
    an.expect("ended").await?;

    relay
        .clock
        .advance(jiff::SignedDuration::from_secs(2 * 86400));
    let (_new_visitor, new) = taken_visitor(&relay, &mut an, "Nieuw").await?;
    an.send(json!({"type":"end","conversation":new})).await?;
    an.expect("ended").await?;

    // A minute before 183 days after the first ended: nothing goes yet.
    let store = relay.broker.store();
    // A per-connection setting: the writer's connection is the one that deletes
    // (SQLite; PostgreSQL's deleted rows are the server's, see docs/security.md).
    if let Some(sqlite) = store.sqlite() {
        let secure_delete: i64 = sqlite
            .write(|c| Ok(c.pragma_query_value(None, "secure_delete", |r| r.get(0))?))
            .await?;
        assert_eq!(secure_delete, 1, "deleted rows are overwritten");
    }
    assert_eq!(stored(store, &old).await?, (true, 1, true));
    let tagged = store
        .tagged_names(chathulp_shared::ConversationId(old.clone()))
        .await?;
    assert_eq!(tagged, ["Jonas"]);
    relay
        .clock
        .advance(jiff::SignedDuration::from_secs(181 * 86400 - 60));
    relay.broker.tick().await?;
    assert_eq!(stored(store, &old).await?, (true, 1, true), "not yet past");
    // A minute after: the first goes entirely, the second stays.
    relay.clock.advance(jiff::SignedDuration::from_secs(120));
    relay.broker.tick().await?;
    assert_eq!(
        stored(store, &old).await?,
        (false, 0, false),
        "purged entirely"
    );
    assert_eq!(stored(store, &new).await?, (true, 0, true), "kept");
    let tagged = store
        .tagged_names(chathulp_shared::ConversationId(old.clone()))
        .await?;
    assert!(tagged.is_empty(), "tagged names purged too: {tagged:?}");
    // The audit log keeps that a reveal happened.
    let rows = store.audit_log().await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].conversation.as_deref(), Some(old.as_str()));
    relay.stop().await
}

#[tokio::test]
async fn only_the_conversations_counselor_tags_names_and_its_followers_see_them()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let mut sup = relay.staff("sup").await?;
    let (_visitor, id) = taken_from(&relay, &mut an, Ipv4Addr::new(127, 0, 0, 81), "Sam").await?;
    let tag = |name: &str| json!({"type":"tag_name","conversation":id,"name":name});

    assert_eq!(expect_error(&mut bo, tag("Jonas")).await?, "not_found");
    assert_eq!(expect_error(&mut sup, tag("Jonas")).await?, "forbidden");
    assert_eq!(expect_error(&mut an, tag(" \t ")).await?, "invalid");
    assert_eq!(
        expect_error(&mut an, tag(&"x".repeat(65))).await?,
        "invalid"
    );
    assert_eq!(
        expect_error(
            &mut an,
            json!({"type":"tag_name","conversation":"nope","name":"Jonas"})
        )
        .await?,
        "not_found"
    );

    sup.send(json!({"type":"watch","conversation":id})).await?;
    sup.expect("conversation").await?;
    // Trimmed, white space collapsed; the watcher sees it too.
    an.send(tag("  Jonas   Peeters ")).await?;
    for client in [&mut an, &mut sup] {
        let tagged = client.expect("names_tagged").await?;
        assert_eq!(tagged["conversation"], id.as_str());
        assert_eq!(tagged["names"], json!(["Jonas Peeters"]));
    }
    // The same name in another case adds nothing; 64 characters is allowed.
    an.send(tag("jonas peeters")).await?;
    assert_eq!(
        an.expect("names_tagged").await?["names"],
        json!(["Jonas Peeters"])
    );
    let long = "é".repeat(64);
    an.send(tag(&long)).await?;
    assert_eq!(
        an.expect("names_tagged").await?["names"],
        json!(["Jonas Peeters", long])
    );

    // After a transfer the colleague's snapshot holds them, so does the watcher's, and
    // the first counselor can't tag any more.
    an.send(json!({"type":"transfer","conversation":id,"to":"bo","note":"over"}))
        .await?;
    an.expect("transferred").await?;
    for client in [&mut bo, &mut sup] {
        let conv = client.expect("conversation").await?;
        assert_eq!(conv["tagged_names"], json!(["Jonas Peeters", long]));
    }
    assert_eq!(expect_error(&mut an, tag("Mila")).await?, "not_found");
    bo.send(tag("Mila")).await?;
    assert_eq!(
        bo.expect("names_tagged").await?["names"],
        json!(["Jonas Peeters", long, "Mila"])
    );
    // And after signing in again.
    let mut bo_again = relay.staff("bo").await?;
    let conv = bo_again.expect("conversation").await?;
    assert_eq!(conv["tagged_names"], json!(["Jonas Peeters", long, "Mila"]));
    relay.stop().await
}

#[tokio::test]
async fn a_blocked_visitor_is_not_offered_the_survey_but_a_normal_end_offers_it()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;

    let (mut ended, id) = taken_from(&relay, &mut an, Ipv4Addr::new(127, 0, 0, 82), "Ena").await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    let normal = ended.expect("ended").await?;
    assert!(
        normal["survey"].as_array().is_some_and(|q| !q.is_empty()),
        "{normal}"
    );

    let (mut blocked, id) =
        taken_from(&relay, &mut an, Ipv4Addr::new(127, 0, 0, 83), "Bea").await?;
    an.send(json!({"type":"block","conversation":id,"reason":"bedreigingen"}))
        .await?;
    an.expect("blocked").await?;
    let end = blocked.expect("ended").await?;
    assert!(
        end["reason"]
            .as_str()
            .is_some_and(|r| r.contains("alternatieve vormen van hulp")),
        "{end}"
    );
    assert!(
        end.get("survey").is_none(),
        "no survey after a block: {end}"
    );
    // Nor is one taken if the page sends it anyway.
    let answers = json!({"type":"survey","answers":[{"question":"helped","answer":"5"}]});
    assert_eq!(
        expect_error(&mut blocked, answers.clone()).await?,
        "survey_closed"
    );
    ended.send(answers).await?;
    ended.expect("survey_saved").await?;
    relay.stop().await
}

#[tokio::test]
async fn a_returning_address_shows_its_earlier_contacts_in_the_queue_and_never_itself()
-> anyhow::Result<()> {
    let returning = Ipv4Addr::new(127, 0, 0, 88);
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    for nickname in ["Een", "Twee"] {
        let mut v = relay.visitor_from(returning, None).await?;
        v.send(json!({"type":"hello","protocol":1,"service":"caw","nickname":nickname}))
            .await?;
        v.expect("welcome").await?;
        v.send(json!({"type":"end"})).await?;
        v.expect("ended").await?;
    }
    let mut third = relay.visitor_from(returning, None).await?;
    third
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Drie"}))
        .await?;
    third.expect("welcome").await?;
    let mut other = relay
        .visitor_from(Ipv4Addr::new(127, 0, 0, 89), None)
        .await?;
    other
        .send(json!({"type":"hello","protocol":1,"service":"jac","nickname":"Vier"}))
        .await?;
    other.expect("welcome").await?;

    let entry = |queue: &Value, nickname: &str| {
        queue["services"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["waiting"].as_array().into_iter().flatten())
            .find(|e| e["nickname"] == nickname)
            .cloned()
    };
    let queue = an
        .expect_queue(|q| entry(q, "Drie").is_some() && entry(q, "Vier").is_some())
        .await?;
    let drie = entry(&queue, "Drie").unwrap_or_default();
    let vier = entry(&queue, "Vier").unwrap_or_default();
    assert_eq!(drie["earlier_contacts"], 2, "{drie}");
    assert!(
        vier.get("earlier_contacts").is_none(),
        "a first contact: {vier}"
    );

    // Counted once at hello and kept: a restart restores the same count.
    drop((third, other));
    let mut frames = vec![queue];
    frames.extend(an.drain().await?);
    drop(an);
    let relay = relay.restart(Config::default()).await?;
    let mut an = relay.staff("an").await?;
    let queue = an.expect_queue(|q| entry(q, "Drie").is_some()).await?;
    assert_eq!(
        entry(&queue, "Drie").unwrap_or_default()["earlier_contacts"],
        2
    );
    frames.push(queue);
    frames.extend(an.drain().await?);

    for frame in &frames {
        let text = frame.to_string();
        assert!(
            !text.contains("127.0.0.88") && !text.to_ascii_lowercase().contains("7f000058"),
            "address in {text}"
        );
    }
    relay.stop().await
}
