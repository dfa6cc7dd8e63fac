//! Several `--server`s: the app signs in through the first relay that answers, and after
//! a lost connection tries the others in turn, signing in again with its session on the
//! relay that serves now (a standby that took over). Real relays over real TLS.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chathulp::net::{self, Endpoint, NetCommand, NetEvent};
use chathulp_relay::Config;
use chathulp_tests::{PASSWORD, TestRelay};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(60);

fn endpoint(addr: std::net::SocketAddr, relay: &TestRelay) -> anyhow::Result<Endpoint> {
    Ok(Endpoint {
        url: format!("wss://{addr}{}", net::STAFF_PATH),
        relay: addr.to_string(),
        tls: relay.client_tls()?,
    })
}

/// An address where nothing listens (bound, then closed again).
async fn dead_address() -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(addr)
}

#[tokio::test]
async fn sign_in_skips_a_relay_that_is_down_and_uses_the_next() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let endpoints = vec![
        endpoint(dead_address().await?, &relay)?,
        endpoint(relay.addr, &relay)?,
    ];
    let login = net::login_request("an", PASSWORD);
    let (which, _ws, info, _token) = net::connect_and_login_any(&endpoints, 0, &login).await?;
    assert_eq!(which, 1, "the second relay, the one that is up");
    assert_eq!(info.user, "an");
    Ok(())
}

#[tokio::test]
async fn a_refused_password_is_not_retried_on_the_other_relays() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let endpoints = vec![endpoint(relay.addr, &relay)?, endpoint(relay.addr, &relay)?];
    let wrong = net::login_request("an", "fout");
    let result = net::connect_and_login_any(&endpoints, 0, &wrong).await;
    assert!(matches!(result, Err(net::NetError::LoginFailed(_))));
    Ok(())
}

#[tokio::test]
async fn after_losing_its_relay_the_worker_signs_in_again_on_the_other() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    // The second relay's address is known from the start, as in `--server A --server B`.
    let second = TcpListener::bind("127.0.0.1:0").await?;
    let endpoints = vec![
        endpoint(relay.addr, &relay)?,
        endpoint(second.local_addr()?, &relay)?,
    ];
    let login = net::login_request("an", PASSWORD);
    let (which, ws, _, token) = net::connect_and_login_any(&endpoints, 0, &login).await?;
    assert_eq!(which, 0);
    let (commands, command_rx) = mpsc::unbounded_channel::<NetCommand>();
    let (event_tx, mut events) = mpsc::channel(256);
    let worker = tokio::spawn(net::run_worker_on(
        ws, endpoints, which, token, command_rx, event_tx,
    ));

    // The first relay goes away; the same data (sessions included) is served from the
    // second address.
    let relay = relay
        .restart_on(Config::default(), second, |_| Ok(()))
        .await?;
    let mut lost = false;
    let info = loop {
        let event = tokio::time::timeout(DEADLINE, events.recv())
            .await
            .map_err(|_| anyhow!("no reconnect within {DEADLINE:?}"))?
            .context("the worker stopped")?;
        match event {
            NetEvent::Disconnected { retrying, .. } => {
                assert!(retrying);
                lost = true;
            }
            NetEvent::Connected(info) => break info,
            NetEvent::LoginFailed(m) => return Err(anyhow!("session refused: {m}")),
            NetEvent::Staff(_) => {}
        }
    };
    assert!(lost, "the worker saw the first relay go");
    assert_eq!(
        info.user, "an",
        "signed in again with the session, no password"
    );
    let _ = commands.send(NetCommand::Close);
    worker.await?;
    relay.stop().await
}
