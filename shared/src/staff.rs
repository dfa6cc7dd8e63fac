//! The staff app ⇄ relay protocol, spoken over `wss://HOST/ws/staff`.
//!
//! The first frame must be [`StaffRequest::Login`] or [`StaffRequest::Session`], within
//! the login deadline. After [`StaffEvent::LoginOk`] the relay pushes a [`StaffEvent::Queue`]
//! snapshot and one [`StaffEvent::Conversation`] per open conversation of the account.

use serde::{Deserialize, Serialize};

use crate::common::{
    ChatMessage, ConversationId, ErrorReply, Intake, Party, Role, ServiceId, ServiceStatus,
};

/// Frames the staff app sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StaffRequest {
    /// Sign in with a name and password.
    Login {
        protocol: u32,
        user: String,
        password: String,
    },
    /// Sign in again with the token of an earlier `login_ok`.
    Session { protocol: u32, token: String },
    /// Take the visitor of `conversation`, or the longest-waiting visitor of `service`.
    Take {
        service: ServiceId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation: Option<ConversationId>,
    },
    /// A message to the visitor of one of your conversations.
    Send {
        conversation: ConversationId,
        client_id: String,
        text: String,
    },
    /// You are typing in `conversation`. Carries no text.
    Typing { conversation: ConversationId },
    /// End one of your conversations.
    End { conversation: ConversationId },
}

impl crate::decode::Decode for StaffRequest {
    const TYPES: &'static [&'static str] = &["login", "session", "take", "send", "typing", "end"];
}

/// One waiting visitor, as staff see them. Never holds an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub conversation: ConversationId,
    pub nickname: String,
    pub intake: Intake,
    /// When the visitor joined the queue, in Unix milliseconds.
    pub since_ms: i64,
}

/// One service's queue and status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceQueue {
    pub service: ServiceId,
    pub name: String,
    pub status: ServiceStatus,
    /// Waiting visitors, longest waiting first.
    pub waiting: Vec<QueueEntry>,
}

/// Frames the relay sends to staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StaffEvent {
    /// Signed in. Keep `token` to sign in again with `session` after a drop.
    LoginOk {
        protocol: u32,
        user: String,
        role: Role,
        token: String,
        /// How many conversations this account may hold at once.
        capacity: u32,
    },
    /// The full queue of every service. Sent after login and on every change.
    Queue {
        services: Vec<ServiceQueue>,
    },
    /// A conversation of yours, with its whole scrollback. Sent on take and after login.
    Conversation {
        conversation: ConversationId,
        service: ServiceId,
        nickname: String,
        intake: Intake,
        started_at_ms: i64,
        messages: Vec<ChatMessage>,
    },
    /// A new message from the visitor of one of your conversations.
    Message {
        conversation: ConversationId,
        message: ChatMessage,
    },
    /// Your message `client_id` is stored under `seq`.
    Ack {
        conversation: ConversationId,
        client_id: String,
        seq: u64,
        at_ms: i64,
    },
    /// The visitor of `conversation` is typing.
    Typing {
        conversation: ConversationId,
    },
    /// `conversation` is over.
    Ended {
        conversation: ConversationId,
        by: Party,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Error(ErrorReply),
}
