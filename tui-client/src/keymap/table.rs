//! The command table: every command a key can ask for, with its name in `keys.toml`,
//! its default keys, what it does, and per place where it applies: for whom, its help
//! text and its footer label (the texts are in [`crate::strings::keys`]). The rows are in
//! the order of the help popup; the footer prefers the earlier ones.
//!
//! Adding a key command: add its [`Action`] (and handle it in `update`), then one entry
//! here. See [`command_table!`](super::command_table) for the form of an entry.

use crossterm::event::KeyCode::{BackTab, Down, Enter, Esc, PageDown, PageUp, Tab, Up};
use crossterm::event::{KeyCode, KeyModifiers};

use super::key::KeyPress;
use super::scope::{Scope, Who};
use crate::action::Action;

/// One row of the command table with the keys in use: a command, its keys, where it
/// applies, for whom, and how the help popup and the footer describe it.
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
    pub(super) fn is_for(&self, read_only: bool, admin: bool) -> bool {
        match self.who {
            Who::Everyone => true,
            Who::Writers => !read_only,
            Who::Admins => admin,
            Who::Watchers => read_only,
        }
    }
}

/// Modifier + digit: jump to conversation N.
fn jump_action(key: &KeyPress) -> Action {
    match key.code {
        KeyCode::Char(c) => Action::JumpConversation(c.to_digit(10).unwrap_or(1) as usize),
        _ => Action::JumpConversation(1),
    }
}

command_table! {
    take_selected => TakeSelected, keys vec![KeyPress::key(Enter)],
        action Action::TakeSelected;
        | in [Queue] for Writers: help TAKE_SELECTED, footer TAKE_SELECTED_SHORT;
    take_next => TakeNext, keys vec![KeyPress::char('t')],
        action Action::TakeNext;
        | in [Queue] for Writers: help TAKE_NEXT, footer TAKE_NEXT_SHORT;
    close_service => CloseService, keys vec![KeyPress::char('s')],
        action Action::CloseService;
        | in [Queue] for Admins: help CLOSE_SERVICE, footer CLOSE_SERVICE_SHORT;
    open_service => OpenService, keys vec![KeyPress::char('o')],
        action Action::OpenService;
        | in [Queue] for Admins: help OPEN_SERVICE, footer OPEN_SERVICE_SHORT;
    open_conversation => OpenConversation, keys vec![KeyPress::key(Enter)],
        action Action::OpenSelected;
        | in [Conversations] for Everyone: help OPEN, footer OPEN_SHORT;
    send => Send, keys vec![KeyPress::key(Enter)],
        action Action::Send;
        | in [Input] for Writers: help SEND, footer SEND_SHORT;
    newline => Newline, keys vec![
            KeyPress::new(Enter, KeyModifiers::ALT),
            KeyPress::new(Enter, KeyModifiers::SHIFT),
        ],
        action Action::Newline;
        | in [Input] for Writers: help NEWLINE, footer NEWLINE_SHORT;
    /// Opens the canned responses; the next key picks one.
    insert_canned => InsertCanned, keys vec![KeyPress::ctrl('t')],
        action Action::OpenCanned;
        | in [Input] for Writers: help CANNED, footer CANNED_SHORT;
    move_down => MoveDown, keys vec![KeyPress::char('j'), KeyPress::key(Down)],
        action Action::MoveDown;
        | in [
            Lists, HelpPopup, CannedPopup, PickPopup, WrapUpPopup, RevealsPopup, AccountsPopup,
            BlocksPopup, FiguresPopup,
        ] for Everyone: help MOVE_DOWN;
    move_up => MoveUp, keys vec![KeyPress::char('k'), KeyPress::key(Up)],
        action Action::MoveUp;
        | in [
            Lists, HelpPopup, CannedPopup, PickPopup, WrapUpPopup, RevealsPopup, AccountsPopup,
            BlocksPopup, FiguresPopup,
        ] for Everyone: help MOVE_UP;
    next_conversation => NextConversation, keys vec![KeyPress::ctrl('n')],
        action Action::NextConversation;
        | in [Global] for Everyone: help NEXT_CONVERSATION, footer NEXT_CONVERSATION_SHORT;
    prev_conversation => PrevConversation, keys vec![KeyPress::ctrl('p')],
        action Action::PrevConversation;
        | in [Global] for Everyone: help PREV_CONVERSATION;
    /// Modifier + digit 1..9: jump to conversation N.
    jump_conversation => JumpConversation, keys ('1'..='9').map(KeyPress::alt).collect(),
        by_key jump_action;
        | in [Global] for Everyone: help JUMP_CONVERSATION;
    end_conversation => EndConversation, keys vec![KeyPress::char('e'), KeyPress::ctrl('e')],
        action Action::EndConversation, changes visitor;
        | in [Global] for Writers: help END, footer END_SHORT;
    toggle_dossier => ToggleDossier, keys vec![KeyPress::char('d'), KeyPress::ctrl('d')],
        action Action::ToggleDossier, changes visitor;
        | in [Global] for Writers: help DOSSIER;
    scroll_up => ScrollUp, keys vec![KeyPress::key(PageUp)],
        action Action::ScrollUp;
        | in [Global, HelpPopup] for Everyone: help SCROLL_UP;
    scroll_down => ScrollDown, keys vec![KeyPress::key(PageDown)],
        action Action::ScrollDown;
        | in [Global, HelpPopup] for Everyone: help SCROLL_DOWN;
    leave_input => LeaveInput, keys vec![KeyPress::key(Esc)],
        action Action::LeaveInput;
        | in [Input] for Everyone: help LEAVE_INPUT;
    focus_next => FocusNext, keys vec![KeyPress::key(Tab)],
        action Action::FocusNext;
        | in [Global] for Everyone: help FOCUS_NEXT, footer FOCUS_NEXT_SHORT;
    focus_prev => FocusPrev, keys vec![KeyPress::key(BackTab)],
        action Action::FocusPrev;
        | in [Global] for Everyone: help FOCUS_PREV;
    watch => Watch, keys vec![KeyPress::key(Enter)],
        action Action::Watch;
        | in [Queue] for Watchers: help WATCH, footer WATCH_SHORT;
    hotlist => Hotlist, keys vec![KeyPress::alt('a'), KeyPress::char('a')],
        action Action::Hotlist;
        | in [Global] for Everyone: help HOTLIST, footer HOTLIST_SHORT;
    add_note => AddNote, keys vec![KeyPress::char('n'), KeyPress::ctrl('o')],
        action Action::AddNote;
        | in [Global] for Writers: help NOTE, footer NOTE_SHORT;
    transfer => Transfer, keys vec![KeyPress::char('g')],
        action Action::Transfer, changes visitor;
        | in [Global] for Writers: help TRANSFER;
    copy_id => CopyId, keys vec![KeyPress::char('c')],
        action Action::CopyId;
        | in [Global] for Everyone: help COPY_ID;
    request_reveal => RequestReveal, keys vec![KeyPress::char('R')],
        action Action::RequestReveal, changes visitor;
        | in [Global] for Writers: help REVEAL;
    block_visitor => BlockVisitor, keys vec![KeyPress::char('B')],
        action Action::BlockVisitor, changes visitor;
        | in [Global] for Writers: help BLOCK;
    /// Tag a name said in the conversation, for the anonymised export.
    tag_name => TagName, keys vec![KeyPress::char('m'), KeyPress::alt('m')],
        action Action::TagName;
        | in [Global] for Writers: help TAG_NAME;
        | in [WrapUpPopup] for Writers: help TAG_NAME_WRAP_UP, footer TAG_NAME_SHORT;
    /// The anonymised transcript, as the team would get it.
    preview => Preview, keys vec![KeyPress::char('P')],
        action Action::Preview;
        | in [Global] for Writers: help PREVIEW;
    show_to_register => ShowToRegister, keys vec![KeyPress::char('w')],
        action Action::ShowToRegister;
        | in [Global] for Writers: help TO_REGISTER;
    show_reveals => ShowReveals, keys vec![KeyPress::char('v')],
        action Action::ShowReveals;
        | in [Global] for Watchers: help REVEALS, footer REVEALS_SHORT;
    /// The "Cijfers" screen: charts per service, live.
    show_figures => ShowFigures, keys vec![KeyPress::char('C')],
        action Action::ShowFigures;
        | in [Global] for Watchers: help FIGURES, footer FIGURES_SHORT;
    unwatch => Unwatch, keys vec![KeyPress::char('u')],
        action Action::Unwatch;
        | in [Global] for Watchers: help UNWATCH;
    approve_reveal => ApproveReveal, keys vec![KeyPress::char('a')],
        action Action::DecideReveal(true);
        | in [RevealsPopup] for Admins: help APPROVE, footer APPROVE_SHORT;
    deny_reveal => DenyReveal, keys vec![KeyPress::char('x')],
        action Action::DecideReveal(false);
        | in [RevealsPopup] for Admins: help DENY, footer DENY_SHORT;
    show_accounts => ShowAccounts, keys vec![KeyPress::char('A')],
        action Action::ShowAccounts;
        | in [Global] for Admins: help ACCOUNTS, footer ACCOUNTS_SHORT;
    show_blocks => ShowBlocks, keys vec![KeyPress::char('b')],
        action Action::ShowBlocks;
        | in [Global] for Admins: help BLOCKS, footer BLOCKS_SHORT;
    new_account => NewAccount, keys vec![KeyPress::char('n')],
        action Action::NewAccount;
        | in [AccountsPopup] for Admins: help NEW_ACCOUNT, footer NEW_ACCOUNT_SHORT;
    reset_password => ResetPassword, keys vec![KeyPress::char('r')],
        action Action::ResetPassword;
        | in [AccountsPopup] for Admins: help RESET_PASSWORD, footer RESET_PASSWORD_SHORT;
    toggle_disabled => ToggleDisabled, keys vec![KeyPress::char('d')],
        action Action::ToggleDisabled;
        | in [AccountsPopup] for Admins: help TOGGLE_DISABLED, footer TOGGLE_DISABLED_SHORT;
    lift_block => LiftBlock, keys vec![KeyPress::char('l')],
        action Action::LiftBlock;
        | in [BlocksPopup] for Admins: help LIFT_BLOCK, footer LIFT_BLOCK_SHORT;
    toggle_topic => ToggleTopic, keys vec![KeyPress::key(Tab)],
        action Action::ToggleTopic;
        | in [WrapUpPopup] for Writers: help TOGGLE_TOPIC, footer TOGGLE_TOPIC_SHORT;
    help => Help, keys vec![KeyPress::char('?')],
        action Action::ShowHelp;
        | in [Global] for Everyone: help HELP, footer HELP_SHORT;
    quit => Quit, keys vec![KeyPress::char('q'), KeyPress::ctrl('c')],
        action Action::Quit;
        | in [Global] for Everyone: help QUIT, footer QUIT_SHORT;
    /// In the canned list: filter by typing instead of picking by key. It wins over a
    /// canned response with the same key; that one stays reachable with ↓ and Enter.
    search_canned => SearchCanned, keys vec![KeyPress::char('/')],
        action Action::SearchCanned;
        | in [CannedPopup] for Writers: help CANNED_SEARCH, footer CANNED_SEARCH_SHORT;
    /// In a popup with input: pick the highlighted response, or go on with the reason.
    accept => Accept, keys vec![KeyPress::key(Enter)],
        action Action::Accept;
        | in [CannedPopup] for Writers: help ACCEPT_CANNED, footer ACCEPT_CANNED_SHORT;
        | in [ReasonPopup, PickPopup, WrapUpPopup] for Everyone:
            help ACCEPT_REASON, footer ACCEPT_REASON_SHORT;
    close_popup => ClosePopup, keys vec![
            KeyPress::key(Esc),
            KeyPress::char('?'),
            KeyPress::char('q'),
        ],
        action Action::ClosePopup;
        | in [
            HelpPopup, CannedPopup, ReasonPopup, PickPopup, WrapUpPopup, RevealsPopup,
            AccountsPopup, BlocksPopup, SecretPopup, FiguresPopup,
        ] for Everyone: help CLOSE_POPUP, footer CLOSE_POPUP_SHORT;
    confirm => Confirm, keys vec![KeyPress::char('y'), KeyPress::char('j')],
        action Action::Confirm;
        | in [ConfirmPopup] for Everyone: help CONFIRM, footer CONFIRM_SHORT;
    // Capitals: a counselor who types "hey" into a list (thinking it is the input)
    // opens the end question with `e` and must not answer it with `y`.
    confirm_visitor => ConfirmVisitor, keys vec![KeyPress::char('J'), KeyPress::char('Y')],
        action Action::Confirm;
        | in [ConfirmVisitorPopup] for Everyone: help CONFIRM_VISITOR, footer CONFIRM_VISITOR_SHORT;
    cancel => Cancel, keys vec![KeyPress::char('n'), KeyPress::key(Esc)],
        action Action::Cancel;
        | in [ConfirmPopup, ConfirmVisitorPopup] for Everyone: help CANCEL, footer CANCEL_SHORT;
}
