//! The app's state and [`App::update`], the only place it changes.
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

use chathulp_shared::limits::MAX_TEXT_BYTES;
use chathulp_shared::staff::{
    AccountInfo, BlockInfo, CannedResponse, CounselorLoad, Handover, InternalNote, PendingWrapUp,
    QueueEntry, RevealRequest, RevealState, ServiceDashboard, ServiceQueue, StaffEvent,
    StaffRequest, StaffSettings,
};
use chathulp_shared::{
    ChatMessage, ConversationId, ErrorCode, ErrorReply, Intake, Party, Role, ServiceId,
};
use ratatui::style::Style;
use ratatui_textarea::{Input, Key, TextArea};

use crate::action::Action;
use crate::config::Notifications;
use crate::keymap::{KeyConfig, KeyContext, PopupKind};
use crate::net::{LoginInfo, NetCommand, NetEvent};
use crate::{sanitize, strings};

mod admin;
mod notify;
mod workbench;
pub use admin::{AccountChange, ROLES};
pub use workbench::{Compose, WrapUpForm};

/// We tell the relay "typing" at most this often.
pub const TYPING_THROTTLE_MS: i64 = 3_000;
/// The "bezoeker typt…" line shows this long after the visitor's last typing signal.
pub const TYPING_SHOWN_MS: i64 = 5_000;
/// Notices disappear after this long; errors stay longer.
const NOTICE_MS: i64 = 8_000;
const ERROR_NOTICE_MS: i64 = 30_000;
/// The guidance warning stays up longer than other notices: it must not be missed.
const GUIDANCE_NOTICE_MS: i64 = 60_000;
/// Lines one scroll step moves the scrollback.
const SCROLL_STEP: usize = 10;
/// Older scrollback comes from the relay in pages of this many messages (the relay's
/// default `limits.snapshot_messages`, the size of a `conversation` snapshot).
pub const HISTORY_PAGE: usize = 200;
/// A conversation in live view (scrolled to the bottom) holds at most this many stored
/// messages. Past it, the oldest go, down to [`HISTORY_PAGE`]; scrolling up to them
/// fetches them again. Back at the bottom, pages loaded while scrolled up go the same way.
pub const LIVE_WINDOW: usize = 2 * HISTORY_PAGE;
const MINUTE_MS: i64 = 60_000;
/// The 1-hour guidance, when the relay sends no settings (an older relay).
pub const DEFAULT_GUIDANCE_WARN_MINS: u32 = 50;
pub const DEFAULT_GUIDANCE_LIMIT_MINS: u32 = 60;
/// The longest reason an administrator can type for closing a service: visitors read it.
pub const MAX_CLOSE_REASON_CHARS: usize = 200;
/// Until the event loop reports the terminal size (and in tests): the smallest supported.
const DEFAULT_SCREEN: (u16, u16) = (80, 24);

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

/// The counselor's own emergency reveal request in a conversation, as the relay last
/// told it. `ip` is set only once approved: an emergency disclosure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevealView {
    pub state: RevealState,
    pub ip: Option<String>,
}

/// Whether a message is stored by the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Stored under this sequence number.
    Stored { seq: u64 },
    /// Sent by us, not yet acknowledged.
    Pending { client_id: String },
    /// Sent by us and refused or lost; the reason is shown.
    Failed { client_id: String, reason: String },
    /// A line from the app itself ("bezoeker is terug"), not a relay message. It stays
    /// after the stored message `after_seq` (the last one when it was added).
    Local { after_seq: u64 },
}

/// What lies before the oldest message a conversation holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Older {
    /// Nothing: the app holds the conversation from its first message.
    Nothing,
    /// The relay holds older messages; scrolling up to the top fetches a page.
    OnRelay,
    /// The page of messages before `before_seq` is on its way.
    Loading { before_seq: u64 },
    /// Paged back to the first message: "Begin van het gesprek."
    Start,
}

/// One line of a conversation's scrollback. `text` is sanitized; it may hold newlines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub from: Party,
    pub text: String,
    pub at_ms: i64,
    pub delivery: Delivery,
}

/// How a conversation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// Who ended it; `None` when we don't know (it ended while we were offline).
    pub by: Option<Party>,
    pub reason: Option<String>,
}

/// The earlier conversation the relay thinks had the same visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    pub conversation: ConversationId,
    /// Its visitor's nickname (sanitized), if the app knows that conversation.
    pub nickname: Option<String>,
}

/// One of the counselor's conversations.
#[derive(Clone, Debug)]
pub struct Conversation {
    pub id: ConversationId,
    pub service: ServiceId,
    /// Sanitized.
    pub nickname: String,
    pub intake: Intake,
    pub started_at_ms: i64,
    /// Stored messages in `seq` order, then our pending ones.
    pub entries: Vec<Entry>,
    /// Visitor messages that arrived while another conversation was active.
    pub unread: u32,
    /// When the visitor last signalled typing.
    pub visitor_typing_at_ms: Option<i64>,
    pub ended: Option<Ending>,
    /// How many lines the scrollback is scrolled up from the bottom.
    pub scroll: usize,
    /// Whether older messages than the ones held are still on the relay.
    pub older: Older,
    /// What the counselor is writing here; each conversation keeps its own draft.
    pub draft: TextArea<'static>,
    /// The visitor refused a dossier: it can't be marked as a candidate.
    pub no_dossier: bool,
    /// The counselor marked it as a dossier candidate.
    pub dossier_candidate: bool,
    /// Set while the visitor's connection is lost: when the conversation ends unless
    /// they come back (Unix ms).
    pub visitor_away_until_ms: Option<i64>,
    /// Probably the same visitor as in this earlier conversation (whose messages the
    /// relay does not carry over).
    pub linked: Option<Linked>,
    /// The text of each of our messages the relay has not acknowledged, by `client_id`,
    /// to send again after a reconnect.
    unacked: Vec<(String, String)>,
    /// When we last told the relay we are typing here.
    last_typing_sent_ms: Option<i64>,
    /// The guidance warning was shown (it shows once per conversation).
    guidance_warned: bool,
    /// Internal notes (sanitized), oldest first: staff only, never sent to the visitor.
    pub notes: Vec<InternalNote>,
    /// How a colleague handed it over to us (sanitized).
    pub handover: Option<Handover>,
    /// Our emergency reveal request here, if any.
    pub reveal: Option<RevealView>,
    /// Names tagged for the anonymised export (sanitized), oldest first.
    pub tagged_names: Vec<String>,
    /// A supervisor's read-only view (`watch`); `counselor` is who chats.
    pub watching: bool,
    pub counselor: Option<String>,
}

impl Conversation {
    pub fn is_open(&self) -> bool {
        self.ended.is_none()
    }

    pub fn visitor_typing(&self, now_ms: i64) -> bool {
        self.is_open()
            && self
                .visitor_typing_at_ms
                .is_some_and(|at| now_ms - at < TYPING_SHOWN_MS)
    }

    /// The highest `seq` we hold (0 for none).
    pub fn last_seq(&self) -> u64 {
        self.entries
            .iter()
            .filter_map(|e| match e.delivery {
                Delivery::Stored { seq } => Some(seq),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The lowest `seq` we hold, if any.
    pub fn first_seq(&self) -> Option<u64> {
        self.entries.iter().find_map(|e| match e.delivery {
            Delivery::Stored { seq } => Some(seq),
            _ => None,
        })
    }

    /// How many stored messages we hold.
    pub fn stored_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.delivery, Delivery::Stored { .. }))
            .count()
    }

    /// Drops the oldest stored messages (and the app's own lines among them) so that
    /// `keep` remain; the relay still has them, and scrolling up fetches them again.
    fn trim_old(&mut self, keep: usize) {
        let stored = self.stored_count();
        if stored <= keep {
            return;
        }
        let mut to_drop = stored - keep;
        let mut first_kept = None;
        for e in &self.entries {
            if let Delivery::Stored { seq } = e.delivery {
                if to_drop == 0 {
                    first_kept = Some(seq);
                    break;
                }
                to_drop -= 1;
            }
        }
        let Some(first_kept) = first_kept else {
            return;
        };
        self.entries.retain(|e| match e.delivery {
            Delivery::Stored { seq } => seq >= first_kept,
            Delivery::Local { after_seq } => after_seq >= first_kept,
            Delivery::Pending { .. } | Delivery::Failed { .. } => true,
        });
        // A page still on its way would now leave a hole: its reply is dropped.
        self.older = Older::OnRelay;
    }

    /// In live view (scrolled to the bottom) the conversation holds at most
    /// [`LIVE_WINDOW`] stored messages.
    fn bound_live(&mut self) {
        if self.scroll == 0 && self.stored_count() > LIVE_WINDOW {
            self.trim_old(HISTORY_PAGE);
        }
    }

    /// Back at the bottom after scrolling up: the older pages loaded meanwhile go again.
    fn back_at_bottom(&mut self) {
        self.scroll = 0;
        if let Older::Loading { .. } = self.older {
            // Not wanted any more: its reply is dropped.
            self.older = Older::OnRelay;
        }
        self.trim_old(HISTORY_PAGE);
    }

    /// Inserts an entry where it belongs: a stored message in `seq` order and a local line
    /// after the message it followed, both before our pending ones; our own new messages
    /// at the end. Ignores a stored message we already have (a resent scrollback after a
    /// reconnect, a history reply). Returns whether it was added.
    fn insert_entry(&mut self, entry: Entry) -> bool {
        let (key, is_stored) = match entry.delivery {
            Delivery::Stored { seq } => (seq, true),
            Delivery::Local { after_seq } => (after_seq, false),
            Delivery::Pending { .. } | Delivery::Failed { .. } => {
                self.entries.push(entry);
                return true;
            }
        };
        if is_stored
            && self
                .entries
                .iter()
                .any(|e| e.delivery == Delivery::Stored { seq: key })
        {
            return false;
        }
        let at = self
            .entries
            .iter()
            .position(|e| match e.delivery {
                Delivery::Pending { .. } => true,
                Delivery::Stored { seq } => seq > key,
                // A message stored before the local line was added goes above it.
                Delivery::Local { after_seq } => {
                    if is_stored {
                        after_seq >= key
                    } else {
                        after_seq > key
                    }
                }
                Delivery::Failed { .. } => false,
            })
            .unwrap_or(self.entries.len());
        self.entries.insert(at, entry);
        true
    }

    /// Takes the relay's scrollback (a `conversation` snapshot) in place of the stored
    /// messages we hold; keeps our local lines in place and our unacknowledged messages
    /// at the end.
    fn replace_scrollback(&mut self, stored: Vec<Entry>) {
        let old = std::mem::replace(&mut self.entries, stored);
        let mut own = Vec::new();
        for entry in old {
            match entry.delivery {
                Delivery::Stored { .. } => {}
                Delivery::Local { .. } => {
                    self.insert_entry(entry);
                }
                Delivery::Pending { .. } | Delivery::Failed { .. } => own.push(entry),
            }
        }
        self.entries.extend(own);
    }

    /// Adds a line of the app's own ("bezoeker is terug") after the last stored message.
    fn add_local(&mut self, text: &str, at_ms: i64) {
        let after_seq = self.last_seq();
        self.insert_entry(Entry {
            from: Party::Relay,
            text: text.to_owned(),
            at_ms,
            delivery: Delivery::Local { after_seq },
        });
    }

    fn forget_unacked(&mut self, client_id: &str) {
        self.unacked.retain(|(id, _)| id != client_id);
    }
}

/// A message box over the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help,
    ConfirmEnd(ConversationId),
    ConfirmQuit,
    /// The canned responses, waiting for a key. `search` is `Some` once the counselor
    /// searches; `selected` indexes [`App::canned_matches`].
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
    /// The last question before a destructive `purpose` (reveal, block) goes out.
    ConfirmCompose {
        purpose: Compose,
        text: String,
    },
    /// Pick the colleague to hand `conversation` over to; `selected` indexes
    /// [`App::transfer_targets`].
    PickColleague {
        conversation: ConversationId,
        selected: usize,
    },
    /// The wrap-up registration of an ended conversation.
    WrapUp(WrapUpForm),
    /// The ended conversations still to register; `selected` indexes
    /// [`App::to_register`].
    ToRegister {
        selected: usize,
    },
    /// Supervisors and administrators: the reveal requests; `selected` indexes
    /// [`App::reveals`].
    Reveals {
        selected: usize,
    },
    /// Administrators: the staff accounts; `selected` indexes [`App::accounts`].
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
    /// Administrators: the visitor blocks; `selected` indexes [`App::blocks`].
    Blocks {
        selected: usize,
    },
}

/// A line in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    /// It disappears at this time.
    pub until_ms: i64,
}

/// Where message ids come from: random in the app, counting in tests.
#[derive(Clone, Debug)]
pub enum ClientIds {
    Random,
    Sequential(u64),
}

impl ClientIds {
    fn next(&mut self) -> Option<String> {
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
                Popup::Help => PopupKind::Help,
                Popup::ConfirmEnd(_) | Popup::ConfirmQuit | Popup::ConfirmClose { .. } => {
                    PopupKind::Confirm
                }
                Popup::Canned { search, .. } => PopupKind::Canned {
                    searching: search.is_some(),
                },
                Popup::CloseReason { .. } | Popup::Compose { .. } => PopupKind::Reason,
                Popup::ConfirmCompose { .. } | Popup::ConfirmAccount(_) => PopupKind::Confirm,
                Popup::PickColleague { .. } | Popup::ToRegister { .. } | Popup::PickRole { .. } => {
                    PopupKind::Pick
                }
                Popup::Accounts { .. } => PopupKind::Accounts,
                Popup::AccountSecret { .. } => PopupKind::Secret,
                Popup::Blocks { .. } => PopupKind::Blocks,
                Popup::WrapUp(_) => PopupKind::WrapUp,
                Popup::Reveals { .. } => PopupKind::Reveals,
            }),
            focus: self.focus,
            input_empty: self
                .active_conversation()
                .is_none_or(|c| c.draft.is_empty()),
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
            Action::Send => self.send(),
            Action::Newline => {
                if self.can_write()
                    && let Some(c) = self.active_mut()
                {
                    c.draft.insert_newline();
                }
            }
            Action::LeaveInput => self.focus = Focus::Conversations,
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
            Action::TagName => self.open_compose(Compose::TagName),
            Action::ShowToRegister => self.show_to_register(),
            Action::ToggleTopic => self.toggle_topic(),
            Action::ShowReveals => self.show_reveals(),
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
            });
        }
    }

    /// Moves the help popup by `step` lines, keeping its last page on screen.
    fn scroll_help(&mut self, step: isize) {
        let total = crate::ui::help_row_count(self);
        let max = total.saturating_sub(crate::ui::help_rows_visible(self.screen.1, total));
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
        });
    }

    fn error(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: true,
            until_ms: self.now_ms + ERROR_NOTICE_MS,
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

    fn cycle_focus(&mut self, forward: bool) {
        let mut order = vec![Focus::Queue, Focus::Conversations];
        if self.can_write() {
            order.push(Focus::Input);
        }
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        self.focus = order[next];
    }

    fn move_selection(&mut self, step: isize) {
        match self.popup {
            Some(Popup::Help) => return self.scroll_help(step),
            Some(Popup::Canned { .. }) => {
                let last = self.canned_matches().len().saturating_sub(1);
                if let Some(Popup::Canned { selected, .. }) = &mut self.popup {
                    *selected = selected.saturating_add_signed(step).min(last);
                }
                return;
            }
            Some(_) => return self.move_in_popup(step),
            None => {}
        }
        match self.focus {
            Focus::Queue => {
                let rows = self.queue_rows();
                if let Some(row) = step_in(&rows, self.queue_cursor.as_ref(), step) {
                    self.queue_cursor = Some(row);
                }
            }
            Focus::Conversations => {
                let ids: Vec<ConversationId> =
                    self.conversations.iter().map(|c| c.id.clone()).collect();
                if let Some(id) = step_in(&ids, self.conversation_cursor.as_ref(), step) {
                    self.conversation_cursor = Some(id);
                }
            }
            Focus::Input => {}
        }
    }

    fn step_conversation(&mut self, step: isize) {
        let ids: Vec<ConversationId> = self.conversations.iter().map(|c| c.id.clone()).collect();
        if ids.is_empty() {
            return;
        }
        let n = ids.len() as isize;
        let at = self
            .active
            .as_ref()
            .and_then(|a| ids.iter().position(|id| id == a))
            .map_or(if step > 0 { -1 } else { 0 }, |i| i as isize);
        let next = (at + step).rem_euclid(n) as usize;
        self.activate(ids[next].clone());
    }

    /// Makes a conversation the active one: shown on the right, its unread cleared.
    fn activate(&mut self, id: ConversationId) {
        if let Some(c) = self.conversation_mut(&id) {
            c.unread = 0;
            self.conversation_cursor = Some(id.clone());
            self.active = Some(id);
        }
        if self.focus == Focus::Input && !self.can_write() {
            self.focus = Focus::Conversations;
        }
    }

    fn take(&mut self, next_of_service: bool) {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
            return;
        }
        let Some(row) = self.queue_cursor.clone() else {
            self.error(strings::NOTHING_SELECTED.into());
            return;
        };
        let conversation = match &row {
            QueueRow::Visitor(_, conversation) if !next_of_service => Some(conversation.clone()),
            _ => None,
        };
        let request = StaffRequest::Take {
            service: row.service().clone(),
            conversation,
        };
        if self.request(request) {
            self.awaiting_take = true;
            self.info(strings::TAKING.into());
        }
    }

    fn ask_end(&mut self) {
        let Some(c) = self.active_conversation() else {
            return;
        };
        if c.ended.is_some() {
            // Already over: this closes it in the list.
            let id = c.id.clone();
            self.close_conversation(&id);
        } else if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
        } else {
            self.popup = Some(Popup::ConfirmEnd(c.id.clone()));
        }
    }

    fn close_conversation(&mut self, id: &ConversationId) {
        let Some(at) = self.conversations.iter().position(|c| &c.id == id) else {
            return;
        };
        self.conversations.remove(at);
        let next = self
            .conversations
            .get(at.min(self.conversations.len().saturating_sub(1)))
            .map(|c| c.id.clone());
        if self.active.as_ref() == Some(id) {
            self.active = None;
            if let Some(next) = next.clone() {
                self.activate(next);
            }
        }
        if self.conversation_cursor.as_ref() == Some(id) {
            self.conversation_cursor = self.active.clone().or(next);
        }
        if self.focus == Focus::Input && !self.can_write() {
            self.focus = Focus::Conversations;
        }
    }

    fn confirm(&mut self) {
        let (request, doing) = match self.popup.take() {
            Some(Popup::ConfirmEnd(id)) => {
                (StaffRequest::End { conversation: id }, strings::ENDING)
            }
            Some(Popup::ConfirmClose { service, reason }) => (
                StaffRequest::CloseService { service, reason },
                strings::CLOSING_SERVICE,
            ),
            Some(Popup::ConfirmQuit) => return self.quit(),
            Some(Popup::ConfirmCompose { purpose, text }) => {
                return self.send_compose(purpose, text);
            }
            Some(Popup::ConfirmAccount(change)) => return self.send_account_change(change),
            // Not a question: "yes" means nothing there.
            other => {
                self.popup = other;
                return;
            }
        };
        if self.request(request) {
            self.info(doing.into());
        }
    }

    fn open_canned(&mut self) {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
        } else if !self.can_write() {
            self.error(strings::NO_CONVERSATION.into());
        } else if self.settings.canned.is_empty() {
            self.info(strings::NO_CANNED.into());
        } else {
            self.popup = Some(Popup::Canned {
                search: None,
                selected: 0,
            });
        }
    }

    /// A key in the canned popup: the key of a response picks it; while searching,
    /// letters and Backspace edit the search.
    fn canned_key(&mut self, input: Input) {
        let Some(Popup::Canned { search, selected }) = &mut self.popup else {
            return;
        };
        match (input.key, search) {
            (Key::Char(c), Some(search)) if !input.ctrl && !input.alt => {
                search.push(c);
                *selected = 0;
            }
            (Key::Backspace, Some(search)) => {
                search.pop();
                *selected = 0;
            }
            (Key::Char(key), None) if !input.ctrl && !input.alt => {
                match self.settings.canned.iter().find(|c| c.key == key) {
                    Some(canned) => {
                        let text = canned.text.clone();
                        self.insert_canned(&text);
                    }
                    None => {
                        let key = sanitize::line(&key.to_string());
                        self.error(strings::no_canned_under(&key));
                    }
                }
            }
            _ => {}
        }
    }

    /// Puts a canned text in the active draft, unsent, for the counselor to edit.
    fn insert_canned(&mut self, text: &str) {
        self.popup = None;
        if !self.can_write() {
            self.error(strings::NO_CONVERSATION.into());
            return;
        }
        self.focus = Focus::Input;
        if let Some(c) = self.active_mut()
            && c.draft.insert_str(text)
        {
            self.typed();
        }
    }

    fn accept(&mut self) {
        match &self.popup {
            Some(Popup::Canned { selected, .. }) => {
                let text = self.canned_matches().get(*selected).map(|c| c.text.clone());
                if let Some(text) = text {
                    self.insert_canned(&text);
                }
            }
            Some(Popup::CloseReason { service, reason }) => {
                let reason = reason.trim().to_owned();
                if reason.is_empty() {
                    self.error(strings::NEED_REASON.into());
                    return;
                }
                self.popup = Some(Popup::ConfirmClose {
                    service: service.clone(),
                    reason,
                });
            }
            _ => self.accept_workbench(),
        }
    }

    /// The text a popup is typing into, if it takes text.
    fn popup_text(&mut self) -> Option<&mut String> {
        match &mut self.popup {
            Some(Popup::CloseReason { reason: text, .. } | Popup::Compose { text, .. }) => {
                Some(text)
            }
            Some(Popup::WrapUp(form)) => Some(&mut form.notes),
            _ => None,
        }
    }

    fn reason_key(&mut self, input: Input) {
        let Some(reason) = self.popup_text() else {
            return;
        };
        match input.key {
            Key::Char(c) if !input.ctrl && !input.alt => {
                push_reason(reason, &sanitize::line(&c.to_string()));
            }
            Key::Backspace => {
                reason.pop();
            }
            _ => {}
        }
    }

    fn toggle_dossier(&mut self) {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
            return;
        }
        let Some(c) = self.active_conversation() else {
            return;
        };
        if c.no_dossier {
            self.error(strings::DOSSIER_REFUSED.into());
            return;
        }
        let request = StaffRequest::MarkDossier {
            conversation: c.id.clone(),
            candidate: !c.dossier_candidate,
        };
        let id = c.id.clone();
        if self.request(request) {
            self.pending_dossier = Some(id);
            self.info(strings::DOSSIER_UPDATING.into());
        }
    }

    /// The selected queue row's service, for the administrator's keys.
    fn admin_service(&mut self) -> Option<ServiceId> {
        if !self.is_admin() {
            self.error(strings::ADMIN_ONLY.into());
            return None;
        }
        let service = self.queue_cursor.as_ref().map(|r| r.service().clone());
        if service.is_none() {
            self.error(strings::NOTHING_SELECTED.into());
        }
        service
    }

    fn ask_close_service(&mut self) {
        if let Some(service) = self.admin_service() {
            self.popup = Some(Popup::CloseReason {
                service,
                reason: String::new(),
            });
        }
    }

    fn open_service(&mut self) {
        let Some(service) = self.admin_service() else {
            return;
        };
        let closed = self
            .services
            .iter()
            .any(|s| s.service == service && s.closed_reason.is_some());
        if !closed {
            self.info(strings::SERVICE_NOT_CLOSED.into());
        } else if self.request(StaffRequest::OpenService { service }) {
            self.info(strings::OPENING_SERVICE.into());
        }
    }

    fn send(&mut self) {
        if !self.can_write() {
            return;
        }
        let Some(c) = self.active_conversation() else {
            return;
        };
        let text = c.draft.lines().join("\n");
        let conversation = c.id.clone();
        if text.trim().is_empty() {
            return;
        }
        if text.len() > MAX_TEXT_BYTES {
            self.error(strings::too_long(text.len(), MAX_TEXT_BYTES));
            return;
        }
        if !self.is_connected() {
            self.error(strings::NOT_CONNECTED.into());
            return;
        }
        let Some(client_id) = self.client_ids.next() else {
            self.error(strings::NO_RANDOM.into());
            return;
        };
        self.outbox.push(NetCommand::Request(StaffRequest::Send {
            conversation,
            client_id: client_id.clone(),
            text: text.clone(),
        }));
        let now_ms = self.now_ms;
        if let Some(c) = self.active_mut() {
            c.unacked.push((client_id.clone(), text.clone()));
            c.entries.push(Entry {
                from: Party::Counselor,
                text: sanitize::text(&text),
                at_ms: now_ms,
                delivery: Delivery::Pending { client_id },
            });
            c.draft = new_draft();
            if c.scroll > 0 {
                c.back_at_bottom();
            }
        }
    }

    /// The counselor changed the draft: tell the relay, at most every 3 seconds.
    fn typed(&mut self) {
        let now_ms = self.now_ms;
        let connected = self.is_connected();
        let Some(c) = self.active_mut() else {
            return;
        };
        if !connected || c.draft.is_empty() {
            return;
        }
        if c.last_typing_sent_ms
            .is_some_and(|at| now_ms - at < TYPING_THROTTLE_MS)
        {
            return;
        }
        c.last_typing_sent_ms = Some(now_ms);
        let conversation = c.id.clone();
        self.outbox
            .push(NetCommand::Request(StaffRequest::Typing { conversation }));
    }

    fn on_net(&mut self, event: NetEvent) {
        match event {
            NetEvent::Connected(info) => self.signed_in(info),
            NetEvent::Staff(event) => self.on_staff(*event),
            NetEvent::Disconnected { reason, retrying } => {
                let reason = sanitize::line(&reason);
                self.error(strings::connection_lost(&reason));
                self.connection = if retrying {
                    Connection::Reconnecting { reason }
                } else {
                    Connection::Offline { reason }
                };
                self.awaiting_take = false;
                self.older_not_coming();
                for c in &mut self.conversations {
                    c.visitor_typing_at_ms = None;
                    for e in &mut c.entries {
                        if let Delivery::Pending { client_id } = &e.delivery {
                            e.delivery = Delivery::Failed {
                                client_id: client_id.clone(),
                                reason: strings::CONNECTION_LOST.into(),
                            };
                        }
                    }
                }
            }
            NetEvent::LoginFailed(message) => {
                self.exit_message = Some(strings::session_refused(&sanitize::line(&message)));
                self.quit();
            }
        }
    }

    fn signed_in(&mut self, info: LoginInfo) {
        let reconnected = self.account.is_some();
        let account = Account {
            user: sanitize::line(&info.user),
            role: info.role,
            capacity: info.capacity,
        };
        self.user = account.user.clone();
        self.account = Some(account);
        self.settings = effective_settings(info.settings);
        self.connection = Connection::Connected;
        if self.focus == Focus::Input && !self.can_write() {
            self.focus = Focus::Queue;
        }
        if reconnected {
            self.info(strings::RECONNECTED.into());
        }
        if matches!(
            self.popup,
            Some(Popup::CloseReason { .. } | Popup::ConfirmClose { .. })
        ) && !self.is_admin()
        {
            self.popup = None;
        }
        self.check_guidance();
    }

    fn on_staff(&mut self, event: StaffEvent) {
        match event {
            StaffEvent::LoginOk {
                protocol,
                user,
                role,
                capacity,
                settings,
                token: _,
            } => self.signed_in(LoginInfo {
                protocol,
                user,
                role,
                capacity,
                settings,
            }),
            StaffEvent::Queue { services } => self.queue_snapshot(services),
            StaffEvent::Conversation {
                conversation,
                service,
                nickname,
                intake,
                started_at_ms,
                messages,
                no_dossier,
                dossier_candidate,
                linked_to,
                visitor_away_until_ms,
                notes,
                handover,
                watching,
                counselor,
                truncated,
                tagged_names,
            } => self.conversation_snapshot(Conversation {
                id: conversation,
                service: ServiceId(sanitize::line(&service.0)),
                nickname: sanitize::line(&nickname),
                intake,
                started_at_ms,
                entries: messages.into_iter().map(stored_entry).collect(),
                unread: 0,
                visitor_typing_at_ms: None,
                ended: None,
                scroll: 0,
                older: if truncated {
                    Older::OnRelay
                } else {
                    Older::Nothing
                },
                draft: new_draft(),
                no_dossier,
                dossier_candidate,
                visitor_away_until_ms,
                linked: linked_to.map(|conversation| Linked {
                    conversation,
                    nickname: None,
                }),
                unacked: Vec::new(),
                last_typing_sent_ms: None,
                guidance_warned: false,
                notes: notes.into_iter().map(sanitize_note).collect(),
                handover: handover.map(|h| Handover {
                    from: sanitize::line(&h.from),
                    note: sanitize::text(&h.note),
                    at_ms: h.at_ms,
                }),
                reveal: None,
                tagged_names: tagged_names.iter().map(|n| sanitize::line(n)).collect(),
                watching,
                counselor: counselor.map(|c| sanitize::line(&c)),
            }),
            StaffEvent::Synced { conversations } => self.synced(&conversations),
            StaffEvent::History {
                conversation,
                messages,
            } => self.history(&conversation, messages),
            StaffEvent::VisitorAway {
                conversation,
                until_ms,
            } => self.visitor_away(&conversation, until_ms),
            StaffEvent::VisitorBack { conversation } => self.visitor_back(&conversation),
            StaffEvent::Dossier {
                conversation,
                no_dossier,
                dossier_candidate,
            } => self.dossier(&conversation, no_dossier, dossier_candidate),
            StaffEvent::Message {
                conversation,
                message,
            } => {
                let is_active = self.active.as_ref() == Some(&conversation);
                let Some(c) = self.conversation_mut(&conversation) else {
                    tracing::debug!("message for a conversation we do not hold");
                    return;
                };
                let from_visitor = message.from == Party::Visitor;
                let last_seq = c.last_seq();
                // Messages come in `seq` order: one further on means we missed some.
                let gap = message.seq > last_seq + 1;
                let is_new = c.insert_entry(stored_entry(message));
                c.bound_live();
                let mut news = None;
                if from_visitor {
                    c.visitor_typing_at_ms = None;
                    if is_new && !is_active {
                        c.unread += 1;
                        news = (!c.watching).then(|| c.nickname.clone());
                    }
                }
                if let Some(nickname) = news {
                    let text = strings::new_message_from(&nickname);
                    self.notify(notify::Event::Message, text, false);
                }
                if gap {
                    self.outbox.push(NetCommand::Request(StaffRequest::History {
                        conversation,
                        after_seq: last_seq,
                        before_seq: None,
                        limit: None,
                    }));
                }
            }
            StaffEvent::Ack {
                conversation,
                client_id,
                seq,
                at_ms,
            } => {
                let Some(c) = self.conversation_mut(&conversation) else {
                    return;
                };
                c.forget_unacked(&client_id);
                let Some(at) = c.entries.iter().position(|e| match &e.delivery {
                    Delivery::Pending { client_id: id }
                    | Delivery::Failed { client_id: id, .. } => *id == client_id,
                    Delivery::Stored { .. } | Delivery::Local { .. } => false,
                }) else {
                    return;
                };
                // A resend of a message the relay had stored: the snapshot already holds
                // it under `seq`, and this copy goes.
                let mut entry = c.entries.remove(at);
                entry.delivery = Delivery::Stored { seq };
                entry.at_ms = at_ms;
                c.insert_entry(entry);
            }
            StaffEvent::Typing { conversation } => {
                let now_ms = self.now_ms;
                if let Some(c) = self.conversation_mut(&conversation) {
                    c.visitor_typing_at_ms = Some(now_ms);
                }
            }
            StaffEvent::Ended {
                conversation,
                by,
                reason,
            } => self.ended(&conversation, Some(by), reason),
            StaffEvent::Error(reply) => self.relay_error(reply),
            StaffEvent::NoteAdded { conversation, note } => self.note_added(&conversation, note),
            StaffEvent::Transferred { conversation, to } => self.transferred(&conversation, &to),
            StaffEvent::ToRegister { conversations } => self.pending_wrap_ups(conversations),
            StaffEvent::Staff { counselors } => self.staff_list(counselors),
            StaffEvent::Dashboard { services } => self.dashboard_snapshot(services),
            StaffEvent::Reveals { requests } => self.reveals_list(requests),
            StaffEvent::Reveal {
                conversation,
                request,
                ip,
            } => self.reveal_state(&conversation, request.state, ip),
            StaffEvent::Blocked {
                conversation,
                block,
            } => self.blocked(&conversation, block.until_ms),
            StaffEvent::Blocks { blocks } => self.blocks_list(blocks),
            StaffEvent::NamesTagged {
                conversation,
                names,
            } => self.names_tagged(&conversation, &names),
            // The preview screen comes with the app's restructuring; nothing asks yet.
            StaffEvent::AnonymisedPreview { .. } => {}
            StaffEvent::Accounts { accounts } => self.accounts_list(accounts),
            StaffEvent::AccountSecret { user, password } => {
                self.account_secret(&user, &password);
            }
        }
    }

    fn queue_snapshot(&mut self, services: Vec<ServiceQueue>) {
        let old_rows = self.queue_rows();
        let old = std::mem::take(&mut self.services);
        self.services = services
            .into_iter()
            .map(|s| ServiceQueue {
                service: ServiceId(sanitize::line(&s.service.0)),
                name: sanitize::line(&s.name),
                status: s.status,
                closed_reason: s.closed_reason.as_deref().map(sanitize::line),
                waiting: s
                    .waiting
                    .into_iter()
                    .map(|e| QueueEntry {
                        nickname: sanitize::line(&e.nickname),
                        ..e
                    })
                    .collect(),
            })
            .collect();
        let rows = self.queue_rows();
        let keep = self.queue_cursor.as_ref().is_some_and(|c| rows.contains(c));
        if !keep {
            // The selected visitor left (or was taken): select whatever now sits at the
            // same place, so the cursor does not jump to the top.
            let at = self
                .queue_cursor
                .as_ref()
                .and_then(|c| old_rows.iter().position(|r| r == c))
                .unwrap_or(0);
            self.queue_cursor = rows.get(at.min(rows.len().saturating_sub(1))).cloned();
        }
        self.queue_news(&old);
    }

    fn conversation_snapshot(&mut self, mut fresh: Conversation) {
        let id = fresh.id.clone();
        if let Some(linked) = &mut fresh.linked {
            linked.nickname = self
                .conversations
                .iter()
                .find(|c| c.id == linked.conversation)
                .map(|c| c.nickname.clone());
        }
        let now_ms = self.now_ms;
        if let Some(c) = self.conversation_mut(&id) {
            // A resend (after a reconnect): take the relay's scrollback, keep our
            // unacknowledged messages, the draft and the unread count.
            c.replace_scrollback(fresh.entries);
            c.older = fresh.older;
            c.bound_live();
            c.nickname = fresh.nickname;
            c.intake = fresh.intake;
            c.service = fresh.service;
            c.started_at_ms = fresh.started_at_ms;
            c.no_dossier = fresh.no_dossier;
            c.dossier_candidate = fresh.dossier_candidate;
            c.notes = fresh.notes;
            c.handover = fresh.handover;
            c.tagged_names = fresh.tagged_names;
            c.watching = fresh.watching;
            c.counselor = fresh.counselor;
            c.ended = None;
            if c.visitor_away_until_ms.is_some() && fresh.visitor_away_until_ms.is_none() {
                // They came back while we were away.
                c.add_local(strings::VISITOR_BACK_LINE, now_ms);
            }
            c.visitor_away_until_ms = fresh.visitor_away_until_ms;
            c.linked = match (c.linked.take(), fresh.linked) {
                // Keep the nickname we knew, if the linked conversation is closed now.
                (Some(old), Some(new)) if old.conversation == new.conversation => Some(Linked {
                    nickname: new.nickname.or(old.nickname),
                    ..new
                }),
                (_, new) => new,
            };
            self.check_guidance();
            return;
        }
        let nickname = fresh.nickname.clone();
        // A relay set to send longer snapshots than the app keeps in live view.
        fresh.bound_live();
        self.conversations.push(fresh);
        if self.awaiting_take || self.active.is_none() {
            self.activate(id);
            if self.awaiting_take {
                self.info(strings::conversation_started(&nickname));
                if self.can_write() {
                    self.focus = Focus::Input;
                }
            }
        } else if self.conversation_cursor.is_none() {
            self.conversation_cursor = Some(id);
        }
        self.awaiting_take = false;
        self.check_guidance();
    }

    fn dossier(&mut self, id: &ConversationId, no_dossier: bool, candidate: bool) {
        let ours = self.pending_dossier.as_ref() == Some(id);
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        let newly_refused = no_dossier && !c.no_dossier;
        let changed = candidate != c.dossier_candidate;
        c.no_dossier = no_dossier;
        c.dossier_candidate = candidate;
        let text = if newly_refused {
            strings::visitor_refused_dossier(&c.nickname)
        } else if ours || changed {
            strings::dossier_marked(&c.nickname, candidate)
        } else {
            return;
        };
        if ours {
            self.pending_dossier = None;
        }
        self.info(text);
    }

    fn ended(&mut self, id: &ConversationId, by: Option<Party>, reason: Option<String>) {
        let reason = reason.map(|r| sanitize::line(&r));
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        c.ended = Some(Ending { by, reason });
        c.visitor_typing_at_ms = None;
        c.visitor_away_until_ms = None;
        let text = strings::conversation_ended(&c.nickname, by);
        if self.popup == Some(Popup::ConfirmEnd(id.clone())) {
            self.popup = None;
        }
        if self.focus == Focus::Input && !self.can_write() {
            self.focus = Focus::Conversations;
        }
        self.info(text);
        if by == Some(Party::Counselor) {
            self.offer_wrap_up(id);
        }
    }

    /// After a sign-in, every `conversation` has come: `open` lists all our open
    /// conversations. One we still show that is not among them ended while we were away;
    /// in the others, what the relay never acknowledged goes out again, under its
    /// original `client_id` (the relay stores it once and acks it with its `seq`).
    fn synced(&mut self, open: &[ConversationId]) {
        let mut resend = Vec::new();
        let mut gone = Vec::new();
        for c in &mut self.conversations {
            if !c.is_open() {
                continue;
            }
            if !open.contains(&c.id) {
                gone.push(c.id.clone());
                continue;
            }
            for e in &mut c.entries {
                let Delivery::Failed { client_id, .. } = &e.delivery else {
                    continue;
                };
                let Some((_, text)) = c.unacked.iter().find(|(id, _)| id == client_id) else {
                    continue;
                };
                resend.push(StaffRequest::Send {
                    conversation: c.id.clone(),
                    client_id: client_id.clone(),
                    text: text.clone(),
                });
                e.delivery = Delivery::Pending {
                    client_id: client_id.clone(),
                };
            }
        }
        if !resend.is_empty() {
            self.info(strings::resent(resend.len()));
        }
        self.outbox
            .extend(resend.into_iter().map(NetCommand::Request));
        for id in gone {
            if let Some(c) = self.conversation_mut(&id) {
                c.unacked.clear();
            }
            self.ended(&id, None, Some(strings::ENDED_WHILE_OFFLINE.into()));
        }
    }

    /// The reply to our `history`: a page of older messages we asked for while the
    /// counselor scrolled up, or the messages we missed (a gap), merged by `seq`.
    fn history(&mut self, id: &ConversationId, messages: Vec<ChatMessage>) {
        let is_active = self.active.as_ref() == Some(id);
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        if let Older::Loading { before_seq } = c.older
            && messages.iter().all(|m| m.seq < before_seq)
        {
            // Fewer than asked for, or the first message: nothing older is left.
            let start = messages.len() < HISTORY_PAGE || messages.iter().any(|m| m.seq <= 1);
            for message in messages {
                // Old messages: not unread. The view stays put: `scroll` counts lines
                // from the bottom, and these go on top.
                c.insert_entry(stored_entry(message));
            }
            c.older = if start { Older::Start } else { Older::OnRelay };
            return;
        }
        // Nothing older than what we hold: that would leave a hole (a page we no longer
        // wait for, after the oldest messages were dropped again).
        let oldest = match c.older {
            Older::OnRelay | Older::Loading { .. } => c.first_seq(),
            Older::Nothing | Older::Start => None,
        };
        for message in messages {
            if oldest.is_some_and(|oldest| message.seq < oldest) {
                continue;
            }
            let from_visitor = message.from == Party::Visitor;
            if c.insert_entry(stored_entry(message)) && from_visitor && !is_active {
                c.unread += 1;
            }
        }
        c.bound_live();
    }

    /// The counselor scrolled up to the top of what the app holds: ask the relay for the
    /// page before it, once. The scrollback shows "Oudere berichten laden…" meanwhile.
    fn load_older(&mut self, id: &ConversationId) {
        let connected = self.is_connected();
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        // The relay keeps no history for an ended conversation's counselor.
        if c.older != Older::OnRelay || !c.is_open() || !connected {
            return;
        }
        let Some(before_seq) = c.first_seq() else {
            c.older = Older::Nothing;
            return;
        };
        c.older = Older::Loading { before_seq };
        self.outbox.push(NetCommand::Request(StaffRequest::History {
            conversation: id.clone(),
            after_seq: 0,
            before_seq: Some(before_seq),
            limit: Some(HISTORY_PAGE as u32),
        }));
    }

    /// A page we asked for will not come (the line dropped, the relay refused): the next
    /// scroll to the top asks again.
    fn older_not_coming(&mut self) {
        for c in &mut self.conversations {
            if let Older::Loading { .. } = c.older {
                c.older = Older::OnRelay;
            }
        }
    }

    /// PgUp: one step up, never past the top. Reaching the top of a conversation whose
    /// older messages are on the relay fetches them.
    fn scroll_up(&mut self) {
        let Some(id) = self.active.clone() else {
            return;
        };
        let size = crate::ui::scrollback_size(self);
        let Some(c) = self.conversation_mut(&id) else {
            return;
        };
        let wanted = c.scroll.saturating_add(SCROLL_STEP);
        let Some((width, height)) = size else {
            c.scroll = wanted;
            return;
        };
        // One line more than the view needs says whether there is more above it.
        let lines = crate::ui::scrollback_line_count(c, width, height + wanted + 1);
        if lines > height + wanted {
            c.scroll = wanted;
        } else {
            c.scroll = lines.saturating_sub(height);
            self.load_older(&id);
        }
    }

    fn scroll_down(&mut self) {
        if let Some(c) = self.active_mut() {
            c.scroll = c.scroll.saturating_sub(SCROLL_STEP);
            if c.scroll == 0 {
                c.back_at_bottom();
            }
        }
    }

    fn visitor_away(&mut self, id: &ConversationId, until_ms: i64) {
        let now_ms = self.now_ms;
        let Some(c) = self.conversation_mut(id).filter(|c| c.is_open()) else {
            return;
        };
        let was_away = c.visitor_away_until_ms.replace(until_ms).is_some();
        c.visitor_typing_at_ms = None;
        if !was_away {
            c.add_local(strings::VISITOR_AWAY_LINE, now_ms);
            let text = strings::visitor_away(&c.nickname);
            self.info(text);
        }
    }

    fn visitor_back(&mut self, id: &ConversationId) {
        let now_ms = self.now_ms;
        let Some(c) = self.conversation_mut(id).filter(|c| c.is_open()) else {
            return;
        };
        c.visitor_away_until_ms = None;
        c.add_local(strings::VISITOR_BACK_LINE, now_ms);
        let text = strings::visitor_back(&c.nickname);
        self.info(text);
    }

    fn relay_error(&mut self, reply: ErrorReply) {
        let message = sanitize::line(&reply.message);
        if matches!(
            reply.code,
            ErrorCode::Forbidden
                | ErrorCode::NotFound
                | ErrorCode::AtCapacity
                | ErrorCode::QueueEmpty
                | ErrorCode::ServiceOffline
                | ErrorCode::ServiceBusy
        ) {
            self.awaiting_take = false;
        }
        if reply.client_id.is_none()
            && matches!(
                reply.code,
                ErrorCode::Forbidden
                    | ErrorCode::NotFound
                    | ErrorCode::Invalid
                    | ErrorCode::Internal
                    | ErrorCode::RateLimited
            )
        {
            // Maybe the refusal of a page of older messages (errors don't name their
            // request): asking again on the next scroll to the top does no harm.
            self.older_not_coming();
        }
        if reply.code == ErrorCode::DossierRefused {
            // The visitor said "geen dossier", maybe just now: show it on the conversation.
            if let Some(id) = self.pending_dossier.take()
                && let Some(c) = self.conversation_mut(&id)
            {
                c.no_dossier = true;
                c.dossier_candidate = false;
            }
            self.error(strings::DOSSIER_REFUSED.into());
            return;
        }
        let text = strings::relay_error(reply.code, &message);
        if let Some(client_id) = &reply.client_id {
            for c in &mut self.conversations {
                // `internal`: not stored, safe to resend (after a reconnect we do).
                // Anything else would be refused again.
                if reply.code != ErrorCode::Internal {
                    c.forget_unacked(client_id);
                }
                for e in &mut c.entries {
                    let matches = match &e.delivery {
                        Delivery::Pending { client_id: id } => id == client_id,
                        _ => false,
                    };
                    if matches {
                        e.delivery = Delivery::Failed {
                            client_id: client_id.clone(),
                            reason: strings::error_label(reply.code).into(),
                        };
                    }
                }
            }
        }
        self.error(text);
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
