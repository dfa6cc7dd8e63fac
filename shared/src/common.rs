//! Types used by both the visitor and the staff protocol.

use serde::{Deserialize, Serialize};

/// Limits the relay enforces. The relay's config may lower or raise the text limit; these
/// are the defaults documented in `docs/protocol.md`.
pub mod limits {
    /// Longest chat message text, in bytes of UTF-8.
    pub const MAX_TEXT_BYTES: usize = 4096;
    /// Largest WebSocket message the relay reads. A larger one closes the socket with 1009.
    pub const MAX_FRAME_BYTES: usize = 16 * 1024;
    /// Longest nickname, in characters.
    pub const MAX_NICKNAME_CHARS: usize = 32;
    /// Longest client-chosen message id, in bytes.
    pub const MAX_CLIENT_ID_BYTES: usize = 64;
    /// Longest free-text survey answer, in bytes.
    pub const MAX_SURVEY_TEXT_BYTES: usize = 2000;
}

/// WebSocket close codes the relay uses (RFC 6455 §7.4).
pub mod close {
    /// The staff member signed out with `logout`.
    pub const NORMAL: u16 = 1000;
    /// The relay is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame was larger than [`super::limits::MAX_FRAME_BYTES`].
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Policy violation: staff login missing, wrong or too late.
    pub const POLICY: u16 = 1008;
    /// Try again later: too many connections from the same network (see
    /// `docs/protocol.md`, "Limits").
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Identifies one conversation, from queueing to purge. Random, opaque, safe to show staff.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub String);

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A service the relay hosts, such as `caw` or `jac`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceId(pub String);

impl std::fmt::Display for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a visitor chose to tell before the chat. Every field is optional: `null` or
/// absent means "skipped", which differs from an explicit "zeg ik liever niet".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// The Flemish provinces plus Brussels, elsewhere, and "rather not say".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Antwerpen,
    Limburg,
    OostVlaanderen,
    VlaamsBrabant,
    WestVlaanderen,
    Brussel,
    Elders,
    Undisclosed,
}

impl Region {
    /// The Dutch label staff see.
    pub fn label(self) -> &'static str {
        match self {
            Region::Antwerpen => "Antwerpen",
            Region::Limburg => "Limburg",
            Region::OostVlaanderen => "Oost-Vlaanderen",
            Region::VlaamsBrabant => "Vlaams-Brabant",
            Region::WestVlaanderen => "West-Vlaanderen",
            Region::Brussel => "Brussel",
            Region::Elders => "elders",
            Region::Undisclosed => "zeg ik liever niet",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    X,
    Undisclosed,
}

impl Gender {
    /// The Dutch label staff see.
    pub fn label(self) -> &'static str {
        match self {
            Gender::Female => "vrouw",
            Gender::Male => "man",
            Gender::X => "x",
            Gender::Undisclosed => "zeg ik liever niet",
        }
    }
}

impl Intake {
    /// A one-line summary for staff, e.g. `17 j · Limburg · x`; `-` for skipped fields.
    pub fn summary(&self) -> String {
        let age = self
            .age
            .map_or_else(|| "-".to_owned(), |a| format!("{a} j"));
        let region = self.region.map_or("-", Region::label);
        let gender = self.gender.map_or("-", Gender::label);
        format!("{age} · {region} · {gender}")
    }
}

/// One question of the post-chat survey (configured on the relay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyQuestion {
    /// Stable id, used in answers.
    pub id: String,
    /// The question as the visitor reads it (Dutch by default).
    pub text: String,
    pub kind: SurveyKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// An answer "1" to "5".
    Scale,
    /// An answer "yes" or "no".
    YesNo,
    /// Free text, at most [`limits::MAX_SURVEY_TEXT_BYTES`].
    Text,
}

/// A visitor's answer to one survey question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAnswer {
    pub question: String,
    pub answer: String,
}

/// Who wrote a message or ended a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Visitor,
    Counselor,
    /// The relay itself, e.g. when it ends a conversation at shutdown of a service.
    Relay,
}

/// One stored chat message, as delivered to a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Per-conversation sequence number, assigned by the relay when it stored the message.
    pub seq: u64,
    pub from: Party,
    pub text: String,
    /// When the relay stored it, in Unix milliseconds.
    pub at_ms: i64,
}

/// Staff roles. A role decides what a signed-in account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Counselor,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counselor => "counselor",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "counselor" => Ok(Role::Counselor),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}: use counselor, supervisor or admin"
            )),
        }
    }
}

/// A service's state as the visitor sees it (see DESIGN.md, "Services and status").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Online,
    Busy,
    Offline,
}

/// Every error the relay can reply with. The wire form is the snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, not an object, a binary frame, or a known type with missing/invalid fields.
    BadFrame,
    /// A JSON object whose `type` this endpoint does not know.
    UnknownType,
    /// The first frame named a protocol version the relay does not speak.
    UnsupportedVersion,
    /// The message text is longer than the limit.
    TooLarge,
    /// A field has a value the relay refuses (empty text, bad nickname, ...).
    Invalid,
    /// The first frame must be `hello` (visitor) or `login`/`session` (staff).
    HelloRequired,
    /// Wrong user name or password, or an unknown/expired session token.
    LoginFailed,
    /// The account's role may not do this.
    Forbidden,
    /// No such conversation, service or queue entry, or it is not yours.
    NotFound,
    /// The counselor already has as many conversations as their capacity allows.
    AtCapacity,
    /// `take` without a conversation id, and nobody is waiting.
    QueueEmpty,
    /// The service is outside its hours, closed, or has no counselor signed in.
    ServiceOffline,
    /// Every counselor is at capacity and the queue is full.
    ServiceBusy,
    /// The conversation has ended; nothing more can be sent in it.
    ConversationEnded,
    /// The visitor refused a dossier, so the conversation can't be a dossier candidate.
    DossierRefused,
    /// The survey was already answered, or was not offered for this conversation.
    SurveyClosed,
    /// `resume` with an unknown token, or for a conversation that has ended or whose
    /// reconnect window has passed. Start again with `hello`.
    ResumeFailed,
    /// The relay could not store the message; it was not delivered. Safe to resend.
    Internal,
    /// `hello` from a visitor a counselor blocked: access is suspended until the block
    /// expires (8 hours by default). The page points to other help.
    Blocked,
    /// Too many messages, new chats or connections in a short time; nothing was stored.
    /// Wait a moment and send again.
    RateLimited,
}

/// A typed error reply. `client_id` echoes the id of the message it refers to, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl ErrorReply {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            client_id: None,
        }
    }

    pub fn for_client_id(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_owned());
        self
    }
}

/// Checks that a text a client wrote (a message, a note, a reason) is at most
/// `max_bytes` of UTF-8: the one rule of the text-size limit. `what` names it in the error.
///
/// A NUL character is refused too: JSON can carry it (`"\u0000"`), but it is no text
/// anyone typed, and PostgreSQL can't store it.
pub fn check_size(what: &str, text: &str, max_bytes: usize) -> Result<(), ErrorReply> {
    if text.contains('\0') {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            format!("{what} holds a NUL character"),
        ));
    }
    if text.len() > max_bytes {
        return Err(ErrorReply::new(
            ErrorCode::TooLarge,
            format!(
                "{what} is {} bytes; the limit is {max_bytes} bytes",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a chat text against the limits: not blank, not over `max_bytes`.
pub fn check_text(text: &str, max_bytes: usize) -> Result<(), ErrorReply> {
    check_size("message", text, max_bytes)?;
    if text.trim().is_empty() {
        return Err(ErrorReply::new(ErrorCode::Invalid, "message is empty"));
    }
    Ok(())
}

/// Checks a client-chosen message id: 1 to 64 bytes, no NUL.
pub fn check_client_id(client_id: &str) -> Result<(), ErrorReply> {
    if client_id.is_empty()
        || client_id.len() > limits::MAX_CLIENT_ID_BYTES
        || client_id.contains('\0')
    {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            format!(
                "client_id must be 1 to {} bytes, without NUL",
                limits::MAX_CLIENT_ID_BYTES
            ),
        ));
    }
    Ok(())
}

/// Normalises and checks a nickname: trimmed, 1 to 32 characters, no control characters
/// and no bidi or line-separator marks.
///
/// Such a nickname is refused (`invalid`) rather than silently stripped: the visitor
/// sees at once why, and staff never see a name that differs from the one typed. Bidi
/// embeddings, overrides and isolates could reorder what a counselor reads around the
/// nickname (e.g. make "Sam" look like a staff note), and U+2028/U+2029 break lines in
/// some terminals. The zero-width joiner stays allowed: emoji sequences need it.
pub fn clean_nickname(raw: &str) -> Result<String, ErrorReply> {
    let nick = raw.trim();
    let chars = nick.chars().count();
    if chars == 0 || chars > limits::MAX_NICKNAME_CHARS {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            format!(
                "nickname must be 1 to {} characters",
                limits::MAX_NICKNAME_CHARS
            ),
        ));
    }
    if nick.chars().any(char::is_control) {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            "nickname may not contain control characters",
        ));
    }
    if nick.chars().any(is_bidi_or_separator) {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            "nickname may not contain bidi or line-separator characters",
        ));
    }
    Ok(nick.to_owned())
}

/// Bidi marks, embeddings, overrides and isolates, and the Unicode line and paragraph
/// separators: invisible characters that change how the text around them is shown.
pub fn is_bidi_or_separator(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_over_limit_is_too_large_and_blank_is_invalid() {
        assert_eq!(
            check_text(&"a".repeat(4097), 4096).map_err(|e| e.code),
            Err(ErrorCode::TooLarge)
        );
        assert_eq!(check_text(&"a".repeat(4096), 4096), Ok(()));
        assert_eq!(
            check_text("  \n", 4096).map_err(|e| e.code),
            Err(ErrorCode::Invalid)
        );
    }

    #[test]
    fn nickname_is_trimmed_and_control_characters_are_refused() {
        assert_eq!(clean_nickname("  Sam ").as_deref(), Ok("Sam"));
        assert!(clean_nickname("a\u{1b}[2J").is_err());
        assert!(clean_nickname("").is_err());
        assert!(clean_nickname(&"x".repeat(33)).is_err());
    }

    #[test]
    fn nickname_with_bidi_or_separator_marks_is_refused_but_emoji_joiners_pass() {
        for bad in [
            "Sam\u{202e}",
            "\u{2066}Sam",
            "S\u{200f}am",
            "Sam\u{2028}x",
            "\u{61c}a",
            "a\u{202a}",
        ] {
            assert_eq!(
                clean_nickname(bad).map_err(|e| e.code),
                Err(ErrorCode::Invalid),
                "{bad:?}"
            );
        }
        assert!(clean_nickname("\u{9b}2J").is_err());
        assert_eq!(clean_nickname("👨‍👩‍👧 Sam").as_deref(), Ok("👨‍👩‍👧 Sam"));
    }

    #[test]
    fn intake_summary_marks_skipped_fields() {
        let intake = Intake {
            age: Some(17),
            region: Some(Region::OostVlaanderen),
            gender: None,
        };
        assert_eq!(intake.summary(), "17 j · Oost-Vlaanderen · -");
    }
}
