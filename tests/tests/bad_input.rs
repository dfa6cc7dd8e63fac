//! Bad input gets a typed error or a documented close code; the relay keeps running and
//! nothing already stored is lost.

use chathulp_tests::TestRelay;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_unknown_oversized_and_forbidden_frames_get_typed_errors_and_lose_nothing()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"eerste bericht"}))
        .await?;
    visitor.expect("ack").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let id = counselor.expect("conversation").await?["conversation"].clone();

    // Visitor side.
    visitor.send_raw(Message::Text("{not json".into())).await?;
    assert_eq!(visitor.expect("error").await?["code"], "bad_frame");
    visitor.send(json!({"type":"take","service":"caw"})).await?;
    assert_eq!(visitor.expect("error").await?["code"], "unknown_type");
    visitor.send(json!({"type":"send","text":"no id"})).await?;
    let e = visitor.expect("error").await?;
    assert_eq!(e["code"], "bad_frame");
    assert!(e["message"].as_str().unwrap().contains("client_id"), "{e}");
    visitor
        .send(json!({"type":"send","client_id":"big","text":"a".repeat(4097)}))
        .await?;
    let e = visitor.expect("error").await?;
    assert_eq!(
        (e["code"].as_str(), e["client_id"].as_str()),
        (Some("too_large"), Some("big"))
    );
    visitor
        .send(json!({"type":"send","client_id":"blank","text":"   "}))
        .await?;
    assert_eq!(visitor.expect("error").await?["code"], "invalid");
    // A NUL is valid JSON ("\u0000") but no text: PostgreSQL could not store it.
    visitor
        .send(json!({"type":"send","client_id":"nul","text":"a\u{0}b"}))
        .await?;
    let e = visitor.expect("error").await?;
    assert_eq!(
        (e["code"].as_str(), e["client_id"].as_str()),
        (Some("invalid"), Some("nul"))
    );
    visitor
        .send(json!({"type":"send","client_id":"n\u{0}l","text":"hoi"}))
        .await?;
    assert_eq!(visitor.expect("error").await?["code"], "invalid");
    visitor
        .send_raw(Message::Binary(vec![1, 2, 3].into()))
        .await?;
    assert_eq!(visitor.expect("error").await?["code"], "bad_frame");
    visitor
        .send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Again"}))
        .await?;
    assert_eq!(visitor.expect("error").await?["code"], "invalid");

    // Staff side: a counselor may not touch someone else's conversation, a supervisor
    // may not take or write at all.
    let mut other = relay.staff("bo").await?;
    other
        .send(json!({"type":"send","conversation":id,"client_id":"x","text":"hoi"}))
        .await?;
    assert_eq!(other.expect("error").await?["code"], "not_found");
    let mut supervisor = relay.staff("sup").await?;
    supervisor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    assert_eq!(supervisor.expect("error").await?["code"], "forbidden");
    supervisor
        .send(json!({"type":"send","conversation":id,"client_id":"x","text":"hoi"}))
        .await?;
    assert_eq!(supervisor.expect("error").await?["code"], "forbidden");
    counselor
        .send(json!({"type":"take","service":"nope"}))
        .await?;
    assert_eq!(counselor.expect("error").await?["code"], "not_found");

    // After all that, the conversation still works and nothing was stored twice or lost.
    visitor
        .send(json!({"type":"send","client_id":"v2","text":"tweede bericht"}))
        .await?;
    assert_eq!(visitor.expect("ack").await?["seq"], 2);
    assert_eq!(
        counselor.expect("message").await?["message"]["text"],
        "tweede bericht"
    );
    let count = relay
        .query_value("SELECT COUNT(*) FROM messages", &[])
        .await?;
    assert_eq!(count, 2);
    relay.stop().await
}

#[tokio::test]
async fn a_frame_over_the_size_limit_closes_with_1009_and_the_relay_keeps_serving()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    let huge = json!({"type":"send","client_id":"x","text":"a".repeat(20_000)});
    visitor.send(huge).await?;
    let close = visitor.expect_close().await?.expect("a close frame");
    assert_eq!(u16::from(close.code), 1009);
    // Others are unaffected.
    let _again = relay.queued_visitor("caw", "Kim").await?;
    relay.stop().await
}

#[tokio::test]
async fn a_resent_client_id_is_stored_once_acked_with_the_same_seq_and_delivered_once()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    counselor.expect("conversation").await?;
    let frame = json!({"type":"send","client_id":"same","text":"hallo"});
    visitor.send(frame.clone()).await?;
    let first = visitor.expect("ack").await?;
    visitor.send(frame).await?;
    let second = visitor.expect("ack").await?;
    assert_eq!(first["seq"], second["seq"]);
    assert_eq!(
        counselor.expect("message").await?["message"]["text"],
        "hallo"
    );
    // Barrier: an error reply proves every earlier frame has arrived; no second copy.
    counselor
        .send(json!({"type":"take","service":"none"}))
        .await?;
    let next = counselor.next().await?;
    assert_eq!(
        (next["type"].as_str(), next["code"].as_str()),
        (Some("error"), Some("not_found"))
    );
    relay.stop().await
}

#[tokio::test]
async fn staff_must_sign_in_first_and_a_wrong_password_is_refused() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let tls = relay.client_tls()?;

    let mut c = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    c.send(json!({"type":"take","service":"caw"})).await?;
    assert_eq!(c.expect("error").await?["code"], "hello_required");
    assert_eq!(
        u16::from(c.expect_close().await?.expect("close").code),
        1008
    );

    let mut c = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    c.send(json!({"type":"login","protocol":1,"user":"an","password":"wrong password!"}))
        .await?;
    assert_eq!(c.expect("error").await?["code"], "login_failed");
    assert_eq!(
        u16::from(c.expect_close().await?.expect("close").code),
        1008
    );

    let mut c = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    c.send(json!({"type":"login","protocol":1,"user":"nobody","password":"wrong password!"}))
        .await?;
    assert_eq!(c.expect("error").await?["code"], "login_failed");

    let mut c = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    c.send(json!({"type":"login","protocol":99,"user":"an","password":"x"}))
        .await?;
    assert_eq!(c.expect("error").await?["code"], "unsupported_version");

    // The token from a login signs in again, once the first connection is gone.
    let mut first = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls.clone()).await?;
    first
        .send(json!({"type":"login","protocol":1,"user":"an","password":chathulp_tests::PASSWORD}))
        .await?;
    let token = first.expect("login_ok").await?["token"].clone();
    assert_eq!(token.as_str().map(str::len), Some(64));
    let mut again = chathulp_tests::Client::connect(&relay.url("/ws/staff"), tls).await?;
    again
        .send(json!({"type":"session","protocol":1,"token":token}))
        .await?;
    assert_eq!(again.expect("login_ok").await?["user"], "an");
    relay.stop().await
}
