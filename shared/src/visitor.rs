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
    const TYPES: &'static [&'static str] = &["hello", "send", "typing", "end", "dossier", "survey"];
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
