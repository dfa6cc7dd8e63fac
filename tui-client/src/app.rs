//! The app's state and [`App::update`], the only place it changes.
//!
//! This file holds [`App`], its read-only queries and the dispatch in `update`; what each
//! action does lives in the module of its area: `desk` (the panes), `popups`, `chat`
//! (writing and the scrollback), `connection`, `events` (what the relay sends),
//! `workbench`, `admin` and `notify`. The plain types of the state are in
//! [`crate::model`].
//!
//! `update` does no IO: what must go to the relay is queued as [`NetCommand`]s, which the
//! event loop collects with [`App::take_commands`]. Time comes in through
//! [`Action::Tick`], so tests and snapshots use a fixed clock. Everything visitor-typed
//! passes through [`crate::sanitize`] here, on its way in.
//!
//! Nothing is lost when the line drops: after a reconnect the relay sends one
//! `conversation` per open conversation (its scrollback replaces ours, merged by `seq`),
//! then `synced`. Then a conversation it did not name is marked ended, and every message
//! it never acknowledged goes out again under its original `client_id`. A `message` that
//! skips a `seq` asks for the missing ones with `history`. Quitting signs out (`logout`).

use chathulp_shared::staff::{
    AccountInfo, BlockInfo, CannedResponse, CounselorLoad, InternalNote, PendingWrapUp, QueueEntry,
    RevealRequest, ServiceDashboard, ServiceQueue, StaffRequest, StaffSettings,
};
use chathulp_shared::{ChatMessage, ConversationId, Role};
use ratatui::style::Style;
use ratatui_textarea::TextArea;

use crate::action::Action;
use crate::config::Notifications;
use crate::keymap::{KeyConfig, KeyContext, PopupKind};
use crate::link::NetCommand;
use crate::{layout, sanitize, strings};

mod admin;
mod chat;
mod connection;
mod desk;
mod events;
mod notify;
mod popups;
mod workbench;
pub use crate::model::{
    Account, AccountChange, ClientIds, Compose, Connection, Conversation, Delivery, Ending, Entry,
    Focus, Guidance, HISTORY_PAGE, LIVE_WINDOW, Linked, Notice, Older, Popup, QueueRow, ROLES,
    RevealView, TYPING_SHOWN_MS, TakeAhead, WrapUpForm,
};

/// We tell the relay "typing" at most this often.
pub const TYPING_THROTTLE_MS: i64 = 3_000;
/// Notices disappear after this long; errors stay longer.
const NOTICE_MS: i64 = 8_000;
const ERROR_NOTICE_MS: i64 = 30_000;
/// The guidance warning stays up longer than other notices: it must not be missed.
const GUIDANCE_NOTICE_MS: i64 = 60_000;
/// Lines one scroll step moves the scrollback.
const SCROLL_STEP: usize = 10;
const MINUTE_MS: i64 = 60_000;
/// The 1-hour guidance, when the relay sends no settings (an older relay).
pub const DEFAULT_GUIDANCE_WARN_MINS: u32 = 50;
pub const DEFAULT_GUIDANCE_LIMIT_MINS: u32 = 60;
/// The longest reason an administrator can type for closing a service: visitors read it.
pub const MAX_CLOSE_REASON_CHARS: usize = 200;
/// Until the event loop reports the terminal size (and in tests): the smallest supported.
const DEFAULT_SCREEN: (u16, u16) = (80, 24);

/// What the app needs to start.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// The user name given on the command line (until the relay confirms it).
    pub user: String,
    /// The server as shown in the status line.
    pub server: String,
    pub now_ms: i64,
    /// False when `NO_COLOR` is set.
    pub color: bool,
    pub client_ids: ClientIds,
    pub keys: KeyConfig,
    /// Which events ring the bell and flash (from `config.toml`).
    pub notifications: Notifications,
}

#[derive(Debug)]
pub struct App {
    /// The current time in Unix milliseconds, moved on by [`Action::Tick`].
    pub now_ms: i64,
    pub user: String,
    pub server: String,
    pub color: bool,
    pub keys: KeyConfig,
    pub account: Option<Account>,
    pub connection: Connection,
    /// The last queue snapshot, sanitized.
    pub services: Vec<ServiceQueue>,
    /// The selected queue row, by identity, so that a changing queue never moves the
    /// selection onto another visitor.
    pub queue_cursor: Option<QueueRow>,
    /// The counselor's conversations, in the order they arrived (numbered from 1).
    pub conversations: Vec<Conversation>,
    /// The selected row of the conversation list.
    pub conversation_cursor: Option<ConversationId>,
    /// The conversation shown on the right.
    pub active: Option<ConversationId>,
    pub focus: Focus,
    pub popup: Option<Popup>,
    pub notice: Option<Notice>,
    pub should_quit: bool,
    /// Printed after the terminal is restored, e.g. why the app had to stop.
    pub exit_message: Option<String>,
    /// Guidance times and canned responses from the relay, sanitized, with defaults
    /// filled in.
    pub settings: StaffSettings,
    /// The first line of the help popup that shows (it scrolls on small screens).
    pub help_scroll: usize,
    /// The terminal's size, for scrolling the help popup.
    pub screen: (u16, u16),
    /// Signed-in counselors and their load (sanitized): transfer targets.
    pub staff: Vec<CounselorLoad>,
    /// Our ended conversations whose registration is not done yet (sanitized).
    pub to_register: Vec<PendingWrapUp>,
    /// Supervisors and administrators: the dashboard per service (sanitized).
    pub dashboard: Vec<ServiceDashboard>,
    /// Supervisors and administrators: reveal requests (sanitized).
    pub reveals: Vec<RevealRequest>,
    /// Administrators: the staff accounts (sanitized), as last listed.
    pub accounts: Vec<AccountInfo>,
    /// Administrators: the visitor blocks (sanitized, never an address), as last listed.
    pub blocks: Vec<BlockInfo>,
    /// Set when something needs the counselor's attention now; the event loop rings the
    /// terminal bell and clears it.
    pub bell: bool,
    /// The notice line flashes until then (a notification).
    pub flash_until_ms: i64,
    pub notifications: Notifications,
    /// Text for the terminal's clipboard (OSC 52), taken by the event loop.
    clipboard: Option<String>,
    /// We asked to take a visitor; their conversation becomes the active one.
    awaiting_take: bool,
    /// What the counselor typed after asking to take a visitor, before the relay opened
    /// the conversation; `Some` from the take until then (or until the take fails).
    pub take_ahead: Option<TakeAhead>,
    /// The wrap-up form put aside while a name is tagged from it (Alt-m); it comes back
    /// when the name is sent or the popup closed.
    stashed_wrap_up: Option<WrapUpForm>,
    /// The conversation of our last `mark_dossier`, for a `dossier_refused` reply (which
    /// does not name it).
    pending_dossier: Option<ConversationId>,
    client_ids: ClientIds,
    outbox: Vec<NetCommand>,
}

impl App {
    pub fn new(options: AppOptions) -> Self {
        Self {
            now_ms: options.now_ms,
            user: sanitize::line(&options.user),
            server: sanitize::line(&options.server),
            color: options.color,
            keys: options.keys,
            account: None,
            connection: Connection::Connecting,
            services: Vec::new(),
            queue_cursor: None,
            conversations: Vec::new(),
            conversation_cursor: None,
            active: None,
            focus: Focus::Queue,
            popup: None,
            notice: None,
            should_quit: false,
            exit_message: None,
            settings: effective_settings(StaffSettings::default()),
            help_scroll: 0,
            screen: DEFAULT_SCREEN,
            staff: Vec::new(),
            to_register: Vec::new(),
            dashboard: Vec::new(),
            reveals: Vec::new(),
            accounts: Vec::new(),
            blocks: Vec::new(),
            bell: false,
            flash_until_ms: 0,
            notifications: options.notifications,
            clipboard: None,
            awaiting_take: false,
            take_ahead: None,
            stashed_wrap_up: None,
            pending_dossier: None,
            client_ids: options.client_ids,
            outbox: Vec::new(),
        }
    }

    /// The requests `update` queued for the relay, oldest first.
    pub fn take_commands(&mut self) -> Vec<NetCommand> {
        std::mem::take(&mut self.outbox)
    }

    /// Supervisors and administrators watch; they never type or take.
    pub fn read_only(&self) -> bool {
        self.account
            .as_ref()
            .is_some_and(|a| a.role != Role::Counselor)
    }

    /// Administrators may close and open services.
    pub fn is_admin(&self) -> bool {
        self.account.as_ref().is_some_and(|a| a.role == Role::Admin)
    }

    /// Where `c` stands against the 1-hour guidance now. Ended conversations are done.
    pub fn guidance(&self, c: &Conversation) -> Guidance {
        if !c.is_open() {
            return Guidance::Normal;
        }
        let minutes = (self.now_ms - c.started_at_ms).max(0) / MINUTE_MS;
        if minutes >= i64::from(self.settings.guidance_limit_mins) {
            Guidance::Over
        } else if minutes >= i64::from(self.settings.guidance_warn_mins) {
            Guidance::Warn
        } else {
            Guidance::Normal
        }
    }

    /// While the visitor of `c` is away: how long until the conversation ends unless they
    /// come back, as `m:ss` (`0:00` once the time is up and the relay has yet to end it).
    pub fn away_countdown(&self, c: &Conversation) -> Option<String> {
        let until = c.visitor_away_until_ms.filter(|_| c.is_open())?;
        let seconds = ((until - self.now_ms).max(0) + 999) / 1_000;
        Some(format!("{}:{:02}", seconds / 60, seconds % 60))
    }

    /// The canned responses the popup lists: all of them, or those the search matches.
    pub fn canned_matches(&self) -> Vec<&CannedResponse> {
        let search = match &self.popup {
            Some(Popup::Canned {
                search: Some(search),
                ..
            }) => search.as_str(),
            _ => "",
        };
        self.settings
            .canned
            .iter()
            .filter(|c| canned_matches(search, c))
            .collect()
    }

    pub fn is_connected(&self) -> bool {
        self.connection == Connection::Connected
    }

    pub fn active_conversation(&self) -> Option<&Conversation> {
        let id = self.active.as_ref()?;
        self.conversations.iter().find(|c| &c.id == id)
    }

    fn active_mut(&mut self) -> Option<&mut Conversation> {
        let id = self.active.clone()?;
        self.conversation_mut(&id)
    }

    fn conversation_mut(&mut self, id: &ConversationId) -> Option<&mut Conversation> {
        self.conversations.iter_mut().find(|c| &c.id == id)
    }

    /// Conversations not yet ended.
    pub fn open_conversations(&self) -> usize {
        self.conversations.iter().filter(|c| c.is_open()).count()
    }

    /// Whether the input takes text now: in an open conversation, or typed ahead while a
    /// take is under way.
    pub fn can_type(&self) -> bool {
        self.can_write() || self.take_ahead.is_some()
    }

    /// Keys in the input go to the text typed ahead of a take, not to a conversation.
    fn typing_ahead(&self) -> bool {
        self.take_ahead.is_some() && self.focus == Focus::Input && self.popup.is_none()
    }

    /// Whether the input can take text: a counselor with an open active conversation.
    pub fn can_write(&self) -> bool {
        !self.read_only()
            && self
                .active_conversation()
                .is_some_and(Conversation::is_open)
    }

    /// The rows of the queue pane, top to bottom.
    pub fn queue_rows(&self) -> Vec<QueueRow> {
        let mut rows = Vec::new();
        for service in &self.services {
            rows.push(QueueRow::Service(service.service.clone()));
            rows.extend(
                service
                    .waiting
                    .iter()
                    .map(|e| QueueRow::Visitor(service.service.clone(), e.conversation.clone())),
            );
            if let Some(board) = self.dashboard_of(&service.service) {
                rows.extend(
                    board
                        .in_progress
                        .iter()
                        .map(|l| QueueRow::Live(service.service.clone(), l.conversation.clone())),
                );
            }
        }
        rows
    }

    /// The waiting visitor of `conversation`, if still queued.
    pub fn queue_entry(
        &self,
        conversation: &ConversationId,
    ) -> Option<(&ServiceQueue, &QueueEntry)> {
        self.services.iter().find_map(|s| {
            s.waiting
                .iter()
                .find(|e| &e.conversation == conversation)
                .map(|e| (s, e))
        })
    }

    /// What the keymap needs to know to turn a key into an action.
    pub fn key_context(&self) -> KeyContext {
        KeyContext {
            popup: self.popup.as_ref().map(|p| match p {
                // Read-only text to scroll and close, like the help.
                Popup::Help | Popup::Preview { .. } => PopupKind::Help,
                Popup::ConfirmQuit | Popup::ConfirmAccount(_) => PopupKind::Confirm,
                Popup::ConfirmEnd(_)
                | Popup::ConfirmClose { .. }
                | Popup::ConfirmCompose { .. }
                | Popup::ConfirmDossier { .. } => PopupKind::ConfirmVisitor,
                Popup::Canned { search, .. } => PopupKind::Canned {
                    searching: search.is_some(),
                },
                Popup::CloseReason { .. } | Popup::Compose { .. } => PopupKind::Reason,
                Popup::PickColleague { .. } | Popup::ToRegister { .. } | Popup::PickRole { .. } => {
                    PopupKind::Pick
                }
                Popup::Accounts { .. } => PopupKind::Accounts,
                Popup::AccountSecret { .. } => PopupKind::Secret,
                Popup::Blocks { .. } => PopupKind::Blocks,
                Popup::WrapUp(_) => PopupKind::WrapUp,
                Popup::Reveals { .. } => PopupKind::Reveals,
                Popup::Figures { .. } => PopupKind::Figures,
            }),
            focus: self.focus,
            input_empty: match &self.take_ahead {
                Some(ahead) => ahead.draft.is_empty(),
                None => self
                    .active_conversation()
                    .is_none_or(|c| c.draft.is_empty()),
            },
            read_only: self.read_only(),
            admin: self.is_admin(),
        }
    }

    /// Applies one action. The only place state changes.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Tick(now_ms) => self.tick(now_ms),
            Action::Net(event) => self.on_net(event),
            Action::FocusNext => self.cycle_focus(true),
            Action::FocusPrev => self.cycle_focus(false),
            Action::Resize(width, height) => {
                self.screen = (width, height);
                self.scroll_help(0);
            }
            Action::MoveDown => self.move_selection(1),
            Action::MoveUp => self.move_selection(-1),
            Action::TakeSelected => self.take(false),
            Action::TakeNext => self.take(true),
            Action::OpenSelected => {
                if let Some(id) = self.conversation_cursor.clone() {
                    self.activate(id);
                    if self.can_write() {
                        self.focus = Focus::Input;
                    }
                }
            }
            Action::NextConversation => self.step_conversation(1),
            Action::PrevConversation => self.step_conversation(-1),
            Action::JumpConversation(n) => {
                if let Some(id) = n
                    .checked_sub(1)
                    .and_then(|i| self.conversations.get(i))
                    .map(|c| c.id.clone())
                {
                    self.activate(id);
                }
            }
            Action::EndConversation => self.ask_end(),
            Action::ScrollUp if self.popup == Some(Popup::Help) => {
                self.scroll_help(-(SCROLL_STEP as isize));
            }
            Action::ScrollDown if self.popup == Some(Popup::Help) => {
                self.scroll_help(SCROLL_STEP as isize);
            }
            Action::ScrollUp => self.scroll_up(),
            Action::ScrollDown => self.scroll_down(),
            Action::Send if self.typing_ahead() => self.send_ahead(),
            Action::Newline if self.typing_ahead() => {
                if let Some(ahead) = &mut self.take_ahead {
                    ahead.draft.insert_newline();
                }
            }
            Action::Input(input) if self.typing_ahead() => {
                if let Some(ahead) = &mut self.take_ahead {
                    ahead.draft.input(input);
                }
            }
            Action::Paste(text) if self.typing_ahead() => {
                if let Some(ahead) = &mut self.take_ahead {
                    ahead.draft.insert_str(sanitize::pasted(&text));
                }
            }
            Action::Send => self.send(),
            Action::Newline => {
                if self.can_write()
                    && let Some(c) = self.active_mut()
                {
                    c.draft.insert_newline();
                }
            }
            Action::LeaveInput => {
                self.focus = Focus::Conversations;
                // Nothing typed ahead: the pane need not wait for the take any more (the
                // conversation still opens when the relay hands it over).
                if self
                    .take_ahead
                    .as_ref()
                    .is_some_and(|a| a.draft.is_empty() && a.sent.is_empty())
                {
                    self.take_ahead = None;
                }
            }
            Action::Input(input) if matches!(self.popup, Some(Popup::Canned { .. })) => {
                self.canned_key(input);
            }
            Action::Input(input) if self.popup_text().is_some() => self.reason_key(input),
            Action::Paste(text) if self.popup_text().is_some() => {
                if let Some(reason) = self.popup_text() {
                    push_reason(reason, &sanitize::line(&text.replace(['\r', '\n'], " ")));
                }
            }
            Action::Paste(text) if matches!(self.popup, Some(Popup::Canned { .. })) => {
                if let Some(Popup::Canned {
                    search: Some(search),
                    selected,
                }) = &mut self.popup
                {
                    search.push_str(&sanitize::line(&text.replace(['\r', '\n'], " ")));
                    *selected = 0;
                }
            }
            Action::Input(input) => {
                if self.focus == Focus::Input
                    && self.can_write()
                    && let Some(c) = self.active_mut()
                    && c.draft.input(input)
                {
                    self.typed();
                }
            }
            Action::Paste(text) => {
                if self.focus == Focus::Input
                    && self.can_write()
                    && let Some(c) = self.active_mut()
                    && c.draft.insert_str(sanitize::pasted(&text))
                {
                    self.typed();
                }
            }
            Action::OpenCanned => self.open_canned(),
            Action::SearchCanned => {
                if let Some(Popup::Canned { search, selected }) = &mut self.popup
                    && search.is_none()
                {
                    *search = Some(String::new());
                    *selected = 0;
                }
            }
            Action::Accept => self.accept(),
            Action::ToggleDossier => self.toggle_dossier(),
            Action::CloseService => self.ask_close_service(),
            Action::OpenService => self.open_service(),
            Action::ShowHelp => {
                self.popup = Some(Popup::Help);
                self.help_scroll = 0;
            }
            Action::ClosePopup | Action::Cancel => self.close_popup(),
            Action::Hotlist => self.jump_hotlist(),
            Action::AddNote => self.open_compose(Compose::Note),
            Action::Transfer => self.open_transfer(),
            Action::CopyId => self.copy_id(),
            Action::RequestReveal => self.open_compose(Compose::Reveal),
            Action::BlockVisitor => self.open_compose(Compose::Block),
            Action::TagName => self.tag_name(),
            Action::Preview => self.open_preview(),
            Action::ShowToRegister => self.show_to_register(),
            Action::ToggleTopic => self.toggle_topic(),
            Action::ShowReveals => self.show_reveals(),
            Action::ShowFigures => self.show_figures(),
            Action::DecideReveal(approve) => self.open_decide(approve),
            Action::Watch => self.watch_selected(),
            Action::ShowAccounts => self.show_accounts(),
            Action::NewAccount => self.new_account(),
            Action::ResetPassword => self.reset_password(),
            Action::ToggleDisabled => self.toggle_disabled(),
            Action::ShowBlocks => self.show_blocks(),
            Action::LiftBlock => self.lift_block(),
            Action::Unwatch => self.unwatch_active(),
            Action::Confirm => self.confirm(),
            Action::Quit => {
                if self.popup == Some(Popup::ConfirmQuit) || self.open_conversations() == 0 {
                    self.quit();
                } else {
                    self.popup = Some(Popup::ConfirmQuit);
                }
            }
        }
    }

    fn tick(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        if self.notice.as_ref().is_some_and(|n| n.until_ms <= now_ms) {
            self.notice = None;
        }
        self.check_guidance();
    }

    /// Shows the guidance warning once per conversation, when it passes
    /// `guidance_warn_mins`. One first seen past the limit gets no "nog 10 minuten".
    fn check_guidance(&mut self) {
        let mut warning = None;
        for at in 0..self.conversations.len() {
            let guidance = self.guidance(&self.conversations[at]);
            let c = &mut self.conversations[at];
            if c.guidance_warned || guidance == Guidance::Normal {
                continue;
            }
            c.guidance_warned = true;
            if guidance == Guidance::Warn {
                let left = self
                    .settings
                    .guidance_limit_mins
                    .saturating_sub(self.settings.guidance_warn_mins);
                warning = Some(strings::guidance_warning(left, &c.nickname));
            }
        }
        if let Some(text) = warning {
            self.notice = Some(Notice {
                text,
                is_error: false,
                until_ms: self.now_ms + GUIDANCE_NOTICE_MS,
                until_someone_waits: false,
            });
        }
    }

    /// Moves the help popup by `step` lines, keeping its last page on screen.
    fn scroll_help(&mut self, step: isize) {
        let total = self.keys.help_rows(self.read_only(), self.is_admin()).len();
        let max = total.saturating_sub(layout::help_rows_visible(self.screen.1, total));
        self.help_scroll = self.help_scroll.saturating_add_signed(step).min(max);
    }

    /// Stops the app. Signed in, it signs out first, so the relay does not hold our
    /// conversations for a reconnect that will not come.
    fn quit(&mut self) {
        self.should_quit = true;
        self.popup = None;
        if self.is_connected() {
            self.outbox.push(NetCommand::Request(StaffRequest::Logout));
        }
        self.outbox.push(NetCommand::Close);
    }

    fn info(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: false,
            until_ms: self.now_ms + NOTICE_MS,
            until_someone_waits: false,
        });
    }

    fn error(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: true,
            until_ms: self.now_ms + ERROR_NOTICE_MS,
            until_someone_waits: false,
        });
    }

    /// Queues a request, or says why it cannot go.
    fn request(&mut self, request: StaffRequest) -> bool {
        if !self.is_connected() {
            self.error(strings::NOT_CONNECTED.into());
            return false;
        }
        self.outbox.push(NetCommand::Request(request));
        true
    }
}

/// Moves `step` rows from `current` in `rows`, staying inside the list.
fn step_in<T: Clone + PartialEq>(rows: &[T], current: Option<&T>, step: isize) -> Option<T> {
    if rows.is_empty() {
        return None;
    }
    let Some(at) = current.and_then(|c| rows.iter().position(|r| r == c)) else {
        return rows.first().cloned();
    };
    let next = (at as isize + step).clamp(0, rows.len() as isize - 1) as usize;
    rows.get(next).cloned()
}

fn sanitize_note(note: InternalNote) -> InternalNote {
    InternalNote {
        author: sanitize::line(&note.author),
        text: sanitize::text(&note.text),
        at_ms: note.at_ms,
    }
}

fn stored_entry(message: ChatMessage) -> Entry {
    Entry {
        from: message.from,
        text: sanitize::text(&message.text),
        at_ms: message.at_ms,
        delivery: Delivery::Stored { seq: message.seq },
    }
}

/// The relay's settings made safe to show, with the defaults for what it left out.
fn effective_settings(settings: StaffSettings) -> StaffSettings {
    let or_default = |mins, default| if mins == 0 { default } else { mins };
    let warn = or_default(settings.guidance_warn_mins, DEFAULT_GUIDANCE_WARN_MINS);
    let limit = or_default(settings.guidance_limit_mins, DEFAULT_GUIDANCE_LIMIT_MINS).max(warn);
    let canned = settings
        .canned
        .into_iter()
        // A key that is a control character could never be typed, nor shown safely.
        .filter(|c| sanitize::line(&c.key.to_string()) == c.key.to_string() && c.key != ' ')
        .map(|c| CannedResponse {
            key: c.key,
            title: sanitize::line(&c.title),
            text: sanitize::pasted(&c.text),
        })
        .collect();
    StaffSettings {
        guidance_warn_mins: warn,
        guidance_limit_mins: limit,
        canned,
        topics: settings.topics.iter().map(|t| sanitize::line(t)).collect(),
    }
}

/// Whether a canned response fits the search: the letters of the search in order in its
/// title (so "gb" finds "Goedenavond, bedankt"), or the search inside its text.
fn canned_matches(search: &str, canned: &CannedResponse) -> bool {
    let search = search.trim().to_lowercase();
    if search.is_empty() {
        return true;
    }
    let title = canned.title.to_lowercase();
    let mut letters = title.chars();
    let in_title = search
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|s| letters.any(|t| t == s));
    in_title || canned.text.to_lowercase().contains(&search)
}

fn push_reason(reason: &mut String, text: &str) {
    let room = MAX_CLOSE_REASON_CHARS.saturating_sub(reason.chars().count());
    reason.extend(text.chars().take(room));
}

fn new_draft() -> TextArea<'static> {
    let mut draft = TextArea::default();
    draft.set_cursor_line_style(Style::default());
    draft.set_placeholder_text(strings::INPUT_PLACEHOLDER);
    draft
}
