//! The visitor page ⇄ relay protocol, spoken over `wss://HOST/ws/visitor`.
//!
//! The first frame must be [`VisitorRequest::Hello`]. The relay answers with
//! [`VisitorEvent::Welcome`] and then [`VisitorEvent::Queued`] updates until a counselor
//! takes the visitor ([`VisitorEvent::Assigned`]).

use serde::{Deserialize, Serialize};

use crate::common::{
    ChatMessage, ErrorReply, Intake, Party, ServiceId, SurveyAnswer, SurveyQuestion,
};

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
        /// The visitor refuses a dossier ("geen dossier"). Default `false`.
        #[serde(default)]
        no_dossier: bool,
    },
    /// First frame after a dropped connection or a page reload: carry on with the
    /// conversation of `token` (from `welcome`) within the reconnect window. The relay
    /// answers `resumed` with every message after `last_seq`.
    Resume {
        protocol: u32,
        token: String,
        #[serde(default)]
        last_seq: u64,
    },
    /// A chat message. `client_id` is chosen by the page and echoed in the ack.
    Send { client_id: String, text: String },
    /// The visitor is typing. Carries no text, ever.
    Typing,
    /// The visitor ends the conversation (or leaves the queue).
    End,
    /// The visitor refuses a dossier (`refuse: true`) or withdraws the refusal.
    Dossier { refuse: bool },
    /// Answers to the post-chat survey offered in `ended`. Once per conversation; every
    /// answer is optional.
    Survey { answers: Vec<SurveyAnswer> },
}

impl crate::decode::Decode for VisitorRequest {
    const TYPES: &'static [&'static str] = &[
        "hello", "resume", "send", "typing", "end", "dossier", "survey",
    ];
}

/// Frames the relay sends to the visitor page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    /// Reply to `hello`: the visitor is accepted. Keep `resume_token` secret (the page
    /// keeps it in `sessionStorage`): it alone can resume this conversation.
    Welcome {
        protocol: u32,
        resume_token: String,
    },
    /// Reply to `resume`: the conversation carries on. `position` is set while still
    /// queued; `messages` holds every message (both sides) after the requested `last_seq`.
    Resumed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u32>,
        assigned: bool,
        messages: Vec<ChatMessage>,
    },
    /// The counselor's connection dropped; they have the reconnect window to come back.
    CounselorAway,
    /// The counselor is back.
    CounselorBack,
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
    /// The conversation is over. `by` says who ended it; `by: "relay"` means the service
    /// closed or its last counselor left, and the page offers e-mail instead.
    Ended {
        by: Party,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The optional post-chat survey, offered when a counselor had taken the chat.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        survey: Vec<SurveyQuestion>,
    },
    /// The survey answers are stored.
    SurveySaved,
    Error(ErrorReply),
}
