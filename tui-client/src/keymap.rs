//! Key bindings as data.
//!
//! [`KeyConfig`] has one field per command with its keys. [`KeyConfig::bindings`] turns it
//! into the one list that [`action_for`] dispatches from and that the footer and the help
//! popup are drawn from, so they can never disagree. Each row says where it applies
//! ([`Scope`]s) and for whom ([`Who`]): a key an account may not use is neither
//! dispatched nor shown to it.
//!
//! The user's `keys.toml` replaces the keys of the commands it names on top of
//! [`KeyConfig::default`] (see [`crate::keyfile`]); the footer and the help follow.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::Action;
use crate::app::Focus;
use crate::strings;

/// One key with its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPress {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyPress {
    pub const fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        Self { code, modifiers }
    }

    pub const fn key(code: KeyCode) -> Self {
        Self::new(code, KeyModifiers::NONE)
    }

    pub const fn char(c: char) -> Self {
        Self::key(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Self {
        Self::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    pub const fn alt(c: char) -> Self {
        Self::new(KeyCode::Char(c), KeyModifiers::ALT)
    }

    /// Whether a terminal key event is this key. Shift is ignored for characters (it is
    /// already in the character: `?` is Shift-/) and for Shift-Tab.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let (code, modifiers) = normalize(event.code, event.modifiers);
        let (own_code, own_modifiers) = normalize(self.code, self.modifiers);
        code == own_code && modifiers == own_modifiers
    }

    /// A character typed without Ctrl or Alt: in the input, that is text.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// How the key is written in the footer and the help popup.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) && !matches!(self.code, KeyCode::Char(_)) {
            out.push_str("Shift-");
        }
        match self.code {
            KeyCode::Char(c) => out.push(c),
            KeyCode::Enter => out.push_str("Enter"),
            KeyCode::Tab => out.push_str("Tab"),
            KeyCode::BackTab => out.push_str("Shift-Tab"),
            KeyCode::Esc => out.push_str("Esc"),
            KeyCode::Up => out.push('↑'),
            KeyCode::Down => out.push('↓'),
            KeyCode::Left => out.push('←'),
            KeyCode::Right => out.push('→'),
            KeyCode::PageUp => out.push_str("PgUp"),
            KeyCode::PageDown => out.push_str("PgDn"),
            KeyCode::Home => out.push_str("Home"),
            KeyCode::End => out.push_str("End"),
            KeyCode::F(n) => out.push_str(&format!("F{n}")),
            other => out.push_str(&format!("{other:?}")),
        }
        out
    }
}

fn normalize(code: KeyCode, modifiers: KeyModifiers) -> (KeyCode, KeyModifiers) {
    let modifiers = modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    match code {
        KeyCode::Char(c) => (KeyCode::Char(c), modifiers - KeyModifiers::SHIFT),
        KeyCode::BackTab => (KeyCode::BackTab, modifiers - KeyModifiers::SHIFT),
        other => (other, modifiers),
    }
}

/// Everything a key can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    FocusNext,
    FocusPrev,
    MoveDown,
    MoveUp,
    TakeSelected,
    TakeNext,
    OpenConversation,
    Send,
    Newline,
    LeaveInput,
    NextConversation,
    PrevConversation,
    JumpConversation,
    EndConversation,
    ScrollUp,
    ScrollDown,
    Help,
    Quit,
    ClosePopup,
    Confirm,
    Cancel,
    InsertCanned,
    SearchCanned,
    Accept,
    ToggleDossier,
    CloseService,
    OpenService,
    Hotlist,
    AddNote,
    Transfer,
    CopyId,
    RequestReveal,
    BlockVisitor,
    TagName,
    ShowToRegister,
    ToggleTopic,
    ShowReveals,
    ApproveReveal,
    DenyReveal,
    Watch,
    Unwatch,
    ShowAccounts,
    NewAccount,
    ResetPassword,
    ToggleDisabled,
    ShowBlocks,
    LiftBlock,
}

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

/// One row of the list: a command, its keys, where it applies and how it is described.
#[derive(Clone, Debug)]
pub struct Binding<'a> {
    pub command: Command,
    pub keys: &'a [KeyPress],
    /// Where it applies; one row can serve several places (↑/↓ in lists and popups).
    pub scopes: &'static [Scope],
    /// The help popup's description.
    pub help: &'static str,
    /// The footer's short label; `None` keeps it out of the footer.
    pub footer: Option<&'static str>,
    pub who: Who,
}

impl Binding<'_> {
    fn is_for(&self, read_only: bool, admin: bool) -> bool {
        match self.who {
            Who::Everyone => true,
            Who::Writers => !read_only,
            Who::Admins => admin,
            Who::Watchers => read_only,
        }
    }
}

/// The popup that is open, as far as keys are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopupKind {
    Help,
    Confirm,
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
}

impl PopupKind {
    /// Popups whose plain characters are text (a search, a reason, a canned key).
    fn takes_text(self) -> bool {
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

/// The keys of every command. One field per command; see the module docs for overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyConfig {
    pub focus_next: Vec<KeyPress>,
    pub focus_prev: Vec<KeyPress>,
    pub move_down: Vec<KeyPress>,
    pub move_up: Vec<KeyPress>,
    pub take_selected: Vec<KeyPress>,
    pub take_next: Vec<KeyPress>,
    pub open_conversation: Vec<KeyPress>,
    pub send: Vec<KeyPress>,
    pub newline: Vec<KeyPress>,
    pub leave_input: Vec<KeyPress>,
    pub next_conversation: Vec<KeyPress>,
    pub prev_conversation: Vec<KeyPress>,
    /// Modifier + digit 1..9: jump to conversation N.
    pub jump_conversation: Vec<KeyPress>,
    pub end_conversation: Vec<KeyPress>,
    pub scroll_up: Vec<KeyPress>,
    pub scroll_down: Vec<KeyPress>,
    pub help: Vec<KeyPress>,
    pub quit: Vec<KeyPress>,
    pub close_popup: Vec<KeyPress>,
    pub confirm: Vec<KeyPress>,
    pub cancel: Vec<KeyPress>,
    /// Opens the canned responses; the next key picks one.
    pub insert_canned: Vec<KeyPress>,
    /// In the canned list: filter by typing instead of picking by key. It wins over a
    /// canned response with the same key; that one stays reachable with ↓ and Enter.
    pub search_canned: Vec<KeyPress>,
    /// In a popup with input: pick the highlighted response, or go on with the reason.
    pub accept: Vec<KeyPress>,
    pub toggle_dossier: Vec<KeyPress>,
    pub close_service: Vec<KeyPress>,
    pub open_service: Vec<KeyPress>,
    pub hotlist: Vec<KeyPress>,
    pub add_note: Vec<KeyPress>,
    pub transfer: Vec<KeyPress>,
    pub copy_id: Vec<KeyPress>,
    pub request_reveal: Vec<KeyPress>,
    pub block_visitor: Vec<KeyPress>,
    /// Tag a name said in the conversation, for the anonymised export.
    pub tag_name: Vec<KeyPress>,
    pub show_to_register: Vec<KeyPress>,
    pub toggle_topic: Vec<KeyPress>,
    pub show_reveals: Vec<KeyPress>,
    pub approve_reveal: Vec<KeyPress>,
    pub deny_reveal: Vec<KeyPress>,
    pub watch: Vec<KeyPress>,
    pub unwatch: Vec<KeyPress>,
    pub show_accounts: Vec<KeyPress>,
    pub new_account: Vec<KeyPress>,
    pub reset_password: Vec<KeyPress>,
    pub toggle_disabled: Vec<KeyPress>,
    pub show_blocks: Vec<KeyPress>,
    pub lift_block: Vec<KeyPress>,
}

impl Default for KeyConfig {
    fn default() -> Self {
        use KeyCode::*;
        Self {
            focus_next: vec![KeyPress::key(Tab)],
            focus_prev: vec![KeyPress::key(BackTab)],
            move_down: vec![KeyPress::char('j'), KeyPress::key(Down)],
            move_up: vec![KeyPress::char('k'), KeyPress::key(Up)],
            take_selected: vec![KeyPress::key(Enter)],
            take_next: vec![KeyPress::char('t')],
            open_conversation: vec![KeyPress::key(Enter)],
            send: vec![KeyPress::key(Enter)],
            newline: vec![
                KeyPress::new(Enter, KeyModifiers::ALT),
                KeyPress::new(Enter, KeyModifiers::SHIFT),
            ],
            leave_input: vec![KeyPress::key(Esc)],
            next_conversation: vec![KeyPress::ctrl('n')],
            prev_conversation: vec![KeyPress::ctrl('p')],
            jump_conversation: ('1'..='9').map(KeyPress::alt).collect(),
            end_conversation: vec![KeyPress::char('e'), KeyPress::ctrl('e')],
            scroll_up: vec![KeyPress::key(PageUp)],
            scroll_down: vec![KeyPress::key(PageDown)],
            help: vec![KeyPress::char('?')],
            quit: vec![KeyPress::char('q'), KeyPress::ctrl('c')],
            close_popup: vec![KeyPress::key(Esc), KeyPress::char('?'), KeyPress::char('q')],
            confirm: vec![KeyPress::char('y'), KeyPress::char('j')],
            cancel: vec![KeyPress::char('n'), KeyPress::key(Esc)],
            insert_canned: vec![KeyPress::ctrl('t')],
            search_canned: vec![KeyPress::char('/')],
            accept: vec![KeyPress::key(Enter)],
            toggle_dossier: vec![KeyPress::char('d'), KeyPress::ctrl('d')],
            close_service: vec![KeyPress::char('s')],
            open_service: vec![KeyPress::char('o')],
            hotlist: vec![KeyPress::alt('a'), KeyPress::char('a')],
            add_note: vec![KeyPress::char('n'), KeyPress::ctrl('o')],
            transfer: vec![KeyPress::char('g')],
            copy_id: vec![KeyPress::char('c')],
            request_reveal: vec![KeyPress::char('R')],
            block_visitor: vec![KeyPress::char('B')],
            tag_name: vec![KeyPress::char('m')],
            show_to_register: vec![KeyPress::char('w')],
            toggle_topic: vec![KeyPress::key(Tab)],
            show_reveals: vec![KeyPress::char('v')],
            approve_reveal: vec![KeyPress::char('a')],
            deny_reveal: vec![KeyPress::char('x')],
            watch: vec![KeyPress::key(Enter)],
            unwatch: vec![KeyPress::char('u')],
            show_accounts: vec![KeyPress::char('A')],
            new_account: vec![KeyPress::char('n')],
            reset_password: vec![KeyPress::char('r')],
            toggle_disabled: vec![KeyPress::char('d')],
            show_blocks: vec![KeyPress::char('b')],
            lift_block: vec![KeyPress::char('l')],
        }
    }
}

impl KeyConfig {
    /// The one list of bindings, in the order the help popup shows them and the footer
    /// prefers them.
    pub fn bindings(&self) -> Vec<Binding<'_>> {
        use Command as C;
        use Scope as S;
        use Who::{Admins, Everyone, Watchers, Writers};
        use strings::keys as h;
        let b = binding;
        vec![
            b(
                C::TakeSelected,
                &self.take_selected,
                &[S::Queue],
                h::TAKE_SELECTED,
                Some(h::TAKE_SELECTED_SHORT),
                Writers,
            ),
            b(
                C::TakeNext,
                &self.take_next,
                &[S::Queue],
                h::TAKE_NEXT,
                Some(h::TAKE_NEXT_SHORT),
                Writers,
            ),
            b(
                C::CloseService,
                &self.close_service,
                &[S::Queue],
                h::CLOSE_SERVICE,
                Some(h::CLOSE_SERVICE_SHORT),
                Admins,
            ),
            b(
                C::OpenService,
                &self.open_service,
                &[S::Queue],
                h::OPEN_SERVICE,
                Some(h::OPEN_SERVICE_SHORT),
                Admins,
            ),
            b(
                C::OpenConversation,
                &self.open_conversation,
                &[S::Conversations],
                h::OPEN,
                Some(h::OPEN_SHORT),
                Everyone,
            ),
            b(
                C::Send,
                &self.send,
                &[S::Input],
                h::SEND,
                Some(h::SEND_SHORT),
                Writers,
            ),
            b(
                C::Newline,
                &self.newline,
                &[S::Input],
                h::NEWLINE,
                Some(h::NEWLINE_SHORT),
                Writers,
            ),
            b(
                C::InsertCanned,
                &self.insert_canned,
                &[S::Input],
                h::CANNED,
                Some(h::CANNED_SHORT),
                Writers,
            ),
            b(
                C::MoveDown,
                &self.move_down,
                &[
                    S::Lists,
                    S::HelpPopup,
                    S::CannedPopup,
                    S::PickPopup,
                    S::WrapUpPopup,
                    S::RevealsPopup,
                    S::AccountsPopup,
                    S::BlocksPopup,
                ],
                h::MOVE_DOWN,
                None,
                Everyone,
            ),
            b(
                C::MoveUp,
                &self.move_up,
                &[
                    S::Lists,
                    S::HelpPopup,
                    S::CannedPopup,
                    S::PickPopup,
                    S::WrapUpPopup,
                    S::RevealsPopup,
                    S::AccountsPopup,
                    S::BlocksPopup,
                ],
                h::MOVE_UP,
                None,
                Everyone,
            ),
            b(
                C::NextConversation,
                &self.next_conversation,
                &[S::Global],
                h::NEXT_CONVERSATION,
                Some(h::NEXT_CONVERSATION_SHORT),
                Everyone,
            ),
            b(
                C::PrevConversation,
                &self.prev_conversation,
                &[S::Global],
                h::PREV_CONVERSATION,
                None,
                Everyone,
            ),
            b(
                C::JumpConversation,
                &self.jump_conversation,
                &[S::Global],
                h::JUMP_CONVERSATION,
                None,
                Everyone,
            ),
            b(
                C::EndConversation,
                &self.end_conversation,
                &[S::Global],
                h::END,
                Some(h::END_SHORT),
                Writers,
            ),
            b(
                C::ToggleDossier,
                &self.toggle_dossier,
                &[S::Global],
                h::DOSSIER,
                None,
                Writers,
            ),
            b(
                C::ScrollUp,
                &self.scroll_up,
                &[S::Global, S::HelpPopup],
                h::SCROLL_UP,
                None,
                Everyone,
            ),
            b(
                C::ScrollDown,
                &self.scroll_down,
                &[S::Global, S::HelpPopup],
                h::SCROLL_DOWN,
                None,
                Everyone,
            ),
            b(
                C::LeaveInput,
                &self.leave_input,
                &[S::Input],
                h::LEAVE_INPUT,
                None,
                Everyone,
            ),
            b(
                C::FocusNext,
                &self.focus_next,
                &[S::Global],
                h::FOCUS_NEXT,
                Some(h::FOCUS_NEXT_SHORT),
                Everyone,
            ),
            b(
                C::FocusPrev,
                &self.focus_prev,
                &[S::Global],
                h::FOCUS_PREV,
                None,
                Everyone,
            ),
            b(
                C::Watch,
                &self.watch,
                &[S::Queue],
                h::WATCH,
                Some(h::WATCH_SHORT),
                Watchers,
            ),
            b(
                C::Hotlist,
                &self.hotlist,
                &[S::Global],
                h::HOTLIST,
                Some(h::HOTLIST_SHORT),
                Everyone,
            ),
            b(
                C::AddNote,
                &self.add_note,
                &[S::Global],
                h::NOTE,
                Some(h::NOTE_SHORT),
                Writers,
            ),
            b(
                C::Transfer,
                &self.transfer,
                &[S::Global],
                h::TRANSFER,
                None,
                Writers,
            ),
            b(
                C::CopyId,
                &self.copy_id,
                &[S::Global],
                h::COPY_ID,
                None,
                Everyone,
            ),
            b(
                C::RequestReveal,
                &self.request_reveal,
                &[S::Global],
                h::REVEAL,
                None,
                Writers,
            ),
            b(
                C::BlockVisitor,
                &self.block_visitor,
                &[S::Global],
                h::BLOCK,
                None,
                Writers,
            ),
            b(
                C::TagName,
                &self.tag_name,
                &[S::Global],
                h::TAG_NAME,
                None,
                Writers,
            ),
            b(
                C::ShowToRegister,
                &self.show_to_register,
                &[S::Global],
                h::TO_REGISTER,
                None,
                Writers,
            ),
            b(
                C::ShowReveals,
                &self.show_reveals,
                &[S::Global],
                h::REVEALS,
                Some(h::REVEALS_SHORT),
                Watchers,
            ),
            b(
                C::Unwatch,
                &self.unwatch,
                &[S::Global],
                h::UNWATCH,
                None,
                Watchers,
            ),
            b(
                C::ApproveReveal,
                &self.approve_reveal,
                &[S::RevealsPopup],
                h::APPROVE,
                Some(h::APPROVE_SHORT),
                Admins,
            ),
            b(
                C::DenyReveal,
                &self.deny_reveal,
                &[S::RevealsPopup],
                h::DENY,
                Some(h::DENY_SHORT),
                Admins,
            ),
            b(
                C::ShowAccounts,
                &self.show_accounts,
                &[S::Global],
                h::ACCOUNTS,
                Some(h::ACCOUNTS_SHORT),
                Admins,
            ),
            b(
                C::ShowBlocks,
                &self.show_blocks,
                &[S::Global],
                h::BLOCKS,
                Some(h::BLOCKS_SHORT),
                Admins,
            ),
            b(
                C::NewAccount,
                &self.new_account,
                &[S::AccountsPopup],
                h::NEW_ACCOUNT,
                Some(h::NEW_ACCOUNT_SHORT),
                Admins,
            ),
            b(
                C::ResetPassword,
                &self.reset_password,
                &[S::AccountsPopup],
                h::RESET_PASSWORD,
                Some(h::RESET_PASSWORD_SHORT),
                Admins,
            ),
            b(
                C::ToggleDisabled,
                &self.toggle_disabled,
                &[S::AccountsPopup],
                h::TOGGLE_DISABLED,
                Some(h::TOGGLE_DISABLED_SHORT),
                Admins,
            ),
            b(
                C::LiftBlock,
                &self.lift_block,
                &[S::BlocksPopup],
                h::LIFT_BLOCK,
                Some(h::LIFT_BLOCK_SHORT),
                Admins,
            ),
            b(
                C::ToggleTopic,
                &self.toggle_topic,
                &[S::WrapUpPopup],
                h::TOGGLE_TOPIC,
                Some(h::TOGGLE_TOPIC_SHORT),
                Writers,
            ),
            b(
                C::Help,
                &self.help,
                &[S::Global],
                h::HELP,
                Some(h::HELP_SHORT),
                Everyone,
            ),
            b(
                C::Quit,
                &self.quit,
                &[S::Global],
                h::QUIT,
                Some(h::QUIT_SHORT),
                Everyone,
            ),
            b(
                C::SearchCanned,
                &self.search_canned,
                &[S::CannedPopup],
                h::CANNED_SEARCH,
                Some(h::CANNED_SEARCH_SHORT),
                Writers,
            ),
            b(
                C::Accept,
                &self.accept,
                &[S::CannedPopup],
                h::ACCEPT_CANNED,
                Some(h::ACCEPT_CANNED_SHORT),
                Writers,
            ),
            b(
                C::Accept,
                &self.accept,
                &[S::ReasonPopup, S::PickPopup, S::WrapUpPopup],
                h::ACCEPT_REASON,
                Some(h::ACCEPT_REASON_SHORT),
                Everyone,
            ),
            b(
                C::ClosePopup,
                &self.close_popup,
                &[
                    S::HelpPopup,
                    S::CannedPopup,
                    S::ReasonPopup,
                    S::PickPopup,
                    S::WrapUpPopup,
                    S::RevealsPopup,
                    S::AccountsPopup,
                    S::BlocksPopup,
                    S::SecretPopup,
                ],
                h::CLOSE_POPUP,
                Some(h::CLOSE_POPUP_SHORT),
                Everyone,
            ),
            b(
                C::Confirm,
                &self.confirm,
                &[S::ConfirmPopup],
                h::CONFIRM,
                Some(h::CONFIRM_SHORT),
                Everyone,
            ),
            b(
                C::Cancel,
                &self.cancel,
                &[S::ConfirmPopup],
                h::CANCEL,
                Some(h::CANCEL_SHORT),
                Everyone,
            ),
        ]
    }

    /// The bindings an account may use: without the writing ones for read-only roles,
    /// and with the service keys only for administrators.
    pub fn bindings_for(&self, read_only: bool, admin: bool) -> Vec<Binding<'_>> {
        self.bindings()
            .into_iter()
            .filter(|b| b.is_for(read_only, admin))
            .collect()
    }

    /// What the footer shows now: `(key, label)` pairs, most important first, with the
    /// first key that works here.
    pub fn footer(&self, ctx: &KeyContext) -> Vec<(String, &'static str)> {
        self.hints(ctx, false)
    }

    /// Like [`Self::footer`]; with `all_keys`, every key that works here is listed.
    pub fn hints(&self, ctx: &KeyContext, all_keys: bool) -> Vec<(String, &'static str)> {
        self.bindings_for(ctx.read_only, ctx.admin)
            .into_iter()
            .filter(|b| applies(b, ctx))
            .filter_map(|b| {
                let label = b.footer?;
                let mut keys: Vec<KeyPress> = b
                    .keys
                    .iter()
                    .filter(|k| key_allowed(k, &b, ctx))
                    .copied()
                    .collect();
                if !all_keys {
                    keys.truncate(1);
                }
                (!keys.is_empty()).then(|| (key_text(&b, &keys), label))
            })
            .collect()
    }
}

fn binding<'a>(
    command: Command,
    keys: &'a [KeyPress],
    scopes: &'static [Scope],
    help: &'static str,
    footer: Option<&'static str>,
    who: Who,
) -> Binding<'a> {
    Binding {
        command,
        keys,
        scopes,
        help,
        footer,
        who,
    }
}

/// How a binding's keys are written: alternatives joined by `/`, and modifier + 1..9
/// for the jump command.
pub fn key_text(binding: &Binding<'_>, keys: &[KeyPress]) -> String {
    if binding.command == Command::JumpConversation
        && let Some(first) = binding.keys.first()
    {
        let prefix = KeyPress::new(KeyCode::Char('1'), first.modifiers).label();
        return format!("{}..9", prefix);
    }
    keys.iter()
        .map(KeyPress::label)
        .collect::<Vec<_>>()
        .join("/")
}

fn applies(binding: &Binding<'_>, ctx: &KeyContext) -> bool {
    binding.scopes.iter().any(|s| scope_applies(*s, ctx))
}

fn scope_applies(scope: Scope, ctx: &KeyContext) -> bool {
    match (ctx.popup, scope) {
        (Some(PopupKind::Help), s) => s == Scope::HelpPopup,
        (Some(PopupKind::Confirm), s) => s == Scope::ConfirmPopup,
        (Some(PopupKind::Canned { .. }), s) => s == Scope::CannedPopup,
        (Some(PopupKind::Reason), s) => s == Scope::ReasonPopup,
        (Some(PopupKind::Pick), s) => s == Scope::PickPopup,
        (Some(PopupKind::WrapUp), s) => s == Scope::WrapUpPopup,
        (Some(PopupKind::Reveals), s) => s == Scope::RevealsPopup,
        (Some(PopupKind::Accounts), s) => s == Scope::AccountsPopup,
        (Some(PopupKind::Blocks), s) => s == Scope::BlocksPopup,
        (Some(PopupKind::Secret), s) => s == Scope::SecretPopup,
        (None, Scope::Global) => true,
        (None, Scope::Lists) => matches!(ctx.focus, Focus::Queue | Focus::Conversations),
        (None, Scope::Queue) => ctx.focus == Focus::Queue,
        (None, Scope::Conversations) => ctx.focus == Focus::Conversations,
        (None, Scope::Input) => ctx.focus == Focus::Input,
        (
            None,
            Scope::HelpPopup
            | Scope::ConfirmPopup
            | Scope::CannedPopup
            | Scope::ReasonPopup
            | Scope::PickPopup
            | Scope::WrapUpPopup
            | Scope::RevealsPopup
            | Scope::AccountsPopup
            | Scope::BlocksPopup
            | Scope::SecretPopup,
        ) => false,
    }
}

/// Whether plain characters are text here: in the input, and in popups that take text.
fn takes_text(ctx: &KeyContext) -> bool {
    match ctx.popup {
        None => ctx.focus == Focus::Input,
        Some(kind) => kind.takes_text(),
    }
}

/// Plain characters are text while something takes text; only `?` on an empty input
/// still opens help, and the search key still starts a search in the canned list.
fn key_allowed(key: &KeyPress, binding: &Binding<'_>, ctx: &KeyContext) -> bool {
    if !takes_text(ctx) || !key.is_text() {
        return true;
    }
    match binding.command {
        Command::Help => ctx.popup.is_none() && ctx.input_empty,
        Command::SearchCanned => ctx.popup == Some(PopupKind::Canned { searching: false }),
        _ => false,
    }
}

/// Turns a terminal key into an action, or `None` if it means nothing here.
pub fn action_for(keys: &KeyConfig, ctx: &KeyContext, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    for binding in keys.bindings_for(ctx.read_only, ctx.admin) {
        if !applies(&binding, ctx) {
            continue;
        }
        let Some(key) = binding.keys.iter().find(|k| k.matches(&event)) else {
            continue;
        };
        if !key_allowed(key, &binding, ctx) {
            continue;
        }
        return Some(command_action(binding.command, key));
    }
    // Ctrl-c (or whatever quits) always gets out, even from a popup.
    if ctx.popup.is_some()
        && let Some(key) = keys.quit.iter().find(|k| k.matches(&event))
        && !key.is_text()
    {
        return Some(Action::Quit);
    }
    // The rest is text: for the input, a search, a reason, or the key of a canned
    // response (`update` decides which).
    let text_goes_somewhere = match ctx.popup {
        None => ctx.focus == Focus::Input && !ctx.read_only,
        Some(kind) => kind.takes_text(),
    };
    text_goes_somewhere.then(|| Action::Input(event.into()))
}

fn command_action(command: Command, key: &KeyPress) -> Action {
    match command {
        Command::FocusNext => Action::FocusNext,
        Command::FocusPrev => Action::FocusPrev,
        Command::MoveDown => Action::MoveDown,
        Command::MoveUp => Action::MoveUp,
        Command::TakeSelected => Action::TakeSelected,
        Command::TakeNext => Action::TakeNext,
        Command::OpenConversation => Action::OpenSelected,
        Command::Send => Action::Send,
        Command::Newline => Action::Newline,
        Command::LeaveInput => Action::LeaveInput,
        Command::NextConversation => Action::NextConversation,
        Command::PrevConversation => Action::PrevConversation,
        Command::JumpConversation => match key.code {
            KeyCode::Char(c) => Action::JumpConversation(c.to_digit(10).unwrap_or(1) as usize),
            _ => Action::JumpConversation(1),
        },
        Command::EndConversation => Action::EndConversation,
        Command::ScrollUp => Action::ScrollUp,
        Command::ScrollDown => Action::ScrollDown,
        Command::Help => Action::ShowHelp,
        Command::Quit => Action::Quit,
        Command::ClosePopup => Action::ClosePopup,
        Command::Confirm => Action::Confirm,
        Command::Cancel => Action::Cancel,
        Command::InsertCanned => Action::OpenCanned,
        Command::SearchCanned => Action::SearchCanned,
        Command::Accept => Action::Accept,
        Command::ToggleDossier => Action::ToggleDossier,
        Command::CloseService => Action::CloseService,
        Command::OpenService => Action::OpenService,
        Command::Hotlist => Action::Hotlist,
        Command::AddNote => Action::AddNote,
        Command::Transfer => Action::Transfer,
        Command::CopyId => Action::CopyId,
        Command::RequestReveal => Action::RequestReveal,
        Command::BlockVisitor => Action::BlockVisitor,
        Command::TagName => Action::TagName,
        Command::ShowToRegister => Action::ShowToRegister,
        Command::ToggleTopic => Action::ToggleTopic,
        Command::ShowReveals => Action::ShowReveals,
        Command::ApproveReveal => Action::DecideReveal(true),
        Command::DenyReveal => Action::DecideReveal(false),
        Command::Watch => Action::Watch,
        Command::Unwatch => Action::Unwatch,
        Command::ShowAccounts => Action::ShowAccounts,
        Command::NewAccount => Action::NewAccount,
        Command::ResetPassword => Action::ResetPassword,
        Command::ToggleDisabled => Action::ToggleDisabled,
        Command::ShowBlocks => Action::ShowBlocks,
        Command::LiftBlock => Action::LiftBlock,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn ctx(focus: Focus) -> KeyContext {
        KeyContext {
            popup: None,
            focus,
            input_empty: true,
            read_only: false,
            admin: false,
        }
    }

    fn act(c: &KeyContext, code: KeyCode, m: KeyModifiers) -> Option<Action> {
        action_for(&KeyConfig::default(), c, ev(code, m))
    }

    #[test]
    fn vim_keys_and_arrows_both_move() {
        let c = ctx(Focus::Queue);
        for (code, want) in [
            (KeyCode::Char('j'), Action::MoveDown),
            (KeyCode::Down, Action::MoveDown),
            (KeyCode::Char('k'), Action::MoveUp),
            (KeyCode::Up, Action::MoveUp),
        ] {
            assert_eq!(act(&c, code, KeyModifiers::NONE), Some(want));
        }
    }

    #[test]
    fn enter_means_take_open_or_send_by_focus() {
        let enter = |f| act(&ctx(f), KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(enter(Focus::Queue), Some(Action::TakeSelected));
        assert_eq!(enter(Focus::Conversations), Some(Action::OpenSelected));
        assert_eq!(enter(Focus::Input), Some(Action::Send));
        assert_eq!(
            act(&ctx(Focus::Input), KeyCode::Enter, KeyModifiers::ALT),
            Some(Action::Newline)
        );
    }

    #[test]
    fn plain_letters_are_text_in_the_input_but_chords_still_work() {
        let mut c = ctx(Focus::Input);
        c.input_empty = false;
        assert!(matches!(
            act(&c, KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert!(matches!(
            act(&c, KeyCode::Char('e'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert!(matches!(
            act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&c, KeyCode::Char('e'), KeyModifiers::CONTROL),
            Some(Action::EndConversation)
        );
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(
            act(&c, KeyCode::Char('3'), KeyModifiers::ALT),
            Some(Action::JumpConversation(3))
        );
        c.input_empty = true;
        assert_eq!(
            act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT),
            Some(Action::ShowHelp)
        );
    }

    #[test]
    fn popups_take_their_own_keys_only() {
        let mut c = ctx(Focus::Queue);
        c.popup = Some(PopupKind::Help);
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
        assert_eq!(act(&c, KeyCode::Char('t'), KeyModifiers::NONE), None);
        c.popup = Some(PopupKind::Confirm);
        assert_eq!(
            act(&c, KeyCode::Char('y'), KeyModifiers::NONE),
            Some(Action::Confirm)
        );
        assert_eq!(
            act(&c, KeyCode::Char('j'), KeyModifiers::NONE),
            Some(Action::Confirm)
        );
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::Cancel)
        );
        assert_eq!(act(&c, KeyCode::Char('q'), KeyModifiers::NONE), None);
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
    }

    #[test]
    fn read_only_accounts_get_no_take_or_end_keys() {
        let mut c = ctx(Focus::Queue);
        c.read_only = true;
        // Enter on the dashboard watches (read-only); it never takes.
        assert_eq!(
            act(&c, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Watch)
        );
        assert_eq!(act(&c, KeyCode::Char('t'), KeyModifiers::NONE), None);
        assert_eq!(act(&c, KeyCode::Char('e'), KeyModifiers::NONE), None);
        let footer = KeyConfig::default().footer(&c);
        assert!(
            footer.iter().all(|(k, label)| k != "t"
                && k != "e"
                && *label != strings::keys::TAKE_SELECTED_SHORT),
            "{footer:?}"
        );
    }

    #[test]
    fn footer_shows_the_key_that_works_in_the_focused_pane() {
        let keys = KeyConfig::default();
        let input = keys.footer(&ctx(Focus::Input));
        assert!(
            input.contains(&("Ctrl-e".into(), strings::keys::END_SHORT)),
            "{input:?}"
        );
        assert!(
            input.contains(&("Ctrl-c".into(), strings::keys::QUIT_SHORT)),
            "{input:?}"
        );
        let queue = keys.footer(&ctx(Focus::Queue));
        assert!(
            queue.contains(&("e".into(), strings::keys::END_SHORT)),
            "{queue:?}"
        );
        assert!(
            queue.contains(&("q".into(), strings::keys::QUIT_SHORT)),
            "{queue:?}"
        );
    }

    #[test]
    fn canned_popup_keys_are_canned_keys_except_the_search_key_and_chords() {
        let mut c = ctx(Focus::Input);
        c.popup = Some(PopupKind::Canned { searching: false });
        let text = |r: Option<Action>| matches!(r, Some(Action::Input(_)));
        assert!(text(act(&c, KeyCode::Char('w'), KeyModifiers::NONE)));
        // j, q and ? could be canned keys: they are not bindings here.
        assert!(text(act(&c, KeyCode::Char('j'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT)));
        assert_eq!(
            act(&c, KeyCode::Char('/'), KeyModifiers::NONE),
            Some(Action::SearchCanned)
        );
        assert_eq!(
            act(&c, KeyCode::Down, KeyModifiers::NONE),
            Some(Action::MoveDown)
        );
        assert_eq!(
            act(&c, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Accept)
        );
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        // While searching, `/` is part of the search.
        c.popup = Some(PopupKind::Canned { searching: true });
        assert!(text(act(&c, KeyCode::Char('/'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Backspace, KeyModifiers::NONE)));
        // Ctrl-t opens it from the input, and only there.
        let input = ctx(Focus::Input);
        assert_eq!(
            act(&input, KeyCode::Char('t'), KeyModifiers::CONTROL),
            Some(Action::OpenCanned)
        );
        assert_eq!(
            act(
                &ctx(Focus::Queue),
                KeyCode::Char('t'),
                KeyModifiers::CONTROL
            ),
            None
        );
    }

    #[test]
    fn service_keys_are_for_administrators_only() {
        let counselor = ctx(Focus::Queue);
        assert_eq!(
            act(&counselor, KeyCode::Char('s'), KeyModifiers::NONE),
            None
        );
        assert_eq!(
            act(&counselor, KeyCode::Char('o'), KeyModifiers::NONE),
            None
        );
        let mut admin = ctx(Focus::Queue);
        admin.read_only = true;
        admin.admin = true;
        assert_eq!(
            act(&admin, KeyCode::Char('s'), KeyModifiers::NONE),
            Some(Action::CloseService)
        );
        assert_eq!(
            act(&admin, KeyCode::Char('o'), KeyModifiers::NONE),
            Some(Action::OpenService)
        );
        // Not from the conversation list, and admins still can't take or mark.
        admin.focus = Focus::Conversations;
        assert_eq!(act(&admin, KeyCode::Char('s'), KeyModifiers::NONE), None);
        assert_eq!(act(&admin, KeyCode::Char('d'), KeyModifiers::NONE), None);
        let footer = KeyConfig::default().footer(&KeyContext {
            focus: Focus::Queue,
            ..admin
        });
        assert!(
            footer.contains(&("s".into(), strings::keys::CLOSE_SERVICE_SHORT)),
            "{footer:?}"
        );
        assert!(
            KeyConfig::default()
                .footer(&counselor)
                .iter()
                .all(|(_, l)| *l != strings::keys::CLOSE_SERVICE_SHORT)
        );

        // Typing the reason: every letter is text; Enter goes on, Esc cancels.
        admin.popup = Some(PopupKind::Reason);
        assert!(matches!(
            act(&admin, KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&admin, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Accept)
        );
        assert_eq!(
            act(&admin, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
    }

    #[test]
    fn dossier_key_is_a_chord_in_the_input_and_plain_elsewhere() {
        let mut c = ctx(Focus::Input);
        c.input_empty = false;
        assert!(matches!(
            act(&c, KeyCode::Char('d'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&c, KeyCode::Char('d'), KeyModifiers::CONTROL),
            Some(Action::ToggleDossier)
        );
        assert_eq!(
            act(
                &ctx(Focus::Conversations),
                KeyCode::Char('d'),
                KeyModifiers::NONE
            ),
            Some(Action::ToggleDossier)
        );
    }

    #[test]
    fn no_two_bindings_share_a_key_in_the_same_place() {
        use crate::app::Focus::*;
        let keys = KeyConfig::default();
        let popups = [
            None,
            Some(PopupKind::Help),
            Some(PopupKind::Confirm),
            Some(PopupKind::Canned { searching: false }),
            Some(PopupKind::Canned { searching: true }),
            Some(PopupKind::Reason),
            Some(PopupKind::Pick),
            Some(PopupKind::WrapUp),
            Some(PopupKind::Reveals),
            Some(PopupKind::Accounts),
            Some(PopupKind::Blocks),
            Some(PopupKind::Secret),
        ];
        for popup in popups {
            for focus in [Queue, Conversations, Input] {
                for (read_only, admin) in [(false, false), (true, false), (true, true)] {
                    let c = KeyContext {
                        popup,
                        focus,
                        input_empty: false,
                        read_only,
                        admin,
                    };
                    let mut seen: Vec<(KeyPress, Command)> = Vec::new();
                    for b in keys.bindings_for(read_only, admin) {
                        if !applies(&b, &c) {
                            continue;
                        }
                        for k in b.keys.iter().filter(|k| key_allowed(k, &b, &c)) {
                            // Enter is take, open or send by pane; those never overlap.
                            if let Some((_, other)) = seen.iter().find(|(s, _)| s == k) {
                                panic!("{k:?} is {other:?} and {:?} in {c:?}", b.command);
                            }
                            seen.push((*k, b.command));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_command_has_a_binding_and_jump_is_written_compactly() {
        let keys = KeyConfig::default();
        let list = keys.bindings();
        assert_eq!(list.len(), 48);
        let jump = list
            .iter()
            .find(|b| b.command == Command::JumpConversation)
            .unwrap();
        assert_eq!(key_text(jump, jump.keys), "Alt-1..9");
    }
}
