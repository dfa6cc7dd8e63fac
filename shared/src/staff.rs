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
    /// Mark (or unmark) one of your conversations as a dossier candidate. Refused with
    /// `dossier_refused` when the visitor said "geen dossier".
    MarkDossier {
        conversation: ConversationId,
        candidate: bool,
    },
    /// Sign out on purpose: your conversations don't wait for you to come back.
    Logout,
    /// Every message of one of your conversations after `after_seq`, e.g. to fill a gap.
    History {
        conversation: ConversationId,
        #[serde(default)]
        after_seq: u64,
    },
    /// Administrators only: close a service at once ("uitzonderlijke omstandigheden").
    /// Waiting visitors are told and offered e-mail.
    CloseService { service: ServiceId, reason: String },
    /// Administrators only: lift a `close_service`.
    OpenService { service: ServiceId },
    /// Counselors: ask an administrator to disclose the IP address of the visitor of one
    /// of your own conversations, in an emergency. `reason` is mandatory (not blank).
    RequestReveal {
        conversation: ConversationId,
        reason: String,
    },
    /// Administrators only: approve or deny reveal request `request`, with a reason.
    DecideReveal {
        request: u64,
        approve: bool,
        reason: String,
    },
    /// Counselors: block the visitor of one of your own conversations (by a keyed hash
    /// of their IP address) for the configured time, 8 hours by default. Ends the
    /// conversation. The app must ask for confirmation before it sends this.
    Block {
        conversation: ConversationId,
        reason: String,
    },
    /// Administrators only: the active blocks, answered with `blocks`.
    ListBlocks,
    /// Administrators only: lift block `block` before it expires.
    LiftBlock { block: u64, reason: String },
}

impl crate::decode::Decode for StaffRequest {
    const TYPES: &'static [&'static str] = &[
        "login",
        "session",
        "take",
        "send",
        "typing",
        "end",
        "mark_dossier",
        "logout",
        "history",
        "close_service",
        "open_service",
        "request_reveal",
        "decide_reveal",
        "block",
        "list_blocks",
        "lift_block",
    ];
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
    /// Set while an administrator has closed the service, with their reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
}

/// A prepared text a counselor inserts with two keystrokes (from the relay's config).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    /// The second keystroke, one character.
    pub key: char,
    pub title: String,
    pub text: String,
}

/// Settings from the relay's config that the app needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSettings {
    /// Minutes after which a conversation shows a "round off soon" warning (seed: 1 hour).
    pub guidance_warn_mins: u32,
    /// Minutes after which a conversation is marked as over the 1-hour guidance.
    pub guidance_limit_mins: u32,
    pub canned: Vec<CannedResponse>,
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
        #[serde(default)]
        settings: StaffSettings,
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
        /// The visitor refused a dossier.
        #[serde(default)]
        no_dossier: bool,
        /// The counselor marked it as a dossier candidate.
        #[serde(default)]
        dossier_candidate: bool,
        /// Set when a visitor with the same nickname returned without their resume token
        /// while this earlier conversation was waiting for them: probably the same
        /// visitor. The earlier transcript is not carried over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        linked_to: Option<ConversationId>,
        /// Set while the visitor's connection is lost: when the conversation ends unless
        /// they come back (Unix ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitor_away_until_ms: Option<i64>,
    },
    /// After sign-in: every `conversation` of yours has been sent; these are all your
    /// open conversations. Any other you still show has ended meanwhile.
    Synced {
        conversations: Vec<ConversationId>,
    },
    /// Reply to `history`.
    History {
        conversation: ConversationId,
        messages: Vec<ChatMessage>,
    },
    /// The visitor's connection dropped. The conversation keeps its slot until
    /// `until_ms`; then it ends unless the visitor resumes.
    VisitorAway {
        conversation: ConversationId,
        until_ms: i64,
    },
    /// The visitor is back ("bezoeker is terug").
    VisitorBack {
        conversation: ConversationId,
    },
    /// The dossier state of one of your conversations changed.
    Dossier {
        conversation: ConversationId,
        no_dossier: bool,
        dossier_candidate: bool,
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
    /// To administrators and supervisors: every pending reveal request, plus those
    /// decided in the last 24 hours. Sent after login and whenever one changes.
    Reveals {
        requests: Vec<RevealRequest>,
    },
    /// To the counselor who asked: the state of their reveal request for
    /// `conversation`. `ip` is set only when approved, and only in this frame to this
    /// counselor: the app shows it as an emergency disclosure.
    Reveal {
        conversation: ConversationId,
        /// Boxed only to keep every event small in memory.
        request: Box<RevealRequest>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip: Option<String>,
    },
    /// Reply to `block`: the visitor of `conversation` is blocked until `until_ms`.
    Blocked {
        conversation: ConversationId,
        block: BlockInfo,
    },
    /// Reply to `list_blocks` and `lift_block`: the active blocks.
    Blocks {
        blocks: Vec<BlockInfo>,
    },
    Error(ErrorReply),
}

/// Where a reveal request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevealState {
    Pending,
    Approved,
    Denied,
}

/// One emergency IP-reveal request. Never holds the IP address itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealRequest {
    pub id: u64,
    pub conversation: ConversationId,
    pub service: ServiceId,
    /// The account name of the counselor who asked.
    pub counselor: String,
    pub reason: String,
    pub requested_at_ms: i64,
    pub state: RevealState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at_ms: Option<i64>,
}

/// One visitor block, as staff see it: no IP address and no hash of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    pub id: u64,
    pub service: ServiceId,
    pub conversation: ConversationId,
    /// The account name of the counselor who blocked.
    pub counselor: String,
    pub reason: String,
    pub created_at_ms: i64,
    pub until_ms: i64,
}
