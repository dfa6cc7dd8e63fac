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
async fn a_wrong_origin_gets_403_on_both_sockets_and_the_visitor_needs_one() -> anyhow::Result<()> {
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
    // The staff endpoint takes the terminal app, which sends no Origin, and the relay's
    // own origin, but no page of another site.
    let staff = relay.url("/ws/staff");
    for origin in ["https://evil.example", "null"] {
        let refused = Client::connect_with_origin(&staff, Some(origin), relay.client_tls()?).await;
        assert_eq!(refused_status(refused), Some(403), "staff, origin {origin}");
    }
    relay.staff("bo").await?;
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

#[tokio::test]
async fn a_nickname_with_bidi_or_control_characters_is_refused_and_never_reaches_staff()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    counselor.drain().await?;
    for bad in [
        "Sam\u{202e}tpircs",
        "\u{2066}Lou\u{2069}",
        "Ki\u{2028}m",
        "a\u{1b}[2J",
        "b\u{9b}2J",
    ] {
        let mut v = relay.visitor().await?;
        v.send(hello(bad)).await?;
        let refused = v.expect("error").await?;
        assert_eq!(refused["code"], "invalid", "{bad:?}");
        // The socket stays open: the visitor can pick another nickname.
        v.send(hello("Robin")).await?;
        v.expect("welcome").await?;
    }
    // Staff see only the accepted nicknames.
    let caw_waiting = |q: &serde_json::Value| -> Vec<serde_json::Value> {
        q["services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["service"] == "caw")
            .flat_map(|s| s["waiting"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let queue = counselor
        .expect_queue(|q| caw_waiting(q).len() == 5)
        .await?;
    for entry in caw_waiting(&queue) {
        assert_eq!(entry["nickname"], "Robin", "{entry}");
    }
    relay.stop().await
}

/// One staff `login` from `source`; returns the first reply (`login_ok` or `error`).
async fn login_from(
    relay: &TestRelay,
    source: [u8; 4],
    user: &str,
    password: &str,
) -> anyhow::Result<serde_json::Value> {
    let mut s = relay.connect_from("/ws/staff", source.into(), None).await?;
    s.send(json!({"type":"login","protocol":1,"user":user,"password":password}))
        .await?;
    s.next().await
}

#[tokio::test]
async fn failed_logins_lock_the_account_with_doubling_backoff_until_the_clock_moves_on()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.login_failures_per_account = 2;
    let relay = TestRelay::start_with(config).await?;
    let right = chathulp_tests::PASSWORD;
    let here = [127, 0, 0, 1];
    for _ in 0..2 {
        assert_eq!(
            login_from(&relay, here, "an", "fout").await?["code"],
            "login_failed"
        );
    }
    // The third failure locks "an" for 1 s; the fourth (after that second) for 2 s.
    assert_eq!(
        login_from(&relay, here, "an", "fout").await?["code"],
        "login_failed"
    );
    let locked = login_from(&relay, here, "an", right).await?;
    assert_eq!(locked["code"], "rate_limited", "{locked}");
    assert!(
        locked["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 s")),
        "{locked}"
    );
    // Another account on the same network is not affected.
    assert_eq!(
        login_from(&relay, here, "bo", right).await?["type"],
        "login_ok"
    );
    relay.clock.advance(jiff::SignedDuration::from_secs(1));
    assert_eq!(
        login_from(&relay, here, "an", "fout").await?["code"],
        "login_failed"
    );
    let locked = login_from(&relay, here, "an", right).await?;
    assert!(
        locked["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 s")),
        "{locked}"
    );
    relay.clock.advance(jiff::SignedDuration::from_secs(2));
    // The right password gets in and resets the count: one failure is free again.
    assert_eq!(
        login_from(&relay, here, "an", right).await?["type"],
        "login_ok"
    );
    assert_eq!(
        login_from(&relay, here, "an", "fout").await?["code"],
        "login_failed"
    );
    assert_eq!(
        login_from(&relay, here, "an", right).await?["type"],
        "login_ok"
    );
    relay.stop().await
}

#[tokio::test]
async fn failed_logins_over_many_names_lock_the_network_but_not_other_networks()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.login_failures_per_network = 3;
    let relay = TestRelay::start_with(config).await?;
    let right = chathulp_tests::PASSWORD;
    let guesser = [127, 0, 0, 2];
    for user in ["x1", "x2", "x3", "x4"] {
        assert_eq!(
            login_from(&relay, guesser, user, "fout").await?["code"],
            "login_failed"
        );
    }
    let locked = login_from(&relay, guesser, "an", right).await?;
    assert_eq!(locked["code"], "rate_limited", "{locked}");
    // A counselor on another network signs in as usual.
    assert_eq!(
        login_from(&relay, [127, 0, 0, 3], "an", right).await?["type"],
        "login_ok"
    );
    // The lock lifts with the clock.
    relay.clock.advance(jiff::SignedDuration::from_secs(1));
    assert_eq!(
        login_from(&relay, guesser, "an", right).await?["type"],
        "login_ok"
    );
    relay.stop().await
}

/// A visitor socket that completes the upgrade and `hello`, reads `welcome`, and then
/// never reads again: its TCP receive buffer is tiny, so the relay's writes to it stall.
struct NonReader {
    /// Held, never polled after `welcome`.
    ws: tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
}

impl NonReader {
    async fn connect(relay: &TestRelay, nickname: &str) -> anyhow::Result<Self> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let tcp = socket.connect(relay.addr).await?;
        let connector = tokio_rustls::TlsConnector::from(relay.client_tls()?);
        let name = rustls::pki_types::ServerName::try_from("localhost")?;
        let tls = connector.connect(name, tcp).await?;
        let mut request = relay.url("/ws/visitor").into_client_request()?;
        let origin = format!("https://{}", relay.addr);
        request.headers_mut().insert("origin", origin.parse()?);
        let (mut ws, _) = tokio_tungstenite::client_async(request, tls).await?;
        ws.send(tungstenite::Message::Text(
            hello(nickname).to_string().into(),
        ))
        .await?;
        loop {
            let frame = tokio::time::timeout(PATIENCE, ws.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("closed before welcome"))??;
            if let tungstenite::Message::Text(text) = frame
                && text.contains("\"welcome\"")
            {
                return Ok(Self { ws });
            }
        }
    }

    /// Reads everything the relay managed to send, and fails unless the relay then
    /// closed the connection.
    async fn drained_until_closed(mut self) -> anyhow::Result<()> {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => anyhow::bail!("the relay kept the non-reading socket open"),
                Ok(None | Some(Err(_) | Ok(tungstenite::Message::Close(_)))) => return Ok(()),
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

#[tokio::test]
async fn a_visitor_who_stops_reading_is_dropped_and_other_chats_go_on() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.send_queue_frames = 16;
    let relay = TestRelay::start_with(config).await?;
    let mut an = relay.staff("an").await?;
    let stuck = NonReader::connect(&relay, "Sam").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let conversation = an.expect("conversation").await?["conversation"].clone();
    // A second conversation, with another counselor.
    let mut bo = relay.staff("bo").await?;
    let mut lou = relay.queued_visitor("caw", "Lou").await?;
    bo.send(json!({"type":"take","service":"caw"})).await?;
    let other = bo.expect("conversation").await?["conversation"].clone();

    // The counselor writes long messages, one after the other's ack, until the relay
    // gives up on the visitor who reads none of them. The bound only turns a relay that
    // never gives up into a failure: 20 000 × 4000 bytes is 80 MB, far beyond any socket
    // buffer plus the 16-frame send queue.
    let text = "Ik lees mee. ".repeat(300);
    let mut sent = 0usize;
    let mut away = None;
    'flood: while sent < 20_000 {
        let id = format!("m{sent}");
        an.send(json!({"type":"send","conversation":conversation,"client_id":id,"text":text}))
            .await?;
        sent += 1;
        loop {
            let frame = an.next().await?;
            match frame["type"].as_str() {
                Some("ack") if frame["client_id"] == id.as_str() => break,
                Some("visitor_away") => {
                    away = Some(frame);
                    break 'flood;
                }
                Some("error") => anyhow::bail!("send refused: {frame}"),
                _ => {}
            }
        }
    }
    eprintln!(
        "non-reader: {sent} messages of {} bytes until visitor_away",
        text.len()
    );
    let away = away.ok_or_else(|| anyhow::anyhow!("no visitor_away after {sent} messages"))?;
    assert_eq!(away["conversation"], conversation);
    // The relay closed that socket (after what it had already written).
    stuck.drained_until_closed().await?;

    // The other conversation goes on both ways, and the relay answers.
    lou.send(json!({"type":"send","client_id":"l1","text":"Ben je er nog?"}))
        .await?;
    lou.expect("ack").await?;
    let got = bo.expect("message").await?;
    assert_eq!(got["conversation"], other);
    assert_eq!(got["message"]["text"], "Ben je er nog?");
    bo.send(json!({"type":"send","conversation":other,"client_id":"b1","text":"Ja, ik ben er."}))
        .await?;
    bo.expect("ack").await?;
    assert_eq!(
        lou.expect("message").await?["message"]["text"],
        "Ja, ik ben er."
    );
    assert_eq!(relay.get("/api/status").await?.status, 200);
    relay.stop().await
}

/// Opens `/api/status/events` from `source`. Returns the status and, for a 200, the open
/// stream after its first event; for a refusal, the body.
async fn status_stream_from(
    relay: &TestRelay,
    source: [u8; 4],
) -> anyhow::Result<(u16, Option<impl AsyncReadExt + Unpin + use<>>, String)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind((std::net::Ipv4Addr::from(source), 0).into())?;
    let tcp = socket.connect(relay.addr).await?;
    let connector = tokio_rustls::TlsConnector::from(relay.client_tls()?);
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let mut stream = connector.connect(name, tcp).await?;
    stream
        .write_all(b"GET /api/status/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .map_err(|_| anyhow::anyhow!("no answer from /api/status/events: {seen:?}"))??;
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        let status: Option<u16> = seen.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        match status {
            Some(200) if seen.contains("data: ") => return Ok((200, Some(stream), seen)),
            Some(code) if code != 200 && (n == 0 || seen.contains("poll /api/status")) => {
                return Ok((code, None, seen));
            }
            _ if n == 0 => anyhow::bail!("connection ended: {seen:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn status_event_streams_are_capped_per_network_and_in_all() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.status_streams = 3;
    config.limits.status_streams_per_network = 2;
    let relay = TestRelay::start_with(config).await?;
    let (a, b, c) = ([127, 0, 0, 11], [127, 0, 0, 12], [127, 0, 0, 13]);

    let (status, first, _) = status_stream_from(&relay, a).await?;
    assert_eq!(status, 200);
    let (status, _second, _) = status_stream_from(&relay, a).await?;
    assert_eq!(status, 200);
    // A third from the same network: 429.
    let (status, _, body) = status_stream_from(&relay, a).await?;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("poll /api/status"), "{body}");
    // Another network still gets one, which fills the relay's three.
    let (status, _third, _) = status_stream_from(&relay, b).await?;
    assert_eq!(status, 200);
    let (status, _, body) = status_stream_from(&relay, c).await?;
    assert_eq!(status, 503, "{body}");
    // The plain status answers all the while, for everyone.
    assert_eq!(relay.get("/api/status").await?.status, 200);

    // A stream whose client leaves frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, _stream, body) = status_stream_from(&relay, c).await?;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the place of a closed stream was never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    relay.stop().await
}

#[tokio::test]
async fn expired_staff_sessions_are_deleted_by_the_housekeeping_and_live_ones_stay()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let hours = i64::from(relay.broker.config().limits.session_hours);
    let _early = relay.staff("an").await?;
    relay
        .clock
        .advance(jiff::SignedDuration::from_secs(hours * 3600 - 60));
    let _late = relay.staff("bo").await?;
    let sessions = || async {
        let rows = relay
            .query("SELECT account FROM sessions ORDER BY account", &[])
            .await?;
        Ok::<_, anyhow::Error>(
            rows.iter()
                .filter_map(|r| r["account"].as_str().map(str::to_owned))
                .collect::<Vec<_>>(),
        )
    };
    relay.broker.tick().await?;
    assert_eq!(sessions().await?, ["an", "bo"], "both still valid");
    // One minute later the first token has expired: the next housekeeping deletes it.
    relay.clock.advance(jiff::SignedDuration::from_secs(60));
    relay.broker.tick().await?;
    assert_eq!(sessions().await?, ["bo"]);
    relay.stop().await
}
