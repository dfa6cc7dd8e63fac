//! The words of the command table: where a binding applies ([`Scope`]) and for whom
//! ([`Who`]), and the state a key's meaning depends on ([`KeyContext`], [`PopupKind`]).

use crate::model::Focus;

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere without a popup. Plain character keys do not apply while typing.
    Global,
    /// The queue pane or the conversation list.
    Lists,
    Queue,
    Conversations,
    Input,
    HelpPopup,
    ConfirmPopup,
    /// A question before a change for a visitor (end, transfer, block, reveal, dossier,
    /// closing a service): answered yes only by a capital `J` or `Y`.
    ConfirmVisitorPopup,
    /// The list of canned responses, waiting for the second key.
    CannedPopup,
    /// The administrator types why a service closes; or any other typed text (a note,
    /// a handover note, a reason).
    ReasonPopup,
    /// A list to pick from: a colleague, a conversation to register.
    PickPopup,
    /// The wrap-up registration form.
    WrapUpPopup,
    /// The reveal requests (supervisors and administrators).
    RevealsPopup,
    /// The staff accounts (administrators).
    AccountsPopup,
    /// The visitor blocks (administrators).
    BlocksPopup,
    /// A password shown once.
    SecretPopup,
    /// The "Cijfers" screen (supervisors and administrators).
    FiguresPopup,
}

/// Which accounts a binding is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Everyone,
    /// Accounts that may write: counselors.
    Writers,
    /// Administrators only.
    Admins,
    /// Supervisors and administrators: those who watch.
    Watchers,
}

/// The popup that is open, as far as keys are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopupKind {
    Help,
    Confirm,
    /// A question before a change for a visitor: see [`Scope::ConfirmVisitorPopup`].
    ConfirmVisitor,
    /// `searching`: typed letters filter the list instead of picking a response.
    Canned {
        searching: bool,
    },
    Reason,
    /// A list to pick from.
    Pick,
    /// The wrap-up form: typed text goes to its notes.
    WrapUp,
    /// The reveal requests.
    Reveals,
    Accounts,
    Blocks,
    /// A password shown once.
    Secret,
    /// The "Cijfers" screen.
    Figures,
}

impl PopupKind {
    /// Popups whose plain characters are text (a search, a reason, a canned key).
    pub(super) fn takes_text(self) -> bool {
        matches!(
            self,
            PopupKind::Canned { .. } | PopupKind::Reason | PopupKind::WrapUp
        )
    }
}

/// The app state a key's meaning depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyContext {
    pub popup: Option<PopupKind>,
    pub focus: Focus,
    /// The active conversation's input holds no text (then `?` opens help there too).
    pub input_empty: bool,
    pub read_only: bool,
    /// Administrators get the service close/open keys.
    pub admin: bool,
}
