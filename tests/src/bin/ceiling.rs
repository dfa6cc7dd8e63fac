//! `ceiling`: the fastest the relay could be on this transport.
//!
//! A bare tokio-tungstenite + rustls server that speaks just enough of the chathulp
//! protocol (docs/protocol.md) for the load generator: visitor `hello` → `welcome`,
//! staff `login` → `login_ok`, `take` → `conversation` (+ `assigned` to the visitor),
//! `send` → `ack` to the sender and `message` to the peer, visitor `end` → `ended`. It
//! pairs sockets and stores nothing: no database, no password check, no queue
//! broadcasts. Same TLS stack (rustls with ring, TLS 1.3 and 1.2, ALPN `http/1.1`), same
//! certificate type (ECDSA P-256 from rcgen), the relay's own rustls config and the same
//! WebSocket buffer settings as the relay (its `limits` defaults: 4 KiB read and write
//! buffers, frames and messages capped at 16 KiB).
//!
//! ```sh
//! ceiling gen-cert DIR                       # DIR/cert.pem and DIR/key.pem (ECDSA P-256)
//! ceiling serve --listen 127.0.0.1:9443 --cert DIR/cert.pem --key DIR/key.pem
//! ```
//!
//! It logs `listening on https://ADDR` when ready, like the relay. Used by
//! `tests/bench/run.sh`; see docs/performance.md.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Parser, Debug)]
#[command(
    name = "ceiling",
    about = "Bare TLS WebSocket forwarder: the benchmark ceiling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a self-signed ECDSA P-256 certificate for localhost and 127.0.0.1.
    GenCert { dir: PathBuf },
    /// Serve until SIGTERM or Ctrl-C.
    Serve {
        #[arg(long, default_value = "127.0.0.1:9443")]
        listen: SocketAddr,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
        /// tungstenite read buffer per socket, in bytes: the relay's default
        /// `limits.ws_read_buffer_bytes` unless given.
        #[arg(long, default_value_t = chathulp_relay::config::Limits::default().ws_read_buffer_bytes)]
        read_buffer: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::GenCert { dir } => gen_cert(&dir),
        Command::Serve {
            listen,
            cert,
            key,
            read_buffer,
        } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve(listen, &cert, &key, read_buffer))
        }
    }
}

fn gen_cert(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated = rcgen::generate_simple_self_signed(names)?;
    std::fs::write(dir.join("cert.pem"), generated.cert.pem())?;
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem())?;
    println!("{}", dir.join("cert.pem").display());
    Ok(())
}

/// Exactly the relay's TLS config (`Identity::server_config`: protocol versions, ALPN,
/// session tickets), so both pay the same handshake.
fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let identity = chathulp_relay::tls::Identity::load(cert, key)?;
    Ok(identity.server_config()?)
}

async fn serve(
    listen: SocketAddr,
    cert: &Path,
    key: &Path,
    read_buffer: usize,
) -> anyhow::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config(cert, key)?);
    let listener = TcpListener::bind(listen).await?;
    let limits = chathulp_relay::config::Limits::default();
    let mut ws_config = WebSocketConfig::default();
    ws_config.read_buffer_size = read_buffer;
    ws_config.write_buffer_size = limits.ws_write_buffer_bytes;
    ws_config.max_write_buffer_size = limits.ws_max_write_buffer_bytes;
    ws_config.max_message_size = Some(limits.max_frame_bytes);
    ws_config.max_frame_size = Some(limits.max_frame_bytes);
    let hub = Hub::default();
    eprintln!("listening on https://{}", listener.local_addr()?);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let hub = hub.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut path = String::new();
            // The error type is tungstenite's, not ours to shrink.
            #[allow(clippy::result_large_err)]
            let callback = |req: &Request, resp: Response| {
                path = req.uri().path().to_owned();
                Ok(resp)
            };
            let Ok(ws) =
                tokio_tungstenite::accept_hdr_async_with_config(tls, callback, Some(ws_config))
                    .await
            else {
                return;
            };
            match path.as_str() {
                "/ws/visitor" => connection(ws, hub, Side::Visitor).await,
                "/ws/staff" => connection(ws, hub, Side::Staff).await,
                _ => {}
            }
        });
    }
    eprintln!("ceiling stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

// ---- the protocol subset ----

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Hello {
        nickname: String,
    },
    Login {
        user: String,
    },
    Take {
        service: String,
    },
    Send {
        #[serde(default)]
        conversation: Option<String>,
        client_id: String,
        text: String,
    },
    End {
        #[serde(default)]
        conversation: Option<String>,
    },
}

#[derive(Serialize, Clone)]
struct ChatMessage {
    seq: u64,
    from: &'static str,
    text: String,
    at_ms: i64,
}

#[derive(Serialize, Clone)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    Welcome {
        protocol: u32,
        resume_token: String,
    },
    Queued {
        position: u32,
    },
    Assigned,
    LoginOk {
        protocol: u32,
        user: String,
        role: &'static str,
        token: &'static str,
        capacity: u32,
    },
    Conversation {
        conversation: String,
        service: String,
        nickname: String,
        intake: Empty,
        started_at_ms: i64,
        messages: [ChatMessage; 0],
        no_dossier: bool,
        dossier_candidate: bool,
    },
    Synced {
        conversations: [String; 0],
    },
    Message {
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation: Option<String>,
        message: ChatMessage,
    },
    Ack {
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation: Option<String>,
        client_id: String,
        seq: u64,
        at_ms: i64,
    },
    Ended {
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation: Option<String>,
        by: &'static str,
    },
    Error {
        code: &'static str,
        message: &'static str,
    },
}

#[derive(Serialize, Clone, Copy)]
struct Empty {}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Visitor,
    Staff,
}

/// Events for one socket. Unbounded, like the Node peer's `ws.send`: the ceiling never
/// drops or disconnects (the relay disconnects a client 1,024 frames behind), so an
/// overloaded step loses nothing and its backlog drains before the next one.
type Outbox = mpsc::UnboundedSender<Event>;

struct Pair {
    visitor: Outbox,
    staff: Option<Outbox>,
    seq: u64,
}

#[derive(Default)]
struct HubState {
    waiting: VecDeque<(String, String)>,
    pairs: HashMap<String, Pair>,
}

#[derive(Clone, Default)]
struct Hub {
    state: Arc<Mutex<HubState>>,
    next_id: Arc<AtomicU64>,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Pushes without waiting, like the relay's outbox.
fn push(outbox: &Outbox, event: Event) {
    let _ = outbox.send(event);
}

async fn connection<S>(ws: tokio_tungstenite::WebSocketStream<S>, hub: Hub, side: Side)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ws = ws;
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    // This socket's own conversation (visitor) — staff name conversations per request.
    let mut own: Option<String> = None;
    loop {
        tokio::select! {
            Some(event) = rx.recv() => {
                if send(&mut ws, &event).await.is_err() {
                    break;
                }
            }
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let reply = match serde_json::from_str::<ClientFrame>(text.as_str()) {
                    Ok(request) => handle(&hub, side, &tx, &mut own, request),
                    Err(_) => Some(Event::Error { code: "bad_frame", message: "bad frame" }),
                };
                if let Some(reply) = reply
                    && send(&mut ws, &reply).await.is_err()
                {
                    break;
                }
            }
        }
    }
    if let Some(id) = own {
        let mut state = hub.lock();
        state.waiting.retain(|(w, _)| w != &id);
        state.pairs.remove(&id);
    }
}

async fn send<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>, event: &Event) -> Result<(), ()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let text = serde_json::to_string(event).map_err(|_| ())?;
    ws.send(Message::Text(text.into())).await.map_err(|_| ())
}

/// Handles one request; returns the direct reply.
fn handle(
    hub: &Hub,
    side: Side,
    me: &Outbox,
    own: &mut Option<String>,
    request: ClientFrame,
) -> Option<Event> {
    match (side, request) {
        (Side::Visitor, ClientFrame::Hello { nickname }) => {
            let id = format!("{:032x}", hub.next_id.fetch_add(1, Ordering::Relaxed));
            let mut state = hub.lock();
            state.waiting.push_back((id.clone(), nickname));
            state.pairs.insert(
                id.clone(),
                Pair {
                    visitor: me.clone(),
                    staff: None,
                    seq: 0,
                },
            );
            let position = u32::try_from(state.waiting.len()).unwrap_or(u32::MAX);
            drop(state);
            *own = Some(id);
            push(me, Event::Queued { position });
            Some(Event::Welcome {
                protocol: 1,
                resume_token: "0".repeat(64),
            })
        }
        (Side::Staff, ClientFrame::Login { user }) => {
            push(me, Event::Synced { conversations: [] });
            Some(Event::LoginOk {
                protocol: 1,
                user,
                role: "counselor",
                token: "0000000000000000000000000000000000000000000000000000000000000000",
                capacity: 1_000_000,
            })
        }
        (Side::Staff, ClientFrame::Take { service }) => {
            let mut state = hub.lock();
            let Some((id, nickname)) = state.waiting.pop_front() else {
                return Some(Event::Error {
                    code: "queue_empty",
                    message: "nobody is waiting in this queue",
                });
            };
            let pair = state.pairs.get_mut(&id)?;
            pair.staff = Some(me.clone());
            push(&pair.visitor, Event::Assigned);
            drop(state);
            push(
                me,
                Event::Conversation {
                    conversation: id,
                    service,
                    nickname,
                    intake: Empty {},
                    started_at_ms: now_ms(),
                    messages: [],
                    no_dossier: false,
                    dossier_candidate: false,
                },
            );
            None
        }
        (
            side,
            ClientFrame::Send {
                conversation,
                client_id,
                text,
            },
        ) => {
            let id = match side {
                Side::Visitor => own.clone(),
                Side::Staff => conversation,
            }?;
            let at_ms = now_ms();
            let mut state = hub.lock();
            let Some(pair) = state.pairs.get_mut(&id) else {
                return Some(Event::Error {
                    code: "not_found",
                    message: "no such conversation",
                });
            };
            pair.seq += 1;
            let seq = pair.seq;
            let (from, peer) = match side {
                Side::Visitor => ("visitor", pair.staff.clone()),
                Side::Staff => ("counselor", Some(pair.visitor.clone())),
            };
            drop(state);
            let conversation = (side == Side::Staff).then(|| id.clone());
            if let Some(peer) = peer {
                push(
                    &peer,
                    Event::Message {
                        conversation: (side == Side::Visitor).then_some(id),
                        message: ChatMessage {
                            seq,
                            from,
                            text,
                            at_ms,
                        },
                    },
                );
            }
            Some(Event::Ack {
                conversation,
                client_id,
                seq,
                at_ms,
            })
        }
        (side, ClientFrame::End { conversation }) => {
            let id = match side {
                Side::Visitor => own.take(),
                Side::Staff => conversation,
            }?;
            let mut state = hub.lock();
            state.waiting.retain(|(w, _)| w != &id);
            let pair = state.pairs.remove(&id);
            drop(state);
            let by = if side == Side::Visitor {
                "visitor"
            } else {
                "counselor"
            };
            if let Some(pair) = pair {
                if let Some(staff) = &pair.staff {
                    push(
                        staff,
                        Event::Ended {
                            conversation: Some(id),
                            by,
                        },
                    );
                }
                push(
                    &pair.visitor,
                    Event::Ended {
                        conversation: None,
                        by,
                    },
                );
            }
            None
        }
        _ => Some(Event::Error {
            code: "unknown_type",
            message: "not supported by the ceiling",
        }),
    }
}
