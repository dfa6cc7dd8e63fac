//! The app's state as plain data: what [`crate::app::App`] holds, what the keymap needs
//! to know (the focused pane) and what the popups are. No behaviour lives here beyond
//! small queries and the scrollback bookkeeping of [`Conversation`]; it imports nothing
//! else of this crate, so every other module may use it.

use chathulp_shared::staff::PreviewMessage;
use chathulp_shared::{ConversationId, Role, ServiceId};

mod conversation;
pub use conversation::{
    Conversation, Delivery, Ending, Entry, HISTORY_PAGE, LIVE_WINDOW, Linked, Older, RevealView,
    TYPING_SHOWN_MS,
};

/// Where a conversation stands against the 1-hour guidance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guidance {
    Normal,
    /// Past `guidance_warn_mins`: round off soon.
    Warn,
    /// Past `guidance_limit_mins`.
    Over,
}

/// Which pane keys go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Queue,
    Conversations,
    Input,
}

/// The state of the link to the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Connected,
    /// Lost; the worker is trying again.
    Reconnecting {
        reason: String,
    },
    /// Lost for good.
    Offline {
        reason: String,
    },
}

/// The signed-in account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub role: Role,
    pub capacity: u32,
}

/// A row of the queue pane: a service header or a waiting visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueRow {
    Service(ServiceId),
    Visitor(ServiceId, ConversationId),
    /// On the supervisors' dashboard: a conversation in progress, to watch.
    Live(ServiceId, ConversationId),
}

impl QueueRow {
    pub fn service(&self) -> &ServiceId {
        match self {
            QueueRow::Service(s) | QueueRow::Visitor(s, _) | QueueRow::Live(s, _) => s,
        }
    }
}

/// A message box over the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help,
    ConfirmEnd(ConversationId),
    ConfirmQuit,
    /// The canned responses, waiting for a key. `search` is `Some` once the counselor
    /// searches; `selected` indexes `App::canned_matches`.
    Canned {
        search: Option<String>,
        selected: usize,
    },
    /// An administrator types why `service` closes.
    CloseReason {
        service: ServiceId,
        reason: String,
    },
    /// The last question before `close_service` goes out.
    ConfirmClose {
        service: ServiceId,
        reason: String,
    },
    /// A text to type for a conversation tool: a note, a handover note, a reason.
    Compose {
        purpose: Compose,
        text: String,
    },
    /// The last question before the dossier mark of `conversation` becomes `candidate`.
    ConfirmDossier {
        conversation: ConversationId,
        candidate: bool,
    },
    /// The last question before a destructive `purpose` (reveal, block, transfer) goes
    /// out.
    ConfirmCompose {
        purpose: Compose,
        text: String,
    },
    /// Pick the colleague to hand `conversation` over to; `selected` indexes
    /// `App::transfer_targets`.
    PickColleague {
        conversation: ConversationId,
        selected: usize,
    },
    /// The wrap-up registration of an ended conversation.
    WrapUp(WrapUpForm),
    /// The ended conversations still to register; `selected` indexes
    /// `App::to_register`.
    ToRegister {
        selected: usize,
    },
    /// Supervisors and administrators: the reveal requests; `selected` indexes
    /// `App::reveals`.
    Reveals {
        selected: usize,
    },
    /// Administrators: the staff accounts; `selected` indexes `App::accounts`.
    Accounts {
        selected: usize,
    },
    /// Administrators: the role of new account `user`; `selected` indexes [`ROLES`].
    PickRole {
        user: String,
        selected: usize,
    },
    /// The last question before an account change goes out.
    ConfirmAccount(AccountChange),
    /// A password the relay made, shown this once.
    AccountSecret {
        user: String,
        password: String,
    },
    /// Administrators: the visitor blocks; `selected` indexes `App::blocks`.
    Blocks {
        selected: usize,
    },
    /// Supervisors and administrators: the "Cijfers" screen; `first` indexes
    /// `App::dashboard`, the first service shown.
    Figures {
        first: usize,
    },
    /// The anonymised transcript of `conversation`, as the team would get it: `None`
    /// until the relay answers. `scroll` is the first line shown.
    Preview {
        conversation: ConversationId,
        messages: Option<Vec<PreviewMessage>>,
        scroll: usize,
    },
}

/// What the counselor types between asking to take a visitor and the conversation
/// opening: the focus is in the input at once, so that a greeting typed straight after
/// `t` is never read as list shortcuts. It goes into the new conversation when the relay
/// opens it.
#[derive(Clone, Debug, Default)]
pub struct TakeAhead {
    /// The text being typed.
    pub draft: ratatui_textarea::TextArea<'static>,
    /// Texts already finished with Enter, oldest first: sent once the conversation opens.
    pub sent: Vec<String>,
}

/// A line in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    /// It disappears at this time.
    pub until_ms: i64,
    /// It says nobody waits ("niemand in de wachtrij"): it disappears as soon as a queue
    /// snapshot shows somebody waiting, because then it no longer holds.
    pub until_someone_waits: bool,
}

/// Where message ids come from: random in the app, counting in tests.
#[derive(Clone, Debug)]
pub enum ClientIds {
    Random,
    Sequential(u64),
}

impl ClientIds {
    pub(crate) fn next(&mut self) -> Option<String> {
        match self {
            ClientIds::Random => {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes).ok()?;
                Some(hex::encode(bytes))
            }
            ClientIds::Sequential(n) => {
                *n += 1;
                Some(format!("{n:032x}"))
            }
        }
    }
}

/// What a [`Popup::Compose`] text is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compose {
    /// An internal note on this conversation.
    Note(ConversationId),
    /// The handover note for a transfer to colleague `to`.
    Transfer {
        conversation: ConversationId,
        to: String,
    },
    /// Why the visitor's IP address must be disclosed (confirmed before it goes).
    Reveal(ConversationId),
    /// Why the visitor is blocked (confirmed before it goes).
    Block(ConversationId),
    /// An administrator's reason to approve or deny reveal request `request`.
    Decide { request: u64, approve: bool },
    /// The name of a new staff account (its role is picked next).
    AccountName,
    /// Why block `0` is lifted (confirmed before it goes).
    LiftBlock(u64),
    /// A name said in this conversation, for the anonymised export to leave out.
    TagName(ConversationId),
}

impl Compose {
    /// Whether a second "yes" is asked before the request goes out: for everything that
    /// changes something for a visitor, and for lifting a block.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Compose::Reveal(_)
                | Compose::Block(_)
                | Compose::Transfer { .. }
                | Compose::LiftBlock(_)
        )
    }

    /// The conversation it is about, if any.
    pub fn conversation(&self) -> Option<&ConversationId> {
        match self {
            Compose::Note(c)
            | Compose::Transfer {
                conversation: c, ..
            }
            | Compose::Reveal(c)
            | Compose::Block(c)
            | Compose::TagName(c) => Some(c),
            Compose::Decide { .. } | Compose::AccountName | Compose::LiftBlock(_) => None,
        }
    }
}

/// The wrap-up registration of one ended conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrapUpForm {
    pub conversation: ConversationId,
    pub nickname: String,
    /// One flag per topic of `settings.topics`, in that order.
    pub chosen: Vec<bool>,
    /// The highlighted topic.
    pub selected: usize,
    /// Free notes (one line).
    pub notes: String,
}

/// The roles a new account can get, in the order the pick list shows them.
pub const ROLES: [Role; 3] = [Role::Counselor, Role::Supervisor, Role::Admin];

/// An account change that waits for the administrator's "yes".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountChange {
    ResetPassword { user: String },
    SetDisabled { user: String, disabled: bool },
}

impl AccountChange {
    pub fn user(&self) -> &str {
        match self {
            AccountChange::ResetPassword { user } | AccountChange::SetDisabled { user, .. } => user,
        }
    }
}
