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
