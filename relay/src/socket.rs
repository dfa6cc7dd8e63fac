//! The socket loop shared by the visitor and staff endpoints, and its helpers.
//!
//! [`run`] owns one WebSocket after its upgrade (and, for staff, after sign-in). It
//! `select!`s on shutdown, on being kicked (reading too slowly, or signed out by an
//! administrator), on the first-frame
//! deadline, on events the broker pushed into this client's outbox, on the keep-alive
//! timer, on the client's next frame, which goes to the endpoint's [`Frames`], and on the
//! replies of earlier frames still in flight ([`Handled::Later`]).
//!
//! Every write to the socket is bounded ([`Guarded`]): a peer that stops reading fills its
//! TCP window, and a write to it would otherwise wait forever, with the loop stuck in it
//! and blind to its kick. So each write gives up when the client is kicked meanwhile (its
//! send queue filled up behind the stuck write) or when it has not finished within the
//! idle timeout; and a close frame gets [`CLOSE_TIMEOUT`] at most.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use chathulp_shared::{ErrorCode, ErrorReply, PROTOCOL_VERSION, close};
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;

use crate::config::Limits;

/// What an endpoint does with the text frames of one client.
pub(crate) trait Frames {
    type Event: Serialize + Send + 'static;

    /// Handles one text frame.
    async fn handle(&mut self, text: &str) -> Handled<Self::Event>;

    /// This endpoint's `error` event.
    fn error(reply: ErrorReply) -> Self::Event;

    /// True while the first frame that opens a session (hello, resume) is still due; the
    /// first-frame deadline applies meanwhile.
    fn awaiting_first_frame(&self) -> bool {
        false
    }

    /// Asked after every frame: a close code and reason end the session.
    async fn close_after(&mut self) -> Option<(u16, &'static str)> {
        None
    }
}

/// What an endpoint made of one frame.
pub(crate) enum Handled<E> {
    /// Done; the direct reply, if any.
    Now(Option<E>),
    /// Still in flight (a counselor's `send` waiting for its commit): the loop reads on
    /// meanwhile, and sends the reply when it is ready. Replies always go out in the order
    /// their frames came in, direct ones included.
    Later(Pending<E>),
}

/// The reply of a frame still in flight. Whatever it stores and delivers must not
/// depend on the socket staying open (spawn it), because the loop drops it on exit.
pub(crate) type Pending<E> = Pin<Box<dyn Future<Output = Option<E>> + Send>>;

/// Most frames in flight per socket; beyond it the loop stops reading until one is done.
const MAX_IN_FLIGHT: usize = 64;

/// Why [`run`] returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LoopEnd {
    /// The relay is shutting down; the client was told with 1001.
    Shutdown,
    /// The client left, broke, was too slow or too late, or the session closed itself.
    Gone,
}

pub(crate) async fn run<F: Frames>(
    socket: &mut WebSocket,
    frames: &mut F,
    events: &mut mpsc::Receiver<F::Event>,
    kick: &crate::broker::Kick,
    shutdown: &CancellationToken,
    limits: &Limits,
) -> LoopEnd {
    let mut keepalive = Keepalive::new(limits);
    let guard = Guarded {
        kick,
        stall: Duration::from_secs(limits.idle_timeout_secs),
    };
    let deadline = tokio::time::sleep(Duration::from_secs(limits.first_frame_deadline_secs));
    tokio::pin!(deadline);
    let mut in_flight: FuturesOrdered<Pending<F::Event>> = FuturesOrdered::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                close_with(socket, close::GOING_AWAY, "relay shutting down").await;
                return LoopEnd::Shutdown;
            }
            reason = kick.fired() => {
                close_with(socket, close::POLICY, reason).await;
                return LoopEnd::Gone;
            }
            () = &mut deadline, if frames.awaiting_first_frame() => {
                let e = ErrorReply::new(ErrorCode::HelloRequired, "send hello or resume first");
                if let Err(stop) = guard.write(send_json(socket, &F::error(e))).await {
                    return stop.close(socket).await;
                }
                close_with(socket, close::POLICY, "no hello in time").await;
                return LoopEnd::Gone;
            }
            Some(event) = events.recv() => {
                if let Err(stop) = guard.write(send_burst(socket, event, events)).await {
                    return stop.close(socket).await;
                }
            }
            beat = keepalive.beat() => {
                if let Err(stop) = guard.write(keep_alive(socket, beat)).await {
                    return stop.close(socket).await;
                }
            }
            Some(reply) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some(reply) = reply
                    && let Err(stop) = guard.write(send_json(socket, &reply)).await
                {
                    return stop.close(socket).await;
                }
            }
            frame = socket.recv(), if in_flight.len() < MAX_IN_FLIGHT => {
                keepalive.seen();
                let reply = match frame {
                    None | Some(Ok(Message::Close(_))) => return LoopEnd::Gone,
                    Some(Err(e)) => {
                        close_after_read_error(socket, e).await;
                        return LoopEnd::Gone;
                    }
                    Some(Ok(Message::Text(text))) => match frames.handle(text.as_str()).await {
                        Handled::Now(reply) if in_flight.is_empty() => reply,
                        // Replies keep frame order: this one waits behind those in flight.
                        Handled::Now(reply) => {
                            in_flight.push_back(Box::pin(std::future::ready(reply)));
                            None
                        }
                        Handled::Later(pending) => {
                            in_flight.push_back(pending);
                            None
                        }
                    },
                    Some(Ok(Message::Binary(_))) => Some(F::error(ErrorReply::new(
                        ErrorCode::BadFrame,
                        "binary frames are not accepted; send JSON text",
                    ))),
                    Some(Ok(_)) => None, // ping/pong: answered by the WebSocket layer
                };
                if let Some(reply) = reply
                    && let Err(stop) = guard.write(send_json(socket, &reply)).await
                {
                    return stop.close(socket).await;
                }
                if let Some((code, reason)) = frames.close_after().await {
                    close_with(socket, code, reason).await;
                    return LoopEnd::Gone;
                }
            }
        }
    }
}

/// Most events written between two flushes, so one busy outbox can't starve the rest of
/// the loop.
const MAX_BURST: usize = 64;

/// Sends one event as a JSON text frame. `Err` means the socket is gone.
pub async fn send_json<T: Serialize>(socket: &mut WebSocket, event: &T) -> Result<(), ()> {
    socket.send(json_frame(event)?).await.map_err(|_| ())
}

/// Writes `first` and the events already waiting behind it in the outbox, then flushes
/// once: a burst shares TLS records and one write syscall instead of one per frame.
async fn send_burst<T: Serialize>(
    socket: &mut WebSocket,
    first: T,
    events: &mut mpsc::Receiver<T>,
) -> Result<(), ()> {
    socket.feed(json_frame(&first)?).await.map_err(|_| ())?;
    for _ in 1..MAX_BURST {
        let Ok(event) = events.try_recv() else { break };
        socket.feed(json_frame(&event)?).await.map_err(|_| ())?;
    }
    socket.flush().await.map_err(|_| ())
}

fn json_frame<T: Serialize>(event: &T) -> Result<Message, ()> {
    let text = serde_json::to_string(event).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an event");
    })?;
    Ok(Message::Text(text.into()))
}

/// Sends a close frame, waiting at most [`CLOSE_TIMEOUT`]: a peer that does not read
/// (the usual reason to close it) would otherwise hold the task forever. Either way the
/// caller then drops the socket, which closes the TCP connection.
pub async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// How long a close frame may take to go out.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Bounds every write of the socket loop: see the module docs.
struct Guarded<'a> {
    kick: &'a crate::broker::Kick,
    /// The longest one write (a burst, a reply, a ping) may take.
    stall: Duration,
}

/// Why a write did not finish.
enum Stop {
    /// The socket is broken, or the peer did not take the bytes in time.
    Broken,
    /// The client was kicked while the write waited (usually: its send queue filled up
    /// behind it).
    Kicked(&'static str),
}

impl Stop {
    /// Ends the loop: a kicked client gets its close frame (bounded, after whatever was
    /// already queued), a broken one just goes.
    async fn close(self, socket: &mut WebSocket) -> LoopEnd {
        if let Stop::Kicked(reason) = self {
            close_with(socket, close::POLICY, reason).await;
        }
        LoopEnd::Gone
    }
}

impl Guarded<'_> {
    /// Runs `write`, unless the client is kicked or the write takes longer than `stall`.
    async fn write(&self, write: impl Future<Output = Result<(), ()>>) -> Result<(), Stop> {
        tokio::select! {
            result = tokio::time::timeout(self.stall, write) => match result {
                Ok(result) => result.map_err(|()| Stop::Broken),
                Err(_) => {
                    tracing::warn!("client took no data for too long; dropping it");
                    Err(Stop::Broken)
                }
            },
            reason = self.kick.fired() => Err(Stop::Kicked(reason)),
        }
    }
}

/// How a read error should close the socket: 1009 for an oversized message, nothing
/// (the socket is already broken) otherwise.
pub(crate) async fn close_after_read_error(socket: &mut WebSocket, error: axum::Error) {
    let too_big = error
        .into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)));
    if too_big {
        close_with(socket, close::MESSAGE_TOO_BIG, "message too big").await;
    }
}

/// Pings a peer at an interval and notices when it stops answering.
///
/// Any frame from the peer (pongs included) counts as a sign of life. A peer silent for
/// longer than the idle timeout is gone: the socket loop closes it, which starts the
/// reconnect window for its conversations.
struct Keepalive {
    ping: tokio::time::Interval,
    last_seen: tokio::time::Instant,
    idle: std::time::Duration,
}

/// What the socket loop should do when the keepalive timer fires.
enum Beat {
    Ping,
    Idle,
}

impl Keepalive {
    fn new(limits: &Limits) -> Self {
        let every = std::time::Duration::from_secs(limits.ping_interval_secs);
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            ping,
            last_seen: tokio::time::Instant::now(),
            idle: std::time::Duration::from_secs(limits.idle_timeout_secs),
        }
    }

    fn seen(&mut self) {
        self.last_seen = tokio::time::Instant::now();
    }

    async fn beat(&mut self) -> Beat {
        self.ping.tick().await;
        if self.last_seen.elapsed() > self.idle {
            Beat::Idle
        } else {
            Beat::Ping
        }
    }
}

/// Sends a ping, or closes an idle socket. `Err` means the socket is done.
async fn keep_alive(socket: &mut WebSocket, beat: Beat) -> Result<(), ()> {
    match beat {
        Beat::Ping => socket
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|_| ()),
        Beat::Idle => {
            close_with(socket, close::GOING_AWAY, "no answer to ping").await;
            Err(())
        }
    }
}

/// Both endpoints refuse a client that speaks another protocol version, in `hello`,
/// `resume` and `login`, with the same error.
pub fn check_protocol(protocol: u32) -> Result<(), ErrorReply> {
    if protocol == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(ErrorReply::new(
            ErrorCode::UnsupportedVersion,
            format!("this relay speaks protocol {PROTOCOL_VERSION}, not {protocol}"),
        ))
    }
}
