//! Abuse limits against a real relay: the Origin check, rate and connection limits per
//! visitor and per network, and the deadline that closes slowloris clients. Each test
//! also checks that the relay keeps serving everyone else.

use chathulp_relay::Config;
use chathulp_tests::{Client, PATIENCE, TestRelay};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite;

fn hello(nickname: &str) -> serde_json::Value {
    json!({"type":"hello","protocol":1,"service":"caw","nickname":nickname})
}

/// The HTTP status a refused WebSocket upgrade got.
fn refused_status(result: anyhow::Result<Client>) -> Option<u16> {
    match result {
        Ok(_) => None,
        Err(e) => match e.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Http(response)) => Some(response.status().as_u16()),
            _ => panic!("expected an HTTP refusal, got {e:#}"),
        },
    }
}

#[tokio::test]
async fn visitor_socket_with_a_wrong_or_missing_origin_gets_403() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.web.allowed_origins = vec!["https://www.caw.be".into()];
    let relay = TestRelay::start_with(config).await?;
    let _counselor = relay.staff("bo").await?;
    let url = relay.url("/ws/visitor");
    let tls = relay.client_tls()?;
    for origin in [
        None,
        Some("https://evil.example"),
        Some("http://127.0.0.1"),
        Some("null"),
    ] {
        let refused = Client::connect_with_origin(&url, origin, tls.clone()).await;
        assert_eq!(refused_status(refused), Some(403), "origin {origin:?}");
    }
    // The configured origin and the relay's own origin may chat.
    let mut v = Client::connect_with_origin(&url, Some("https://www.caw.be"), tls).await?;
    v.send(hello("Sam")).await?;
    v.expect("welcome").await?;
    relay.queued_visitor("caw", "Lou").await?;
    // The staff endpoint (the terminal app sends no Origin) is not affected.
    let staff = relay.url("/ws/staff");
    let mut s = Client::connect_with_origin(&staff, None, relay.client_tls()?).await?;
    s.send(json!({"type":"login","protocol":1,"user":"an","password":chathulp_tests::PASSWORD}))
        .await?;
    s.expect("login_ok").await?;
    relay.stop().await
}

#[tokio::test]
async fn a_visitor_over_the_message_rate_gets_rate_limited_nothing_is_stored_and_the_chat_goes_on()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.visitor_message_burst = 2;
    config.limits.visitor_messages_per_sec = 1;
    let relay = TestRelay::start_with(config).await?;
    let mut counselor = relay.staff("an").await?;
    let mut v = relay.queued_visitor("caw", "Sam").await?;
    let mut other = relay.queued_visitor("caw", "Lou").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    counselor.expect("conversation").await?;

    let send = |id: &str| json!({"type":"send","client_id":id,"text":format!("bericht {id}")});
    v.send(send("m1")).await?;
    let first = v.expect("ack").await?;
    v.send(send("m2")).await?;
    v.expect("ack").await?;
    v.send(send("m3")).await?;
    let refused = v.expect("error").await?;
    assert_eq!(refused["code"], "rate_limited");
    assert_eq!(refused["client_id"], "m3");

    // Another visitor has their own budget.
    for id in ["o1", "o2"] {
        other.send(send(id)).await?;
        other.expect("ack").await?;
    }

    // A second later there is room again, and m3 was never stored: the next message
    // follows m2 directly.
    relay.clock.advance(jiff::SignedDuration::from_secs(1));
    v.send(send("m4")).await?;
    let ack = v.expect("ack").await?;
    assert_eq!(ack["seq"].as_u64(), first["seq"].as_u64().map(|s| s + 2));
    relay.stop().await
}

#[tokio::test]
async fn a_network_starting_too_many_chats_gets_rate_limited_until_the_minute_refills()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.new_sessions_per_minute = 2;
    let relay = TestRelay::start_with(config).await?;
    let _counselor = relay.staff("an").await?;
    let _a = relay.queued_visitor("caw", "A").await?;
    let _b = relay.queued_visitor("jac", "B").await?;
    let mut c = relay.visitor().await?;
    c.send(hello("C")).await?;
    let refused = c.expect("error").await?;
    assert_eq!(refused["code"], "rate_limited");

    // The socket stays open; half a minute later one chat's worth has come back.
    relay.clock.advance(jiff::SignedDuration::from_secs(30));
    c.send(hello("C")).await?;
    c.expect("welcome").await?;
    assert_eq!(relay.get("/api/status").await?.status, 200);
    relay.stop().await
}

#[tokio::test]
async fn a_network_over_its_socket_limit_gets_rate_limited_and_close_1013() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.connections_per_network = 2;
    let relay = TestRelay::start_with(config).await?;
    let _counselor = relay.staff("an").await?;
    let mut a = relay.queued_visitor("caw", "A").await?;
    let _b = relay.visitor().await?;
    let mut third = relay.visitor().await?;
    let refused = third.expect("error").await?;
    assert_eq!(refused["code"], "rate_limited");
    let close = third.expect_close().await?.map(|f| u16::from(f.code));
    assert_eq!(close, Some(1013));

    // The open chats go on and staff sockets don't count.
    a.send(json!({"type":"send","client_id":"x","text":"nog hier"}))
        .await?;
    a.expect("ack").await?;
    relay.staff("bo").await?;
    relay.stop().await
}

/// A TLS connection to the relay, trusting only its certificate.
async fn tls_stream(
    relay: &TestRelay,
) -> anyhow::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(relay.addr).await?;
    let connector = tokio_rustls::TlsConnector::from(relay.client_tls()?);
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    Ok(connector.connect(name, tcp).await?)
}

/// Reads until the relay closes the connection; fails if it doesn't within PATIENCE.
async fn closed_by_relay(mut read: impl tokio::io::AsyncRead + Unpin) -> anyhow::Result<()> {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
            Err(_) => anyhow::bail!("the relay kept the connection open"),
            Ok(Ok(0) | Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slowloris_clients_are_closed_after_the_deadline_and_the_relay_keeps_serving()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.tls_handshake_deadline_secs = 1;
    let relay = TestRelay::start_with(config).await?;
    let _counselor = relay.staff("an").await?;
    // One never starts TLS; one does TLS and then trickles a request head it never ends.
    let silent = tokio::net::TcpStream::connect(relay.addr).await?;
    let mut trickle = tls_stream(&relay).await?;
    trickle
        .write_all(b"GET /ws/visitor HTTP/1.1\r\nHost: localhost\r\n")
        .await?;
    trickle.flush().await?;
    let mut v = relay.queued_visitor("caw", "Sam").await?;
    closed_by_relay(silent).await?;
    closed_by_relay(trickle).await?;
    // The real visitor was not affected.
    v.send(json!({"type":"typing"})).await?;
    assert_eq!(relay.get("/api/status").await?.status, 200);
    relay.stop().await
}

#[tokio::test]
async fn a_one_mib_frame_closes_that_socket_with_1009_and_other_chats_go_on() -> anyhow::Result<()>
{
    let relay = TestRelay::start().await?;
    let _counselor = relay.staff("an").await?;
    let mut other = relay.queued_visitor("caw", "Lou").await?;
    let mut big = relay.queued_visitor("caw", "Sam").await?;
    let text = "x".repeat(1024 * 1024);
    big.send_raw(tungstenite::Message::Text(text.into()))
        .await?;
    let close = big.expect_close().await?.map(|f| u16::from(f.code));
    assert_eq!(close, Some(1009));
    other
        .send(json!({"type":"send","client_id":"y","text":"nog hier"}))
        .await?;
    other.expect("ack").await?;
    relay.stop().await
}
