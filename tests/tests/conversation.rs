//! End to end: a visitor and a counselor talk through a real relay over TLS, and the
//! transcript is in SQLite, in order, and survives a relay restart.

use chathulp_relay::Config;
use chathulp_tests::TestRelay;
use serde_json::json;

#[tokio::test]
async fn visitor_and_counselor_talk_and_the_transcript_is_stored_in_order_across_a_restart()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    counselor
        .expect_queue(|q| q["services"][0]["status"] == "online")
        .await?;

    // The visitor joins the CAW queue with intake data and writes while waiting.
    let mut visitor = relay.visitor().await?;
    visitor
        .send(
            json!({"type":"hello","protocol":1,"service":"caw","nickname":"Sam",
                     "intake":{"age":17,"region":"limburg","gender":"x"}}),
        )
        .await?;
    visitor.expect("welcome").await?;
    assert_eq!(visitor.expect("queued").await?["position"], 1);
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"Hallo, is er iemand?"}))
        .await?;
    let ack = visitor.expect("ack").await?;
    assert_eq!(
        (ack["client_id"].as_str(), ack["seq"].as_u64()),
        (Some("v1"), Some(1))
    );

    // The counselor sees the visitor with intake, but no address of any kind.
    let queue = counselor
        .expect_queue(|q| {
            q["services"][0]["waiting"]
                .as_array()
                .is_some_and(|w| w.len() == 1)
        })
        .await?;
    let entry = &queue["services"][0]["waiting"][0];
    assert_eq!(entry["nickname"], "Sam");
    assert_eq!(
        entry["intake"],
        json!({"age":17,"region":"limburg","gender":"x"})
    );
    assert!(!queue.to_string().contains("127.0.0.1"), "{queue}");

    // Take the next visitor: the counselor gets the scrollback, the visitor is told.
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = counselor.expect("conversation").await?;
    let id = conv["conversation"].as_str().unwrap().to_owned();
    assert_eq!(conv["messages"][0]["text"], "Hallo, is er iemand?");
    assert_eq!(conv["messages"][0]["from"], "visitor");
    visitor.expect("assigned").await?;

    // Messages both ways, each acknowledged after it is stored.
    counselor
        .send(
            json!({"type":"send","conversation":id,"client_id":"c1","text":"Dag Sam, ik ben er."}),
        )
        .await?;
    assert_eq!(counselor.expect("ack").await?["seq"], 2);
    let got = visitor.expect("message").await?;
    assert_eq!(got["message"]["text"], "Dag Sam, ik ben er.");
    assert_eq!(got["message"]["from"], "counselor");
    assert_eq!(got["message"]["seq"], 2);

    visitor
        .send(json!({"type":"send","client_id":"v2","text":"Ik wil praten over thuis."}))
        .await?;
    assert_eq!(visitor.expect("ack").await?["seq"], 3);
    let got = counselor.expect("message").await?;
    assert_eq!(got["conversation"], id.as_str());
    assert_eq!(got["message"]["text"], "Ik wil praten over thuis.");

    // The counselor ends it; both sides are told who ended it.
    counselor
        .send(json!({"type":"end","conversation":id}))
        .await?;
    assert_eq!(visitor.expect("ended").await?["by"], "counselor");
    assert_eq!(
        counselor.expect("ended").await?["conversation"],
        id.as_str()
    );

    let expected = [
        (1, "visitor", "Hallo, is er iemand?"),
        (2, "counselor", "Dag Sam, ik ben er."),
        (3, "visitor", "Ik wil praten over thuis."),
    ];
    assert_eq!(transcript(&relay, &id).await?, expected);
    let ended_by = relay
        .query_value("SELECT ended_by FROM conversations WHERE id = $1", &[&id])
        .await?;
    assert_eq!(ended_by, "counselor");

    // A restart on the same data folder still has every message.
    let relay = relay.restart(Config::default()).await?;
    assert_eq!(transcript(&relay, &id).await?, expected);
    let _ = relay.staff("an").await?; // and it serves again
    relay.stop().await
}

async fn transcript(
    relay: &TestRelay,
    id: &str,
) -> anyhow::Result<Vec<(i64, &'static str, &'static str)>> {
    // Leak to 'static so the comparison with the literal table reads naturally.
    Ok(relay
        .stored_transcript(id)
        .await?
        .into_iter()
        .map(|(seq, sender, body)| (seq, &*sender.leak(), &*body.leak()))
        .collect())
}

#[tokio::test]
async fn visitor_can_end_while_queued_and_leaves_the_queue() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("jac", "Robin").await?;
    counselor
        .expect_queue(|q| {
            q["services"][1]["waiting"]
                .as_array()
                .is_some_and(|w| w.len() == 1)
        })
        .await?;
    visitor.send(json!({"type":"end"})).await?;
    assert_eq!(visitor.expect("ended").await?["by"], "visitor");
    counselor
        .expect_queue(|q| {
            q["services"][1]["waiting"]
                .as_array()
                .is_some_and(|w| w.is_empty())
        })
        .await?;
    counselor
        .send(json!({"type":"take","service":"jac"}))
        .await?;
    let err = counselor.expect("error").await?;
    assert_eq!(err["code"], "queue_empty");
    relay.stop().await
}

#[tokio::test]
async fn counselor_capacity_is_enforced() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.counselor_capacity = 1;
    let relay = TestRelay::start_with(config).await?;
    let mut counselor = relay.staff("an").await?;
    let _v1 = relay.queued_visitor("caw", "Een").await?;
    let _v2 = relay.queued_visitor("caw", "Twee").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    assert_eq!(counselor.expect("conversation").await?["nickname"], "Een");
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    assert_eq!(counselor.expect("error").await?["code"], "at_capacity");
    relay.stop().await
}

#[tokio::test]
async fn graceful_shutdown_tells_open_sockets_with_1001() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    let stop = tokio::spawn(relay.stop());
    let close = visitor.expect_close().await?.expect("a close frame");
    assert_eq!(u16::from(close.code), 1001);
    let close = counselor.expect_close().await?.expect("a close frame");
    assert_eq!(u16::from(close.code), 1001);
    stop.await?
}

/// A counselor who writes in two conversations without waiting for acks: the relay reads
/// on while earlier messages are being stored, yet every ack comes back in the order the
/// messages were sent (and before the reply to any later frame), and each visitor gets
/// theirs in order with consecutive numbers.
#[tokio::test]
async fn messages_sent_without_waiting_are_acked_and_delivered_in_order() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    counselor
        .expect_queue(|q| q["services"][0]["status"] == "online")
        .await?;
    let mut visitors = Vec::new();
    let mut ids = Vec::new();
    for nickname in ["Sam", "Lien"] {
        let mut visitor = relay.queued_visitor("caw", nickname).await?;
        counselor
            .send(json!({"type":"take","service":"caw"}))
            .await?;
        let conv = counselor.expect("conversation").await?;
        ids.push(conv["conversation"].as_str().unwrap().to_owned());
        visitor.expect("assigned").await?;
        visitors.push(visitor);
    }

    const EACH: usize = 40;
    let mut sent = Vec::new();
    for i in 0..EACH {
        for (c, id) in ids.iter().enumerate() {
            let client_id = format!("c{c}-{i}");
            counselor
                .send(
                    json!({"type":"send","conversation":id,"client_id":client_id,
                             "text":format!("bericht {i}")}),
                )
                .await?;
            sent.push(client_id);
        }
    }
    // A direct reply to a later frame (an error here) waits behind the acks.
    counselor.send(json!({"type":"no_such_frame"})).await?;
    let mut replies = Vec::new();
    while replies.len() <= sent.len() {
        let frame = counselor.next().await?;
        match frame["type"].as_str() {
            Some("ack") => replies.push(frame["client_id"].as_str().unwrap().to_owned()),
            Some("error") => replies.push(frame["code"].as_str().unwrap().to_owned()),
            _ => {}
        }
    }
    sent.push("unknown_type".to_owned());
    assert_eq!(replies, sent, "replies in the order of the frames");

    for visitor in &mut visitors {
        for i in 0..EACH {
            let message = visitor.expect("message").await?;
            assert_eq!(message["message"]["text"], format!("bericht {i}"));
            assert_eq!(message["message"]["seq"], i + 1);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_waiting_visitor_moves_up_to_the_front_as_those_ahead_leave() -> anyhow::Result<()> {
    // Positions are sent by the relay's queue task, coalesced when the queue changes
    // quickly: whatever is coalesced, the last visitor's positions only go down, and the
    // last one it hears is 1.
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let mut ahead = Vec::new();
    for i in 0..8 {
        let (visitor, _) = relay
            .visitor_with_token("caw", &format!("Eerder{i}"))
            .await?;
        ahead.push(visitor);
    }
    let (mut last, _) = relay.visitor_with_token("caw", "Laatste").await?;
    let mut position = last.expect("queued").await?["position"]
        .as_u64()
        .unwrap_or_default();
    assert_eq!(position, 9);
    for mut visitor in ahead {
        visitor.send(json!({"type":"end"})).await?;
        visitor.expect("ended").await?;
    }
    while position != 1 {
        let next = last.expect("queued").await?["position"]
            .as_u64()
            .unwrap_or_default();
        assert!(next < position, "position went from {position} to {next}");
        position = next;
    }
    relay.stop().await
}
