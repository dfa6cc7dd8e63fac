//! Nothing lost when the line drops: resume with the token, resends that are stored and
//! delivered once, the nickname-only return, counselor drops, and the window expiring.
//! Every test checks the exact transcript both sides end up with. The 5-minute window
//! is crossed with the injected clock, never with a sleep.

use chathulp_tests::{Client, TestRelay};
use jiff::SignedDuration;
use serde_json::{Value, json};

/// A counselor signed in as `an` with the token of its `login_ok`.
async fn counselor_with_token(relay: &TestRelay) -> anyhow::Result<(Client, String)> {
    let mut c = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    c.send(json!({"type":"login","protocol":1,"user":"an","password":chathulp_tests::PASSWORD}))
        .await?;
    let ok = c.expect("login_ok").await?;
    Ok((c, ok["token"].as_str().unwrap_or_default().to_owned()))
}

/// Takes the next CAW visitor; returns the conversation id.
async fn take(counselor: &mut Client) -> anyhow::Result<String> {
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = counselor.expect("conversation").await?;
    Ok(conv["conversation"].as_str().unwrap_or_default().to_owned())
}

/// Reads queue snapshots until one shows a waiting visitor.
async fn wait_for_a_waiting_visitor(counselor: &mut Client) -> anyhow::Result<()> {
    loop {
        let queue = counselor.expect("queue").await?;
        let waiting = queue["services"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["waiting"].as_array().is_some_and(|w| !w.is_empty()));
        if waiting {
            return Ok(());
        }
    }
}

/// Sends and waits for the ack; returns the seq.
async fn say(client: &mut Client, frame: Value) -> anyhow::Result<u64> {
    client.send(frame).await?;
    Ok(client.expect("ack").await?["seq"]
        .as_u64()
        .unwrap_or_default())
}

/// Proves every frame sent to `client` so far has arrived (an error reply is the last
/// thing in its queue) and returns the frames seen before it.
async fn drain(client: &mut Client) -> anyhow::Result<Vec<Value>> {
    client.send(json!({"type":"bogus"})).await?;
    let mut seen = Vec::new();
    loop {
        let frame = client.next().await?;
        if frame["type"] == "error" && frame["code"] == "unknown_type" {
            return Ok(seen);
        }
        seen.push(frame);
    }
}

fn texts(messages: &Value) -> Vec<(u64, String, String)> {
    messages
        .as_array()
        .map(|all| {
            all.iter()
                .map(|m| {
                    (
                        m["seq"].as_u64().unwrap_or_default(),
                        m["from"].as_str().unwrap_or_default().to_owned(),
                        m["text"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn db_transcript(relay: &TestRelay, id: &str) -> anyhow::Result<Vec<(u64, String, String)>> {
    relay
        .stored_transcript(id)
        .await?
        .into_iter()
        .map(|(seq, from, text)| Ok((u64::try_from(seq)?, from, text)))
        .collect()
}

fn line(seq: u64, from: &str, text: &str) -> (u64, String, String) {
    (seq, from.to_owned(), text.to_owned())
}

#[tokio::test]
async fn a_visitor_who_drops_resumes_with_the_same_counselor_and_misses_nothing()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let (mut visitor, token) = relay.visitor_with_token("caw", "Sam").await?;
    let id = take(&mut counselor).await?;
    visitor.expect("assigned").await?;
    say(
        &mut visitor,
        json!({"type":"send","client_id":"v1","text":"hallo"}),
    )
    .await?;
    counselor.expect("message").await?;

    drop(visitor);
    let away = counselor.expect("visitor_away").await?;
    assert_eq!(away["conversation"], id.as_str());
    let expected_until = relay.broker.now_ms() + 300_000;
    assert_eq!(away["until_ms"], expected_until);
    // The counselor writes while the visitor is away: stored and acked all the same.
    let seq = say(
        &mut counselor,
        json!({"type":"send","conversation":id,"client_id":"c1","text":"ben je er nog?"}),
    )
    .await?;
    assert_eq!(seq, 2);

    relay.clock.advance(SignedDuration::from_secs(299));
    relay.broker.tick().await?; // still within the window
    let (mut visitor, resumed) = relay.resume(&token, 1).await?;
    assert_eq!(resumed["assigned"], true);
    assert_eq!(
        texts(&resumed["messages"]),
        [line(2, "counselor", "ben je er nog?")]
    );
    assert_eq!(
        counselor.expect("visitor_back").await?["conversation"],
        id.as_str()
    );

    say(
        &mut visitor,
        json!({"type":"send","client_id":"v2","text":"ja, sorry"}),
    )
    .await?;
    assert_eq!(counselor.expect("message").await?["message"]["seq"], 3);
    let expected = [
        line(1, "visitor", "hallo"),
        line(2, "counselor", "ben je er nog?"),
        line(3, "visitor", "ja, sorry"),
    ];
    assert_eq!(db_transcript(&relay, &id).await?, expected);
    // A page reload resumes from 0 and gets the whole scrollback.
    drop(visitor);
    counselor.expect("visitor_away").await?;
    let (_visitor, resumed) = relay.resume(&token, 0).await?;
    assert_eq!(texts(&resumed["messages"]), expected);
    relay.stop().await
}

#[tokio::test]
async fn a_drop_mid_message_and_a_drop_during_the_resend_still_store_and_deliver_once()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let (mut visitor, token) = relay.visitor_with_token("caw", "Sam").await?;
    let id = take(&mut counselor).await?;

    // Mid-message: the frame is sent, the line drops before the ack is read.
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"dit moet aankomen"}))
        .await?;
    drop(visitor);
    assert_eq!(
        counselor.expect("message").await?["message"]["text"],
        "dit moet aankomen"
    );
    counselor.expect("visitor_away").await?;

    // The page resends what was not acked; the line drops again before the ack.
    let (mut visitor, resumed) = relay.resume(&token, 0).await?;
    assert_eq!(
        texts(&resumed["messages"]),
        [line(1, "visitor", "dit moet aankomen")]
    );
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"dit moet aankomen"}))
        .await?;
    drop(visitor);
    counselor.expect("visitor_back").await?;
    counselor.expect("visitor_away").await?;

    // Third time: the ack names the original seq.
    let (mut visitor, _) = relay.resume(&token, 1).await?;
    let seq = say(
        &mut visitor,
        json!({"type":"send","client_id":"v1","text":"dit moet aankomen"}),
    )
    .await?;
    assert_eq!(seq, 1);
    let seen = drain(&mut counselor).await?;
    assert!(
        seen.iter().all(|f| f["type"] != "message"),
        "the resend was delivered again: {seen:?}"
    );
    assert_eq!(
        db_transcript(&relay, &id).await?,
        [line(1, "visitor", "dit moet aankomen")]
    );
    relay.stop().await
}

#[tokio::test]
async fn a_nickname_alone_reaches_the_same_counselor_but_never_the_transcript() -> anyhow::Result<()>
{
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let (mut visitor, _token) = relay.visitor_with_token("caw", "Sam").await?;
    let first = take(&mut counselor).await?;
    say(
        &mut visitor,
        json!({"type":"send","client_id":"v1","text":"geheim verhaal"}),
    )
    .await?;
    counselor.expect("message").await?;
    drop(visitor);
    counselor.expect("visitor_away").await?;

    // Someone opens a new window and types the same nickname, without the token.
    let (mut again, _) = relay.visitor_with_token("caw", "sam").await?;
    let linked = counselor.expect("conversation").await?;
    assert_eq!(linked["linked_to"], first.as_str());
    assert_eq!(linked["messages"], json!([]));
    assert_ne!(linked["conversation"], first.as_str());
    let frames = drain(&mut again).await?;
    assert!(frames.iter().any(|f| f["type"] == "assigned"), "{frames:?}");
    assert!(
        frames
            .iter()
            .all(|f| !f.to_string().contains("geheim verhaal")),
        "a nickname must not hand over the transcript: {frames:?}"
    );
    assert!(
        frames.iter().all(|f| f["type"] != "queued"),
        "went straight to the counselor"
    );
    relay.stop().await
}

#[tokio::test]
async fn a_counselor_who_drops_comes_back_to_the_same_conversations_and_visitors_are_told()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (mut counselor, token) = counselor_with_token(&relay).await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    let id = take(&mut counselor).await?;
    say(
        &mut counselor,
        json!({"type":"send","conversation":id,"client_id":"c1","text":"dag Sam"}),
    )
    .await?;
    visitor.expect("message").await?;

    drop(counselor);
    visitor.expect("counselor_away").await?;
    // The visitor keeps writing: stored and acked.
    say(
        &mut visitor,
        json!({"type":"send","client_id":"v1","text":"hallo?"}),
    )
    .await?;

    let mut counselor = relay.staff_session(&token).await?;
    let conv = counselor.expect("conversation").await?;
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(
        texts(&conv["messages"]),
        [
            line(1, "counselor", "dag Sam"),
            line(2, "visitor", "hallo?")
        ]
    );
    let synced = counselor.expect("synced").await?;
    assert_eq!(synced["conversations"], json!([id]));
    visitor.expect("counselor_back").await?;
    // The gap can also be asked for explicitly.
    counselor
        .send(json!({"type":"history","conversation":id,"after_seq":1}))
        .await?;
    let history = counselor.expect("history").await?;
    assert_eq!(texts(&history["messages"]), [line(2, "visitor", "hallo?")]);
    relay.stop().await
}

#[tokio::test]
async fn when_the_window_passes_the_visitor_s_conversation_ends_and_the_counselor_s_go_back_to_the_front()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut other = relay.staff("bo").await?;

    // Visitor gone for good: the conversation ends with a clear reason.
    let (visitor, _) = relay.visitor_with_token("caw", "Weg").await?;
    let gone = take(&mut counselor).await?;
    drop(visitor);
    counselor.expect("visitor_away").await?;
    relay.clock.advance(SignedDuration::from_secs(301));
    relay.broker.tick().await?;
    let ended = counselor.expect("ended").await?;
    assert_eq!(
        (ended["conversation"].as_str(), ended["by"].as_str()),
        (Some(gone.as_str()), Some("visitor"))
    );
    assert!(
        ended["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("niet terug"),
        "{ended}"
    );

    // Counselor gone for good: their visitor goes to the FRONT of the queue.
    let mut first = relay.queued_visitor("caw", "Eerst").await?;
    take(&mut counselor).await?;
    first.expect("assigned").await?;
    let mut later = relay.queued_visitor("caw", "Later").await?;
    drop(counselor);
    first.expect("counselor_away").await?;
    relay.clock.advance(SignedDuration::from_secs(301));
    relay.broker.tick().await?;
    let queue = other
        .expect_queue(|q| {
            q["services"][0]["waiting"]
                .as_array()
                .is_some_and(|w| w.len() == 2)
        })
        .await?;
    let order: Vec<&str> = queue["services"][0]["waiting"]
        .as_array()
        .map(|w| w.iter().filter_map(|e| e["nickname"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(order, ["Eerst", "Later"]);
    assert_eq!(first.expect("queued").await?["position"], 1);
    // "Later" was first in line while "Eerst" was being helped; now it is second.
    while later.expect("queued").await?["position"] != 2 {}
    relay.stop().await
}

#[tokio::test]
async fn resuming_an_ended_or_unknown_conversation_is_refused() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let (mut visitor, token) = relay.visitor_with_token("caw", "Sam").await?;
    visitor.send(json!({"type":"end"})).await?;
    visitor.expect("ended").await?;
    for token in [token.as_str(), "not-a-token"] {
        let mut v = relay.visitor().await?;
        v.send(json!({"type":"resume","protocol":1,"token":token}))
            .await?;
        assert_eq!(v.expect("error").await?["code"], "resume_failed");
    }
    relay.stop().await
}

#[tokio::test]
async fn after_a_restart_queue_order_and_conversations_are_restored() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (mut counselor, staff_token) = counselor_with_token(&relay).await?;
    let (mut talking, talking_token) = relay.visitor_with_token("caw", "Een").await?;
    let id = take(&mut counselor).await?;
    say(
        &mut talking,
        json!({"type":"send","client_id":"v1","text":"voor de herstart"}),
    )
    .await?;
    let (_w1, token2) = relay.visitor_with_token("caw", "Twee").await?;
    let (_w2, token3) = relay.visitor_with_token("caw", "Drie").await?;

    let relay = relay.restart(chathulp_relay::Config::default()).await?;
    // The relay's first housekeeping runs before any counselor is back: the waiting
    // visitors must not be sent away for lack of counselors.
    relay.broker.tick().await?;
    let mut counselor = relay.staff_session(&staff_token).await?;
    let queue = counselor.expect("queue").await?;
    let order: Vec<&str> = queue["services"][0]["waiting"]
        .as_array()
        .map(|w| w.iter().filter_map(|e| e["nickname"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(order, ["Twee", "Drie"]);
    let conv = counselor.expect("conversation").await?;
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(
        texts(&conv["messages"]),
        [line(1, "visitor", "voor de herstart")]
    );

    let (mut talking, resumed) = relay.resume(&talking_token, 0).await?;
    assert_eq!(
        texts(&resumed["messages"]),
        [line(1, "visitor", "voor de herstart")]
    );
    say(
        &mut talking,
        json!({"type":"send","client_id":"v2","text":"na de herstart"}),
    )
    .await?;
    assert_eq!(counselor.expect("message").await?["message"]["seq"], 2);
    let (_, resumed) = relay.resume(&token3, 0).await?;
    assert_eq!(resumed["position"], 2);
    let (_, resumed) = relay.resume(&token2, 0).await?;
    assert_eq!(resumed["position"], 1);
    relay.stop().await
}

#[tokio::test]
async fn after_a_restart_waiting_visitors_get_the_window_for_counselors_to_return()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let (_waiting, token) = relay.visitor_with_token("caw", "Sam").await?;
    let relay = relay.restart(chathulp_relay::Config::default()).await?;
    // No counselor has reconnected yet when the first housekeeping runs.
    relay.broker.tick().await?;
    let (mut visitor, resumed) = relay.resume(&token, 0).await?;
    assert_eq!(resumed["position"], 1);
    // Nobody comes back within the window: now the visitor is told and offered e-mail.
    relay.clock.advance(SignedDuration::from_secs(301));
    relay.broker.tick().await?;
    assert_eq!(visitor.expect("ended").await?["by"], "relay");
    relay.stop().await
}

#[tokio::test]
async fn the_restart_grace_only_waits_for_counselors_not_for_closing_time() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let (_waiting, token) = relay.visitor_with_token("caw", "Sam").await?;
    let relay = relay.restart(chathulp_relay::Config::default()).await?;
    let (mut visitor, _) = relay.resume(&token, 0).await?;
    // 17:30: CAW has closed. That is no reason to wait for anyone.
    relay.clock.set("2026-11-27T16:30:00Z".parse()?);
    relay.broker.tick().await?;
    assert_eq!(visitor.expect("ended").await?["by"], "relay");
    relay.stop().await
}

#[tokio::test]
async fn logout_ends_the_session_token() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (mut counselor, token) = counselor_with_token(&relay).await?;
    counselor.send(json!({"type":"logout"})).await?;
    let close = counselor.expect_close().await?.expect("a close frame");
    assert_eq!(u16::from(close.code), 1000);
    let mut again = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    again
        .send(json!({"type":"session","protocol":1,"token":token}))
        .await?;
    assert_eq!(again.expect("error").await?["code"], "login_failed");
    relay.stop().await
}

#[tokio::test]
async fn a_visitor_who_stops_answering_pings_is_marked_away() -> anyhow::Result<()> {
    let mut config = chathulp_relay::Config::default();
    // A ping every second; a socket is closed when nothing came from it for 3 s, so the
    // counselor's pongs keep it open even on a busy machine, and the silent visitor goes
    // at the third ping.
    config.limits.ping_interval_secs = 1;
    config.limits.idle_timeout_secs = 3;
    let relay = TestRelay::start_with(config).await?;
    let mut counselor = relay.staff("an").await?;
    // Never read from this socket again: its pongs are never sent, as with a laptop
    // whose lid was closed. The counselor's client reads all along (so it answers the
    // same 1-second pings) while the visitor arrives, however slow the machine is.
    let (silent, waiting) = tokio::join!(
        relay.visitor_with_token("caw", "Sam"),
        wait_for_a_waiting_visitor(&mut counselor)
    );
    let (_silent, _) = silent?;
    waiting?;
    let id = take(&mut counselor).await?;
    let away = counselor.expect("visitor_away").await?;
    assert_eq!(away["conversation"], id.as_str());
    relay.stop().await
}

#[tokio::test]
async fn a_visitor_resuming_after_the_counselor_ended_the_chat_gets_the_last_words_and_the_end()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let (visitor, token) = relay.visitor_with_token("caw", "Sam").await?;
    let id = take(&mut counselor).await?;
    drop(visitor);
    counselor.expect("visitor_away").await?;
    say(
        &mut counselor,
        json!({"type":"send","conversation":id,"client_id":"c1","text":"Ik sluit af. Je mag altijd terugkomen."}),
    )
    .await?;
    counselor
        .send(json!({"type":"end","conversation":id}))
        .await?;
    counselor.expect("ended").await?;

    let (mut visitor, resumed) = relay.resume(&token, 0).await?;
    assert_eq!(
        texts(&resumed["messages"]),
        [line(
            1,
            "counselor",
            "Ik sluit af. Je mag altijd terugkomen."
        )]
    );
    let ended = visitor.expect("ended").await?;
    assert_eq!(ended["by"], "counselor");
    assert!(ended["survey"].as_array().is_some_and(|s| !s.is_empty()));
    visitor
        .send(json!({"type":"survey","answers":[{"question":"helped","answer":"5"}]}))
        .await?;
    visitor.expect("survey_saved").await?;
    // Once told, the token is spent.
    let mut again = relay.visitor().await?;
    again
        .send(json!({"type":"resume","protocol":1,"token":token}))
        .await?;
    assert_eq!(again.expect("error").await?["code"], "resume_failed");
    relay.stop().await
}
