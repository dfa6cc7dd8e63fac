//! The visitor page ⇄ relay protocol, spoken over `wss://HOST/ws/visitor`.
//!
//! The first frame must be [`VisitorRequest::Hello`]. The relay answers with
//! [`VisitorEvent::Welcome`] and then [`VisitorEvent::Queued`] updates until a counselor
//! takes the visitor ([`VisitorEvent::Assigned`]).

use serde::{Deserialize, Serialize};

use crate::common::{ChatMessage, ErrorReply, Intake, Party, ServiceId};

/// Frames the visitor page sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorRequest {
    /// Join the queue of `service` under a nickname, with optional intake data.
    Hello {
        protocol: u32,
        service: ServiceId,
        nickname: String,
        #[serde(default)]
        intake: Intake,
    },
    /// A chat message. `client_id` is chosen by the page and echoed in the ack.
    Send { client_id: String, text: String },
    /// The visitor is typing. Carries no text, ever.
    Typing,
    /// The visitor ends the conversation (or leaves the queue).
    End,
}

impl crate::decode::Decode for VisitorRequest {
    const TYPES: &'static [&'static str] = &["hello", "send", "typing", "end"];
}

/// Frames the relay sends to the visitor page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    /// Reply to `hello`: the visitor is accepted.
    Welcome {
        protocol: u32,
    },
    /// The visitor waits; `position` 1 is next in line. Sent again whenever it changes.
    Queued {
        position: u32,
    },
    /// A counselor has taken the conversation. The counselor's account name is not shared.
    Assigned,
    /// A message from the counselor.
    Message {
        message: ChatMessage,
    },
    /// The visitor's own message `client_id` is stored under `seq`.
    Ack {
        client_id: String,
        seq: u64,
        at_ms: i64,
    },
    /// The counselor is typing.
    Typing,
    /// The conversation is over. `by` says who ended it.
    Ended {
        by: Party,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Error(ErrorReply),
}
