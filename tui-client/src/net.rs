//! The network worker: the one task that owns the WebSocket to the relay.
//!
//! The UI sends it [`NetCommand`]s over an mpsc channel and gets [`NetEvent`]s back, so
//! a relay message shows the moment it arrives and the UI never waits on the network.
//! After a dropped connection the worker reconnects with backoff and signs in again with
//! the session token of the last `login_ok`; the password is not kept. Given several
//! relays (`--server` more than once: a leader and its standbys), each round tries them
//! in turn, starting after the one that was lost, so a failover finds the new leader. A `logout` request
//! (the app sends one on quit) is sent, the socket closed and the worker stops.
//!
//! The frame-level parts ([`login`], [`pump`]) work over any WebSocket `Sink`/`Stream`, so
//! tests drive them over an in-memory socket.

use std::sync::Arc;
use std::time::Duration;

use chathulp_shared::staff::{StaffEvent, StaffRequest};
use chathulp_shared::{ErrorCode, ErrorReply, PROTOCOL_VERSION};
use futures_util::{Sink, SinkExt as _, Stream, StreamExt as _};
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

pub use crate::link::{LoginInfo, NetCommand, NetEvent};
use crate::strings;

/// The relay's staff endpoint.
pub const STAFF_PATH: &str = "/ws/staff";
/// How long connecting plus signing in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// First and longest wait between reconnect attempts.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// We ping this often, and give up on a connection silent for `SILENCE_LIMIT`: a dropped
/// network otherwise goes unnoticed until TCP gives up, minutes later.
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// Signing out on quit may take this long; the app is closing and must not hang on a dead
/// network.
const LOGOUT_TIMEOUT: Duration = Duration::from_millis(800);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    WebSocket(#[from] tungstenite::Error),
    #[error("{0}")]
    LoginFailed(String),
    /// The relay refuses sign-ins for this account or network for now, after too many
    /// failed ones (`rate_limited`); the password was not even checked.
    #[error("{}", strings::LOGIN_THROTTLED)]
    RateLimited,
    #[error("{0}")]
    Protocol(String),
    #[error("{}", strings::CONNECTION_CLOSED)]
    Closed,
    #[error("{}", strings::CONNECT_TIMEOUT)]
    Timeout,
}

impl NetError {
    /// The relay's certificate is not signed by a known authority (a self-signed relay
    /// reached without `--fingerprint` or `--dev`).
    pub fn is_unknown_issuer(&self) -> bool {
        let NetError::WebSocket(tungstenite::Error::Io(io)) = self else {
            return false;
        };
        matches!(
            io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        )
    }
}

/// Where the relay is and how to trust it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `wss://HOST:PORT/ws/staff`.
    pub url: String,
    /// `HOST:PORT`, the key in `known_relays`.
    pub relay: String,
    pub tls: Arc<ClientConfig>,
}

/// Turns `--server wss://HOST[:PORT][/prefix]` into the staff endpoint URL and the
/// `HOST:PORT` key. Only `wss` is accepted: this app carries confidential conversations.
pub fn staff_url(server: &str) -> Result<(String, String), NetError> {
    let bad = |why: &str| NetError::Url(strings::bad_server_url(server, why));
    let uri: Uri = server.parse().map_err(|_| bad(strings::URL_UNPARSABLE))?;
    if uri.scheme_str() != Some("wss") {
        return Err(bad(strings::URL_NOT_WSS));
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad(strings::URL_NO_HOST))?;
    let port = uri.port_u16().unwrap_or(443);
    let path = uri.path().trim_end_matches('/');
    let path = if path.ends_with(STAFF_PATH) {
        path.to_owned()
    } else {
        format!("{path}{STAFF_PATH}")
    };
    let relay = format!("{host}:{port}");
    Ok((format!("wss://{relay}{path}"), relay))
}

/// Opens the TLS WebSocket to the relay.
pub async fn connect(endpoint: &Endpoint) -> Result<Ws, NetError> {
    let connector = Connector::Rustls(endpoint.tls.clone());
    let (ws, _response) = tokio_tungstenite::connect_async_tls_with_config(
        endpoint.url.as_str(),
        None,
        false,
        Some(connector),
    )
    .await?;
    Ok(ws)
}

/// Connects and signs in with `request` (`login` or `session`), within a deadline.
pub async fn connect_and_login(
    endpoint: &Endpoint,
    request: &StaffRequest,
) -> Result<(Ws, LoginInfo, String), NetError> {
    let attempt = async {
        let mut ws = connect(endpoint).await?;
        let (info, token) = login(&mut ws, request).await?;
        Ok((ws, info, token))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .map_err(|_| NetError::Timeout)?
}

/// Tries `endpoints` in turn, starting at `first`, until one connects and signs in.
/// Returns which one did. A refused sign-in (`login_failed`, `rate_limited`) is the
/// relays' answer and ends the round; any other failure moves on to the next relay (a
/// standby answers 503 to the socket). With none left, the last failure.
pub async fn connect_and_login_any(
    endpoints: &[Endpoint],
    first: usize,
    request: &StaffRequest,
) -> Result<(usize, Ws, LoginInfo, String), NetError> {
    let mut last = NetError::Closed;
    for k in 0..endpoints.len() {
        let i = (first + k) % endpoints.len();
        match connect_and_login(&endpoints[i], request).await {
            Ok((ws, info, token)) => return Ok((i, ws, info, token)),
            Err(e @ (NetError::LoginFailed(_) | NetError::RateLimited)) => return Err(e),
            Err(e) => {
                tracing::info!(relay = %endpoints[i].relay, error = %e, "relay unavailable");
                last = e;
            }
        }
    }
    Err(last)
}

/// The first frame of a password sign-in.
pub fn login_request(user: &str, password: &str) -> StaffRequest {
    StaffRequest::Login {
        protocol: PROTOCOL_VERSION,
        user: user.to_owned(),
        password: password.to_owned(),
    }
}

/// Sends a sign-in request and waits for `login_ok`. Returns the account and the session
/// token.
pub async fn login<S>(ws: &mut S, request: &StaffRequest) -> Result<(LoginInfo, String), NetError>
where
    S: Sink<Message, Error = tungstenite::Error>
        + Stream<Item = Result<Message, tungstenite::Error>>
        + Unpin,
{
    ws.send(encode(request)?).await?;
    loop {
        let Some(frame) = ws.next().await else {
            return Err(NetError::Closed);
        };
        match frame? {
            Message::Text(text) => match serde_json::from_str::<StaffEvent>(text.as_str()) {
                Ok(StaffEvent::LoginOk {
                    protocol,
                    user,
                    role,
                    token,
                    capacity,
                    settings,
                }) => {
                    let info = LoginInfo {
                        protocol,
                        user,
                        role,
                        capacity,
                        settings,
                    };
                    return Ok((info, token));
                }
                Ok(StaffEvent::Error(ErrorReply { code, message, .. })) => {
                    return Err(match code {
                        ErrorCode::LoginFailed => NetError::LoginFailed(message),
                        ErrorCode::RateLimited => NetError::RateLimited,
                        _ => NetError::Protocol(format!("{code:?}: {message}")),
                    });
                }
                Ok(_) => return Err(NetError::Protocol(strings::UNEXPECTED_BEFORE_LOGIN.into())),
                Err(e) => return Err(NetError::Protocol(e.to_string())),
            },
            Message::Close(_) => return Err(NetError::Closed),
            _ => {}
        }
    }
}

fn encode(request: &StaffRequest) -> Result<Message, NetError> {
    serde_json::to_string(request)
        .map(Message::text)
        .map_err(|e| NetError::Protocol(e.to_string()))
}

/// Why [`pump`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum PumpEnd {
    /// The UI asked to close, or went away.
    Stop,
    /// The connection was lost, for this reason.
    Lost(String),
}

/// Moves frames between one connected socket and the UI until either side ends.
pub async fn pump<S>(
    ws: &mut S,
    commands: &mut mpsc::UnboundedReceiver<NetCommand>,
    events: &mpsc::Sender<NetEvent>,
) -> PumpEnd
where
    S: Sink<Message, Error = tungstenite::Error>
        + Stream<Item = Result<Message, tungstenite::Error>>
        + Unpin,
{
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None | Some(NetCommand::Close) => {
                    let _ = ws.close().await;
                    return PumpEnd::Stop;
                }
                Some(NetCommand::Request(StaffRequest::Logout)) => {
                    // Signing out ends this session: send it (flushed), close, and stop;
                    // there is nothing to reconnect to.
                    let sign_out = async {
                        if let Ok(frame) = encode(&StaffRequest::Logout) {
                            ws.send(frame).await?;
                        }
                        ws.close().await
                    };
                    if let Err(e) = tokio::time::timeout(LOGOUT_TIMEOUT, sign_out).await {
                        tracing::info!(error = %e, "signing out took too long");
                    }
                    return PumpEnd::Stop;
                }
                Some(NetCommand::Request(request)) => {
                    let sent = match encode(&request) {
                        Ok(frame) => ws.send(frame).await.map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    if let Err(reason) = sent {
                        return PumpEnd::Lost(reason);
                    }
                }
            },
            frame = ws.next() => {
                last_heard = tokio::time::Instant::now();
                match frame {
                    None => return PumpEnd::Lost(strings::CONNECTION_CLOSED.into()),
                    Some(Err(e)) => return PumpEnd::Lost(e.to_string()),
                    Some(Ok(Message::Close(frame))) => {
                        let reason = frame
                            .map(|f| f.reason.to_string())
                            .filter(|r| !r.is_empty())
                            .unwrap_or_else(|| strings::CONNECTION_CLOSED.into());
                        return PumpEnd::Lost(reason);
                    }
                    Some(Ok(Message::Text(text))) => {
                        match serde_json::from_str::<StaffEvent>(text.as_str()) {
                            Ok(event) => {
                                if events.send(NetEvent::Staff(Box::new(event))).await.is_err() {
                                    return PumpEnd::Stop;
                                }
                            }
                            // Never log the frame itself: it may hold a conversation.
                            Err(e) => tracing::warn!(error = %e, "ignoring a frame we cannot decode"),
                        }
                    }
                    Some(Ok(_)) => {}
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return PumpEnd::Lost(strings::RELAY_SILENT.into());
                }
                if let Err(e) = ws.send(Message::Ping(Vec::new().into())).await {
                    return PumpEnd::Lost(e.to_string());
                }
            }
        }
    }
}

/// Tells the UI that a request was not sent, in the shape of a relay error, so the UI
/// handles it like any other failure (a message goes back to "not sent").
fn not_sent(request: &StaffRequest) -> NetEvent {
    let mut reply = ErrorReply::new(ErrorCode::Internal, strings::NOT_CONNECTED);
    if let StaffRequest::Send { client_id, .. } = request {
        reply = reply.for_client_id(client_id);
    }
    NetEvent::Staff(Box::new(StaffEvent::Error(reply)))
}

/// The worker: runs until the UI sends [`NetCommand::Close`] or drops its sender.
pub async fn run_worker(
    ws: Ws,
    endpoint: Endpoint,
    token: String,
    commands: mpsc::UnboundedReceiver<NetCommand>,
    events: mpsc::Sender<NetEvent>,
) {
    run_worker_on(ws, vec![endpoint], 0, token, commands, events).await;
}

/// [`run_worker`] with several relays: `ws` is connected to `endpoints[current]`, and
/// reconnects try them all in turn, starting with the next one.
pub async fn run_worker_on(
    mut ws: Ws,
    endpoints: Vec<Endpoint>,
    mut current: usize,
    mut token: String,
    mut commands: mpsc::UnboundedReceiver<NetCommand>,
    events: mpsc::Sender<NetEvent>,
) {
    if endpoints.is_empty() {
        return;
    }
    loop {
        let reason = match pump(&mut ws, &mut commands, &events).await {
            PumpEnd::Stop => return,
            PumpEnd::Lost(reason) => reason,
        };
        tracing::info!(%reason, "connection to the relay lost");
        let lost = NetEvent::Disconnected {
            reason,
            retrying: true,
        };
        if events.send(lost).await.is_err() {
            return;
        }
        let mut delay = BACKOFF_START;
        ws = loop {
            if !wait_offline(delay, &mut commands, &events).await {
                return;
            }
            let session = StaffRequest::Session {
                protocol: PROTOCOL_VERSION,
                token: token.clone(),
            };
            match connect_and_login_any(&endpoints, current + 1, &session).await {
                Ok((i, ws, info, new_token)) => {
                    tracing::info!(relay = %endpoints[i].relay, "reconnected to the relay");
                    current = i;
                    token = new_token;
                    if events.send(NetEvent::Connected(info)).await.is_err() {
                        return;
                    }
                    break ws;
                }
                Err(NetError::LoginFailed(message)) => {
                    tracing::warn!("the relay refused our session token");
                    let _ = events.send(NetEvent::LoginFailed(message)).await;
                    return;
                }
                Err(e) => {
                    tracing::info!(error = %e, ?delay, "reconnect failed");
                    let event = NetEvent::Disconnected {
                        reason: e.to_string(),
                        retrying: true,
                    };
                    if events.send(event).await.is_err() {
                        return;
                    }
                    delay = (delay * 2).min(BACKOFF_MAX);
                }
            }
        };
    }
}

/// Waits `delay` while offline, answering requests with "not sent". Returns false if the
/// UI asked to stop.
async fn wait_offline(
    delay: Duration,
    commands: &mut mpsc::UnboundedReceiver<NetCommand>,
    events: &mpsc::Sender<NetEvent>,
) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            command = commands.recv() => match command {
                // Offline there is no session to sign out of: just stop.
                None
                | Some(NetCommand::Close)
                | Some(NetCommand::Request(StaffRequest::Logout)) => return false,
                Some(NetCommand::Request(request)) => {
                    if events.send(not_sent(&request)).await.is_err() {
                        return false;
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chathulp_shared::staff::StaffSettings;
    use chathulp_shared::{Role, ServiceId};
    use tokio_tungstenite::tungstenite::protocol::Role as WsRole;

    async fn socket_pair() -> (
        WebSocketStream<tokio::io::DuplexStream>,
        WebSocketStream<tokio::io::DuplexStream>,
    ) {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let client = WebSocketStream::from_raw_socket(a, WsRole::Client, None).await;
        let relay = WebSocketStream::from_raw_socket(b, WsRole::Server, None).await;
        (client, relay)
    }

    async fn next_text(ws: &mut WebSocketStream<tokio::io::DuplexStream>) -> serde_json::Value {
        loop {
            if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    }

    #[test]
    fn server_url_gets_the_staff_path_and_only_wss_is_accepted() {
        assert_eq!(
            staff_url("wss://127.0.0.1:8443").unwrap(),
            (
                "wss://127.0.0.1:8443/ws/staff".into(),
                "127.0.0.1:8443".into()
            )
        );
        assert_eq!(
            staff_url("wss://relay.example/").unwrap().0,
            "wss://relay.example:443/ws/staff"
        );
        assert_eq!(
            staff_url("wss://relay.example:9000/ws/staff").unwrap().0,
            "wss://relay.example:9000/ws/staff"
        );
        assert!(staff_url("ws://127.0.0.1:8443").is_err());
        assert!(staff_url("https://127.0.0.1:8443").is_err());
        assert!(staff_url("127.0.0.1:8443").is_err());
    }

    #[tokio::test]
    async fn login_sends_credentials_and_returns_the_account() {
        let (mut client, mut relay) = socket_pair().await;
        let relay_side = tokio::spawn(async move {
            let login = next_text(&mut relay).await;
            assert_eq!(login["type"], "login");
            assert_eq!(login["protocol"], PROTOCOL_VERSION);
            assert_eq!(login["user"], "an");
            assert_eq!(login["password"], "geheim");
            let ok = r#"{"type":"login_ok","protocol":1,"user":"an","role":"counselor","token":"t0k","capacity":3}"#;
            relay.send(Message::text(ok)).await.unwrap();
            relay
        });
        let (info, token) = login(&mut client, &login_request("an", "geheim"))
            .await
            .unwrap();
        assert_eq!(info.role, Role::Counselor);
        assert_eq!(info.capacity, 3);
        assert_eq!(token, "t0k");
        // An older relay sends no settings: the app falls back to its defaults.
        assert_eq!(info.settings, StaffSettings::default());
        relay_side.await.unwrap();
    }

    #[tokio::test]
    async fn login_ok_brings_the_relay_settings() {
        let (mut client, mut relay) = socket_pair().await;
        let relay_side = tokio::spawn(async move {
            next_text(&mut relay).await;
            let ok = r#"{"type":"login_ok","protocol":1,"user":"an","role":"counselor","token":"t","capacity":3,
                "settings":{"guidance_warn_mins":45,"guidance_limit_mins":55,
                "canned":[{"key":"w","title":"Welkom","text":"Dag!"}]}}"#;
            relay.send(Message::text(ok)).await.unwrap();
            relay
        });
        let (info, _) = login(&mut client, &login_request("an", "geheim"))
            .await
            .unwrap();
        assert_eq!(info.settings.guidance_warn_mins, 45);
        assert_eq!(info.settings.guidance_limit_mins, 55);
        assert_eq!(info.settings.canned[0].key, 'w');
        relay_side.await.unwrap();
    }

    #[tokio::test]
    async fn refused_login_is_a_login_failure() {
        let (mut client, mut relay) = socket_pair().await;
        let relay_side = tokio::spawn(async move {
            next_text(&mut relay).await;
            let err =
                r#"{"type":"error","code":"login_failed","message":"wrong user name or password"}"#;
            relay.send(Message::text(err)).await.unwrap();
            relay
        });
        let err = login(&mut client, &login_request("an", "fout"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, NetError::LoginFailed(ref m) if m.contains("wrong")),
            "{err:?}"
        );
        relay_side.await.unwrap();
    }

    #[tokio::test]
    async fn a_throttled_login_says_so_in_dutch() {
        let (mut client, mut relay) = socket_pair().await;
        let relay_side = tokio::spawn(async move {
            next_text(&mut relay).await;
            let err = r#"{"type":"error","code":"rate_limited","message":"too many failed sign-ins; try again in 4 s"}"#;
            relay.send(Message::text(err)).await.unwrap();
            relay
        });
        let err = login(&mut client, &login_request("an", "fout"))
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::RateLimited), "{err:?}");
        assert_eq!(
            err.to_string(),
            "Te veel mislukte aanmeldingen. Wacht even en probeer opnieuw."
        );
        relay_side.await.unwrap();
    }

    #[tokio::test]
    async fn pump_forwards_events_and_sends_requests() {
        let (mut client, mut relay) = socket_pair().await;
        let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, mut ev_rx) = mpsc::channel(8);
        let worker = tokio::spawn(async move { pump(&mut client, &mut cmd_rx, &ev_tx).await });

        relay
            .send(Message::text(r#"{"type":"queue","services":[]}"#))
            .await
            .unwrap();
        assert_eq!(
            ev_rx.recv().await,
            Some(NetEvent::Staff(Box::new(StaffEvent::Queue {
                services: vec![]
            })))
        );

        let take = StaffRequest::Take {
            service: ServiceId("caw".into()),
            conversation: None,
        };
        cmd_tx.send(NetCommand::Request(take)).unwrap();
        let frame = next_text(&mut relay).await;
        assert_eq!(frame, serde_json::json!({"type":"take","service":"caw"}));

        cmd_tx.send(NetCommand::Close).unwrap();
        assert_eq!(worker.await.unwrap(), PumpEnd::Stop);
    }

    #[tokio::test]
    async fn logout_is_flushed_then_the_socket_closes_and_the_worker_stops() {
        let (mut client, mut relay) = socket_pair().await;
        let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, _ev_rx) = mpsc::channel(8);
        // What the app queues on quit.
        cmd_tx
            .send(NetCommand::Request(StaffRequest::Logout))
            .unwrap();
        cmd_tx.send(NetCommand::Close).unwrap();
        let end = pump(&mut client, &mut cmd_rx, &ev_tx).await;
        assert_eq!(end, PumpEnd::Stop);
        assert_eq!(
            next_text(&mut relay).await,
            serde_json::json!({"type":"logout"})
        );
        assert!(matches!(relay.next().await, Some(Ok(Message::Close(_)))));
    }

    #[tokio::test]
    async fn logout_while_offline_just_stops() {
        let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, mut ev_rx) = mpsc::channel(8);
        cmd_tx
            .send(NetCommand::Request(StaffRequest::Logout))
            .unwrap();
        let carry_on = wait_offline(Duration::from_secs(30), &mut cmd_rx, &ev_tx).await;
        assert!(!carry_on);
        assert!(ev_rx.try_recv().is_err(), "no \"not sent\" for a logout");
    }

    #[tokio::test]
    async fn pump_reports_a_closed_connection_as_lost() {
        let (mut client, mut relay) = socket_pair().await;
        let (_cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, _ev_rx) = mpsc::channel(8);
        relay.close(None).await.unwrap();
        assert!(matches!(
            pump(&mut client, &mut cmd_rx, &ev_tx).await,
            PumpEnd::Lost(_)
        ));
    }

    #[test]
    fn a_request_sent_while_offline_comes_back_as_not_sent() {
        let send = StaffRequest::Send {
            conversation: chathulp_shared::ConversationId("c1".into()),
            client_id: "abc".into(),
            text: "hoi".into(),
        };
        let NetEvent::Staff(event) = not_sent(&send) else {
            panic!("expected a staff event");
        };
        let StaffEvent::Error(reply) = *event else {
            panic!("expected an error event");
        };
        assert_eq!(reply.client_id.as_deref(), Some("abc"));
    }
}
