//! The counselor's workbench through a real relay: read-only supervisors, transfers,
//! internal notes, wrap-up registration, the staff and dashboard overviews, watching,
//! paged scrollback and account administration. Each test asserts the frames every
//! party receives, and what they must not.

use chathulp_relay::Config;
use chathulp_tests::{Client, PASSWORD, TestRelay};
use serde_json::{Value, json};

/// A visitor in the CAW queue, taken by `counselor`: the visitor, and the conversation id.
async fn taken(
    relay: &TestRelay,
    counselor: &mut Client,
    nickname: &str,
) -> anyhow::Result<(Client, String)> {
    let mut visitor = relay.queued_visitor("caw", nickname).await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = counselor.expect("conversation").await?;
    visitor.expect("assigned").await?;
    Ok((
        visitor,
        conv["conversation"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The code of the next error frame.
async fn error_code(client: &mut Client) -> anyhow::Result<String> {
    let e = client.expect("error").await?;
    Ok(e["code"].as_str().unwrap_or_default().to_owned())
}

fn writes(id: &str) -> Vec<Value> {
    vec![
        json!({"type":"take","service":"caw"}),
        json!({"type":"send","conversation":id,"client_id":"s1","text":"hallo"}),
        json!({"type":"typing","conversation":id}),
        json!({"type":"end","conversation":id}),
        json!({"type":"mark_dossier","conversation":id,"candidate":true}),
        json!({"type":"block","conversation":id,"reason":"x"}),
        json!({"type":"request_reveal","conversation":id,"reason":"x"}),
        json!({"type":"transfer","conversation":id,"to":"bo","note":"x"}),
        json!({"type":"note","conversation":id,"text":"x"}),
        json!({"type":"wrap_up","conversation":id,"topics":["Andere"],"notes":""}),
    ]
}

#[tokio::test]
async fn supervisors_may_write_nothing_and_administrators_may_not_chat() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = taken(&relay, &mut an, "Sam").await?;
    let mut sup = relay.staff("sup").await?;
    let admin_only = [
        json!({"type":"close_service","service":"caw","reason":"x"}),
        json!({"type":"open_service","service":"caw"}),
        json!({"type":"decide_reveal","request":1,"approve":true,"reason":"x"}),
        json!({"type":"list_blocks"}),
        json!({"type":"lift_block","block":1,"reason":"x"}),
        json!({"type":"list_accounts"}),
        json!({"type":"create_account","user":"cas","role":"counselor"}),
        json!({"type":"reset_password","user":"an"}),
        json!({"type":"set_account_disabled","user":"an","disabled":true}),
    ];
    for frame in writes(&id).into_iter().chain(admin_only) {
        sup.send(frame.clone()).await?;
        assert_eq!(
            error_code(&mut sup).await?,
            "forbidden",
            "supervisor: {frame}"
        );
    }
    let mut adm = relay.staff("adm").await?;
    for frame in writes(&id) {
        adm.send(frame.clone()).await?;
        assert_eq!(error_code(&mut adm).await?, "forbidden", "admin: {frame}");
    }
    // Counselors may not administer.
    an.send(json!({"type":"list_accounts"})).await?;
    assert_eq!(error_code(&mut an).await?, "forbidden");
    // Nothing reached the visitor, and the conversation still runs.
    an.send(json!({"type":"send","conversation":id,"client_id":"c1","text":"nog hier"}))
        .await?;
    an.expect("ack").await?;
    let next = visitor.next().await?;
    assert_eq!(
        (next["type"].as_str(), next["message"]["text"].as_str()),
        (Some("message"), Some("nog hier"))
    );
    relay.stop().await
}

#[tokio::test]
async fn notes_reach_the_counselor_and_watchers_but_never_the_visitor() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = taken(&relay, &mut an, "Sam").await?;
    let mut sup = relay.staff("sup").await?;
    sup.send(json!({"type":"watch","conversation":id})).await?;
    sup.expect("conversation").await?;

    an.send(json!({"type":"note","conversation":id,"text":"Vermoeden van pesten"}))
        .await?;
    for client in [&mut an, &mut sup] {
        let added = client.expect("note_added").await?;
        assert_eq!(added["conversation"], id.as_str());
        assert_eq!(added["note"]["author"], "an");
        assert_eq!(added["note"]["text"], "Vermoeden van pesten");
    }
    // The visitor's next frame is the counselor's next message: no note in between.
    an.send(json!({"type":"send","conversation":id,"client_id":"c1","text":"Vertel"}))
        .await?;
    let next = visitor.next().await?;
    assert_eq!(next["type"], "message", "{next}");
    assert!(!next.to_string().contains("pesten"));

    // The note is in the snapshot after signing in again.
    let mut again = relay.staff("an").await?;
    let conv = again.expect("conversation").await?;
    assert_eq!(conv["notes"][0]["text"], "Vermoeden van pesten");
    relay.stop().await
}

#[tokio::test]
async fn transfer_moves_the_conversation_with_a_handover_and_survives_a_restart()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = taken(&relay, &mut an, "Sam").await?;
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"Hallo"}))
        .await?;
    visitor.expect("ack").await?;
    an.send(json!({"type":"note","conversation":id,"text":"eerste nota"}))
        .await?;
    an.expect("note_added").await?;

    // Not to someone who is not signed in.
    an.send(json!({"type":"transfer","conversation":id,"to":"bo","note":"x"}))
        .await?;
    assert_eq!(error_code(&mut an).await?, "not_found");

    let mut bo = relay.staff("bo").await?;
    an.send(
        json!({"type":"transfer","conversation":id,"to":"bo","note":"Sam wil over thuis praten"}),
    )
    .await?;
    let moved = an.expect("transferred").await?;
    assert_eq!(
        (moved["conversation"].as_str(), moved["to"].as_str()),
        (Some(id.as_str()), Some("bo"))
    );
    let conv = bo.expect("conversation").await?;
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(conv["handover"]["from"], "an");
    assert_eq!(conv["handover"]["note"], "Sam wil over thuis praten");
    assert_eq!(conv["messages"][0]["text"], "Hallo");
    assert_eq!(conv["notes"][0]["text"], "eerste nota");

    // The visitor is not greeted again: their next frame is bo's message.
    bo.send(json!({"type":"send","conversation":id,"client_id":"b1","text":"Dag Sam"}))
        .await?;
    bo.expect("ack").await?;
    let next = visitor.next().await?;
    assert_eq!(
        (next["type"].as_str(), next["message"]["text"].as_str()),
        (Some("message"), Some("Dag Sam"))
    );
    // The visitor's messages now go to bo; an can't write any more.
    visitor
        .send(json!({"type":"send","client_id":"v2","text":"Ok"}))
        .await?;
    assert_eq!(bo.expect("message").await?["message"]["text"], "Ok");
    an.send(json!({"type":"send","conversation":id,"client_id":"c9","text":"x"}))
        .await?;
    assert_eq!(error_code(&mut an).await?, "not_found");

    // After a restart the conversation is bo's, with the handover.
    drop((an, bo, visitor));
    let relay = relay.restart(Config::default()).await?;
    let mut bo = relay.staff("bo").await?;
    let conv = bo.expect("conversation").await?;
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(conv["handover"]["from"], "an");
    let mut an = relay.staff("an").await?;
    let synced = an.expect("synced").await?;
    assert_eq!(synced["conversations"], json!([]));
    relay.stop().await
}

#[tokio::test]
async fn transfer_to_a_full_colleague_is_refused() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.counselor_capacity = 1;
    let relay = TestRelay::start_with(config).await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let (_v1, id) = taken(&relay, &mut an, "Sam").await?;
    let (_v2, _) = taken(&relay, &mut bo, "Lou").await?;
    an.send(json!({"type":"transfer","conversation":id,"to":"bo","note":"x"}))
        .await?;
    assert_eq!(error_code(&mut an).await?, "at_capacity");
    relay.stop().await
}

#[tokio::test]
async fn ended_conversations_wait_for_a_wrap_up_across_a_restart() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let settings = relay.staff("bo").await?.expect("staff").await?; // bo signs in too
    drop(settings);
    let empty = an.expect("to_register").await?;
    assert_eq!(empty["conversations"], json!([]));
    let (_visitor, id) = taken(&relay, &mut an, "Sam").await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    let pending = an.expect("to_register").await?;
    assert_eq!(pending["conversations"][0]["conversation"], id.as_str());
    assert_eq!(pending["conversations"][0]["nickname"], "Sam");

    // Survives a restart.
    drop(an);
    let relay = relay.restart(Config::default()).await?;
    let mut c =
        chathulp_tests::Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    c.send(json!({"type":"login","protocol":1,"user":"an","password":PASSWORD}))
        .await?;
    let ok = c.expect("login_ok").await?;
    assert!(
        ok["settings"]["topics"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "Andere"))
    );
    let mut an = c;
    assert_eq!(
        an.expect("to_register").await?["conversations"][0]["conversation"],
        id.as_str()
    );

    // Topics are checked against the config.
    an.send(json!({"type":"wrap_up","conversation":id,"topics":["Onbekend"],"notes":""}))
        .await?;
    assert_eq!(error_code(&mut an).await?, "invalid");
    an.send(json!({"type":"wrap_up","conversation":id,"topics":["Andere","Wonen"],"notes":"kort gesprek"}))
        .await?;
    assert_eq!(an.expect("to_register").await?["conversations"], json!([]));
    let row = relay
        .query(
            "SELECT topics, notes FROM wrapups WHERE conversation = $1",
            &[&id],
        )
        .await?;
    let [row] = row.as_slice() else {
        anyhow::bail!("one wrap-up expected, got {row:?}");
    };
    let (topics, notes) = (row["topics"].as_str(), row["notes"].as_str());
    assert_eq!(
        (topics.unwrap_or_default(), notes.unwrap_or_default()),
        (r#"["Andere","Wonen"]"#, "kort gesprek")
    );
    // Only your own, ended conversations.
    let mut bo = relay.staff("bo").await?;
    bo.send(json!({"type":"wrap_up","conversation":id,"topics":["Andere"],"notes":""}))
        .await?;
    assert_eq!(error_code(&mut bo).await?, "not_found");
    relay.stop().await
}

#[tokio::test]
async fn staff_and_dashboard_follow_the_work() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut sup = relay.staff("sup").await?;
    let dash = sup.expect("dashboard").await?;
    assert_eq!(dash["services"][0]["today_conversations"], 0);
    let mut an = relay.staff("an").await?;
    let staff = an.expect("staff").await?;
    assert_eq!(
        staff["counselors"],
        json!([{"user":"an","load":0,"capacity":3}])
    );
    // Counselors get no dashboard.
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    relay.clock.advance(jiff::SignedDuration::from_secs(90));
    an.send(json!({"type":"take","service":"caw"})).await?;
    let conv = an.expect("conversation").await?;
    visitor.expect("assigned").await?;
    let id = conv["conversation"].as_str().unwrap_or_default().to_owned();
    loop {
        let frame = an.next().await?;
        assert_ne!(frame["type"], "dashboard");
        if frame["type"] == "staff" {
            assert_eq!(frame["counselors"][0]["load"], 1);
            break;
        }
    }
    let dash = loop {
        let d = sup.expect("dashboard").await?;
        if d["services"][0]["today_conversations"] == 1 {
            break d;
        }
    };
    let caw = &dash["services"][0];
    assert_eq!(caw["in_progress"][0]["conversation"], id.as_str());
    assert_eq!(caw["in_progress"][0]["counselor"], "an");
    assert_eq!(caw["today_mean_wait_ms"], 90_000);
    assert_eq!(caw["waiting"], 0);
    assert!(!dash.to_string().contains("127.0.0.1"));
    relay.stop().await
}

#[tokio::test]
async fn a_watcher_sees_both_sides_and_the_end_and_the_visitor_is_never_told() -> anyhow::Result<()>
{
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = taken(&relay, &mut an, "Sam").await?;
    let mut adm = relay.staff("adm").await?;
    adm.send(json!({"type":"watch","conversation":id})).await?;
    let conv = adm.expect("conversation").await?;
    assert_eq!(
        (conv["watching"].as_bool(), conv["counselor"].as_str()),
        (Some(true), Some("an"))
    );
    assert!(!conv.to_string().contains("127.0.0.1"));

    visitor
        .send(json!({"type":"send","client_id":"v1","text":"Hallo"}))
        .await?;
    assert_eq!(adm.expect("message").await?["message"]["from"], "visitor");
    an.send(json!({"type":"send","conversation":id,"client_id":"c1","text":"Dag"}))
        .await?;
    let m = adm.expect("message").await?;
    assert_eq!(
        (m["message"]["from"].as_str(), m["message"]["text"].as_str()),
        (Some("counselor"), Some("Dag"))
    );
    // The visitor's frames: their ack, then the counselor's message; nothing about a watcher.
    assert_eq!(visitor.next().await?["type"], "ack");
    assert_eq!(visitor.next().await?["type"], "message");

    // After unwatch nothing more arrives; a second watch starts it again.
    adm.send(json!({"type":"unwatch","conversation":id}))
        .await?;
    adm.send(json!({"type":"watch","conversation":id})).await?;
    let again = adm.expect("conversation").await?;
    assert_eq!(again["messages"].as_array().map(Vec::len), Some(2));
    an.send(json!({"type":"end","conversation":id})).await?;
    assert_eq!(adm.expect("ended").await?["conversation"], id.as_str());
    relay.stop().await
}

#[tokio::test]
async fn snapshots_carry_the_newest_messages_and_history_pages_back() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.snapshot_messages = 3;
    let relay = TestRelay::start_with(config).await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = taken(&relay, &mut an, "Sam").await?;
    for i in 1..=5 {
        visitor
            .send(json!({"type":"send","client_id":format!("v{i}"),"text":format!("m{i}")}))
            .await?;
        visitor.expect("ack").await?;
    }
    let mut again = relay.staff("an").await?;
    let conv = again.expect("conversation").await?;
    assert_eq!(conv["truncated"], true);
    let seqs: Vec<u64> = conv["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["seq"].as_u64())
        .collect();
    assert_eq!(seqs, [3, 4, 5]);
    again
        .send(json!({"type":"history","conversation":id,"before_seq":3,"limit":10}))
        .await?;
    let page = again.expect("history").await?;
    assert_eq!(page["messages"][0]["text"], "m1");
    assert_eq!(page["messages"].as_array().map(Vec::len), Some(2));
    // Gap filling still works.
    again
        .send(json!({"type":"history","conversation":id,"after_seq":4}))
        .await?;
    assert_eq!(again.expect("history").await?["messages"][0]["text"], "m5");
    relay.stop().await
}

#[tokio::test]
async fn administrators_create_reset_and_disable_accounts() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut adm = relay.staff("adm").await?;
    adm.send(json!({"type":"create_account","user":"cas","role":"counselor"}))
        .await?;
    let secret = adm.expect("account_secret").await?;
    let password = secret["password"].as_str().unwrap_or_default().to_owned();
    assert!(password.len() >= 32);
    let list = adm.expect("accounts").await?;
    assert!(
        list["accounts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["user"] == "cas"))
    );
    assert!(!list.to_string().contains("argon2"));

    let login = |user: &str, password: &str| json!({"type":"login","protocol":1,"user":user,"password":password});
    let mut cas = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    cas.send(login("cas", &password)).await?;
    let token = cas.expect("login_ok").await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // A reset signs cas out at once, and the old token is dead.
    adm.send(json!({"type":"reset_password","user":"cas"}))
        .await?;
    let fresh = adm.expect("account_secret").await?["password"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(fresh, password);
    cas.expect_close().await?;
    let mut c = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    c.send(json!({"type":"session","protocol":1,"token":token}))
        .await?;
    assert_eq!(error_code(&mut c).await?, "login_failed");
    let mut cas = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    cas.send(login("cas", &fresh)).await?;
    cas.expect("login_ok").await?;

    // Disabling closes the live connection and refuses the next login.
    adm.send(json!({"type":"set_account_disabled","user":"cas","disabled":true}))
        .await?;
    let list = adm.expect("accounts").await?;
    assert!(list["accounts"].as_array().is_some_and(|a| {
        a.iter()
            .any(|x| x["user"] == "cas" && x["disabled"] == true)
    }));
    let close = cas.expect_close().await?;
    assert!(close.is_some_and(|f| f.reason.contains("administrator")));
    let mut c = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    c.send(login("cas", &fresh)).await?;
    assert_eq!(error_code(&mut c).await?, "login_failed");
    relay.stop().await
}

/// `an` takes Sam (with a resume token), Sam says hello, and Sam's line drops; returns
/// Sam's token, the conversation id and when the reconnect window ends.
async fn taken_then_away(
    relay: &TestRelay,
    an: &mut Client,
) -> anyhow::Result<(String, String, i64)> {
    let (mut visitor, token) = relay.visitor_with_token("caw", "Sam").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    visitor.expect("assigned").await?;
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"Hallo"}))
        .await?;
    visitor.expect("ack").await?;
    an.expect("message").await?;
    drop(visitor);
    let away = an.expect("visitor_away").await?;
    assert_eq!(away["conversation"], id.as_str());
    let until = away["until_ms"].as_i64().unwrap_or_default();
    Ok((token, id, until))
}

/// Every frame `client` got so far, none about conversation `id`.
async fn hears_nothing_about(client: &mut Client, id: &str) -> anyhow::Result<()> {
    for frame in client.drain().await? {
        assert!(
            !frame.to_string().contains(id),
            "{id} is no longer theirs: {frame}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_transfer_while_the_visitor_is_away_hands_their_return_to_the_colleague()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let (token, id, until) = taken_then_away(&relay, &mut an).await?;

    // A minute into the 5-minute window, an hands the conversation to bo.
    relay.clock.advance(jiff::SignedDuration::from_secs(60));
    relay.broker.tick().await?;
    an.send(json!({"type":"transfer","conversation":id,"to":"bo","note":"Sam is even weg"}))
        .await?;
    assert_eq!(an.expect("transferred").await?["to"], "bo");
    let conv = bo.expect("conversation").await?;
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(
        conv["visitor_away_until_ms"], until,
        "bo sees the visitor is away"
    );
    assert_eq!(conv["handover"]["note"], "Sam is even weg");
    assert_eq!(conv["messages"][0]["text"], "Hallo");

    // Sam comes back with the token, within the window: now bo's visitor.
    relay.clock.advance(jiff::SignedDuration::from_secs(120));
    relay.broker.tick().await?;
    let (mut visitor, resumed) = relay.resume(&token, 1).await?;
    assert_eq!(resumed["assigned"], true);
    assert_eq!(resumed["messages"], json!([]));
    assert_eq!(
        bo.expect("visitor_back").await?["conversation"],
        id.as_str()
    );
    // Not greeted again, not told about the handover.
    for frame in visitor.drain().await? {
        assert_ne!(frame["type"], "message", "{frame}");
    }
    visitor
        .send(json!({"type":"send","client_id":"v2","text":"Ik ben terug"}))
        .await?;
    visitor.expect("ack").await?;
    let m = bo.expect("message").await?;
    assert_eq!(
        (m["conversation"].as_str(), m["message"]["text"].as_str()),
        (Some(id.as_str()), Some("Ik ben terug"))
    );
    bo.send(json!({"type":"send","conversation":id,"client_id":"b1","text":"Welkom terug"}))
        .await?;
    bo.expect("ack").await?;
    assert_eq!(
        visitor.expect("message").await?["message"]["text"],
        "Welkom terug"
    );

    // an heard nothing more of it: no visitor_back, no message.
    hears_nothing_about(&mut an, &id).await?;
    relay.stop().await
}

#[tokio::test]
async fn a_transferred_conversation_whose_visitor_stays_away_ends_for_the_colleague()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let (_token, id, _until) = taken_then_away(&relay, &mut an).await?;
    an.send(json!({"type":"transfer","conversation":id,"to":"bo","note":"x"}))
        .await?;
    an.expect("transferred").await?;
    bo.expect("conversation").await?;

    // The window passes: the conversation ends, for bo, who registers it.
    relay.clock.advance(jiff::SignedDuration::from_secs(301));
    relay.broker.tick().await?;
    let ended = bo.expect("ended").await?;
    assert_eq!(
        (ended["conversation"].as_str(), ended["by"].as_str()),
        (Some(id.as_str()), Some("visitor"))
    );
    let pending = bo.expect("to_register").await?;
    assert_eq!(pending["conversations"][0]["conversation"], id.as_str());
    hears_nothing_about(&mut an, &id).await?;
    relay.stop().await
}

/// A waiting visitor who writes shows the start of their first message in the queue
/// (helplines triage on it): the first message only, cut at 120 characters, and gone
/// from the queue with the visitor once taken.
#[tokio::test]
async fn the_queue_shows_the_first_words_a_waiting_visitor_wrote() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Lotte").await?;
    let first = format!("Ik weet het niet meer. {}", "x".repeat(200));
    visitor
        .send(json!({"type":"send","client_id":"v1","text":first}))
        .await?;
    visitor.expect("ack").await?;
    visitor
        .send(json!({"type":"send","client_id":"v2","text":"Is er iemand?"}))
        .await?;
    visitor.expect("ack").await?;
    let words = |q: &Value| {
        q["services"][0]["waiting"][0]["first_words"]
            .as_str()
            .map(str::to_owned)
    };
    let queue = counselor.expect_queue(|q| words(q).is_some()).await?;
    let shown = words(&queue).unwrap_or_default();
    assert_eq!(shown, first.chars().take(120).collect::<String>());
    // A supervisor sees it too; the second message did not replace it.
    let mut supervisor = relay.staff("sup").await?;
    let queue = supervisor.expect_queue(|q| words(q).is_some()).await?;
    assert_eq!(words(&queue).as_deref(), Some(shown.as_str()));
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    counselor.expect("conversation").await?;
    counselor
        .expect_queue(|q| {
            q["services"][0]["waiting"]
                .as_array()
                .is_some_and(Vec::is_empty)
        })
        .await?;
    relay.stop().await
}
