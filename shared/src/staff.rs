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
    /// Messages of one of your conversations (or one you watch) after `after_seq`, e.g.
    /// to fill a gap. With `before_seq`, the page of older scrollback just before it
    /// (at most `limit` messages, newest last), fetched on demand.
    History {
        conversation: ConversationId,
        #[serde(default)]
        after_seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before_seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
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
    /// Counselors: hand one of your conversations over to colleague `to` (a signed-in
    /// counselor with room), with a handover note only staff see. The visitor stays in
    /// the same conversation and is not greeted again.
    Transfer {
        conversation: ConversationId,
        to: String,
        note: String,
    },
    /// Counselors: an internal note on one of your conversations. The visitor never sees
    /// it; colleagues who take over or watch do.
    Note {
        conversation: ConversationId,
        text: String,
    },
    /// Counselors: the registration of one of your ended conversations: topic
    /// categories from the relay's config (`settings.topics`) and free notes.
    WrapUp {
        conversation: ConversationId,
        topics: Vec<String>,
        notes: String,
    },
    /// Supervisors and administrators: follow a live conversation read-only. Answered
    /// with `conversation` (`watching: true`), then its `message`s from both sides.
    Watch { conversation: ConversationId },
    /// Stop following a watched conversation.
    Unwatch { conversation: ConversationId },
    /// Administrators only: the accounts, answered with `accounts`.
    ListAccounts,
    /// Administrators only: a new account. The relay makes a password and answers
    /// `account_secret` once, then `accounts`.
    CreateAccount { user: String, role: Role },
    /// Administrators only: a new password for `user`, answered with `account_secret`.
    /// Signs the account out everywhere.
    ResetPassword { user: String },
    /// Administrators only: disable (or enable again) an account. Disabling signs it out
    /// everywhere at once.
    SetAccountDisabled { user: String, disabled: bool },
    /// Counselors: tag a name said in one of your conversations (a friend, a school, a
    /// town) so that the anonymised export replaces it with `[naam N]`, like the
    /// nickname. Live, or after it ended (during wrap-up), until it is purged. Answered
    /// with `names_tagged`. Not blank, at most 64 characters.
    TagName {
        conversation: ConversationId,
        name: String,
    },
    /// Counselors: the anonymised transcript of one of your conversations, live or ended
    /// (until it is purged), exactly as `chathulp-relay export --anonymise` would write
    /// its messages. Answered with `anonymised_preview`.
    AnonymisedPreview { conversation: ConversationId },
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
        "transfer",
        "note",
        "wrap_up",
        "watch",
        "unwatch",
        "list_accounts",
        "create_account",
        "reset_password",
        "set_account_disabled",
        "tag_name",
        "anonymised_preview",
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
    /// Earlier conversations from the same network address within the retention period,
    /// counted by the keyed IP hash (never the address itself). 0: a first contact.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub earlier_contacts: u32,
    /// The start of the first message the visitor wrote while waiting (at most
    /// [`FIRST_WORDS_CHARS`] characters, the rest cut), so counselors can triage. The
    /// visitor's own text: sanitise it before showing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_words: Option<String>,
}

/// How much of a waiting visitor's first message the queue shows.
pub const FIRST_WORDS_CHARS: usize = 120;

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    /// Topic categories for the wrap-up registration.
    #[serde(default)]
    pub topics: Vec<String>,
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
        /// Internal notes, oldest first. Never sent to the visitor.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<InternalNote>,
        /// Set when a colleague handed this conversation over to you.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handover: Option<Handover>,
        /// A supervisor's or administrator's read-only view (after `watch`); `counselor`
        /// names who is chatting.
        #[serde(default)]
        watching: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counselor: Option<String>,
        /// True when `messages` starts after the conversation's first message: older
        /// scrollback is fetched with `history` and `before_seq`.
        #[serde(default)]
        truncated: bool,
        /// Names tagged with `tag_name` in this conversation, oldest first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tagged_names: Vec<String>,
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
    /// A note was added to a conversation of yours (or one you watch).
    NoteAdded {
        conversation: ConversationId,
        note: InternalNote,
    },
    /// Your conversation went to colleague `to` (reply to `transfer`); drop it.
    Transferred {
        conversation: ConversationId,
        to: String,
    },
    /// Your ended conversations still waiting for a wrap-up registration. Sent after
    /// login and whenever the list changes, so that no registration is lost.
    ToRegister {
        conversations: Vec<PendingWrapUp>,
    },
    /// Signed-in counselors with their load: the transfer targets for counselors, and a
    /// part of the dashboard. Sent after login and whenever it changes.
    Staff {
        counselors: Vec<CounselorLoad>,
    },
    /// To supervisors and administrators: the per-service dashboard. Sent after login
    /// and whenever it changes.
    Dashboard {
        services: Vec<ServiceDashboard>,
    },
    /// Reply to `list_accounts` and to every account change.
    Accounts {
        accounts: Vec<AccountInfo>,
    },
    /// A password the relay made for `user` (after `create_account` or
    /// `reset_password`). Shown once, never stored in clear.
    AccountSecret {
        user: String,
        password: String,
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
    /// Reply to `tag_name`: every name tagged in `conversation` so far, oldest first.
    NamesTagged {
        conversation: ConversationId,
        names: Vec<String>,
    },
    /// Reply to `anonymised_preview`: every message of `conversation`, oldest first, with
    /// its text anonymised (`[naam 1]`, `[e-mail]`, …). Carries no nickname and no intake.
    AnonymisedPreview {
        conversation: ConversationId,
        messages: Vec<PreviewMessage>,
    },
    Error(ErrorReply),
}

/// One message of an anonymised preview: who sent it, when, and its anonymised text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewMessage {
    pub from: Party,
    /// Unix milliseconds.
    pub at_ms: i64,
    pub text: String,
}

/// An internal note on a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalNote {
    pub author: String,
    pub text: String,
    pub at_ms: i64,
}

/// How a conversation came to you from a colleague.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub from: String,
    pub note: String,
    pub at_ms: i64,
}

/// An ended conversation whose wrap-up registration is not done yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingWrapUp {
    pub conversation: ConversationId,
    pub service: ServiceId,
    pub nickname: String,
    pub ended_at_ms: i64,
}

/// A signed-in counselor and how many conversations they hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounselorLoad {
    pub user: String,
    pub load: u32,
    pub capacity: u32,
}

/// One live conversation on the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveConversation {
    pub conversation: ConversationId,
    pub counselor: String,
    pub nickname: String,
    pub started_at_ms: i64,
}

/// One service on the supervisors' dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDashboard {
    pub service: ServiceId,
    pub name: String,
    pub status: ServiceStatus,
    pub waiting: u32,
    /// When the longest-waiting visitor joined the queue (Unix ms), if anyone waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_waiting_since_ms: Option<i64>,
    pub in_progress: Vec<LiveConversation>,
    /// Conversations taken today (Europe/Brussels), and their mean wait in the queue.
    pub today_conversations: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today_mean_wait_ms: Option<i64>,
    /// The figures over time for the "Cijfers" screen. Missing from an older relay.
    #[serde(default)]
    pub trends: ServiceTrends,
}

/// One service's figures over time, for supervisors and administrators: counts only,
/// never a nickname, an address or a conversation id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceTrends {
    /// How many visitors waited at each sample, oldest first: one every
    /// `sample_every_ms`, the newest at `last_sample_at_ms`. Kept in the relay's memory
    /// only, so it starts again empty after a restart.
    pub waiting_samples: Vec<u32>,
    pub sample_every_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sample_at_ms: Option<i64>,
    /// Conversations taken today per hour of the day, local time: 24 entries, the first
    /// for 00:00–01:00.
    pub today_per_hour: Vec<u32>,
    /// Conversations taken this week (since Monday 00:00) per hour of the day, summed
    /// over the days: 24 entries.
    pub week_per_hour: Vec<u32>,
    /// Conversations taken this week, and their mean wait in the queue.
    pub week_conversations: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_mean_wait_ms: Option<i64>,
}

/// One staff account, as administrators see it. Never holds a password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub user: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at_ms: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashboard_from_an_older_relay_has_empty_trends() {
        let old = r#"{"type":"dashboard","services":[{"service":"caw","name":"CAW online",
            "status":"online","waiting":0,"in_progress":[],"today_conversations":7}]}"#;
        let Ok(StaffEvent::Dashboard { services }) = serde_json::from_str::<StaffEvent>(old) else {
            panic!("an older dashboard must still decode");
        };
        assert_eq!(services[0].trends, ServiceTrends::default());
    }

    #[test]
    fn trends_go_out_as_counts_and_come_back_the_same() {
        let trends = ServiceTrends {
            waiting_samples: vec![0, 2, 3],
            sample_every_ms: 300_000,
            last_sample_at_ms: Some(1_795_820_400_000),
            today_per_hour: vec![1; 24],
            week_per_hour: vec![4; 24],
            week_conversations: 96,
            week_mean_wait_ms: Some(95_000),
        };
        let json = serde_json::to_string(&trends).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<ServiceTrends>(&json).ok(),
            Some(trends)
        );
    }
}
