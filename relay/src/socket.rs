//! Small helpers shared by the visitor and staff socket loops.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use chathulp_shared::close;
use serde::Serialize;
use tokio_tungstenite::tungstenite;

/// Sends one event as a JSON text frame. `Err` means the socket is gone.
pub async fn send_json<T: Serialize>(socket: &mut WebSocket, event: &T) -> Result<(), ()> {
    let text = serde_json::to_string(event).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an event");
    })?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|_| ())
}

pub async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// How a read error should close the socket: 1009 for an oversized message, nothing
/// (the socket is already broken) otherwise.
pub async fn close_after_read_error(socket: &mut WebSocket, error: axum::Error) {
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
pub struct Keepalive {
    ping: tokio::time::Interval,
    last_seen: tokio::time::Instant,
    idle: std::time::Duration,
}

/// What the socket loop should do when the keepalive timer fires.
pub enum Beat {
    Ping,
    Idle,
}

impl Keepalive {
    pub fn new(limits: &crate::config::Limits) -> Self {
        let every = std::time::Duration::from_secs(limits.ping_interval_secs);
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            ping,
            last_seen: tokio::time::Instant::now(),
            idle: std::time::Duration::from_secs(limits.idle_timeout_secs),
        }
    }

    pub fn seen(&mut self) {
        self.last_seen = tokio::time::Instant::now();
    }

    pub async fn beat(&mut self) -> Beat {
        self.ping.tick().await;
        if self.last_seen.elapsed() > self.idle {
            Beat::Idle
        } else {
            Beat::Ping
        }
    }
}

/// Sends a ping, or closes an idle socket. `Err` means the socket is done.
pub async fn keep_alive(socket: &mut WebSocket, beat: Beat) -> Result<(), ()> {
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
