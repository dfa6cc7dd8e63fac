//! One conversation as the app holds it: its scrollback (stored, pending and the app's
//! own lines, merged by `seq`), its draft, and what the relay told about it. The
//! methods keep the scrollback in order and bounded; [`crate::app`] calls them.

use chathulp_shared::staff::{Handover, InternalNote, RevealState};
use chathulp_shared::{ConversationId, Intake, Party, ServiceId};
use ratatui_textarea::TextArea;

/// The "bezoeker typt…" line shows this long after the visitor's last typing signal.
pub const TYPING_SHOWN_MS: i64 = 5_000;
/// Older scrollback comes from the relay in pages of this many messages (the relay's
/// default `limits.snapshot_messages`, the size of a `conversation` snapshot).
pub const HISTORY_PAGE: usize = 200;
/// A conversation in live view (scrolled to the bottom) holds at most this many stored
/// messages. Past it, the oldest go, down to [`HISTORY_PAGE`]; scrolling up to them
/// fetches them again. Back at the bottom, pages loaded while scrolled up go the same way.
pub const LIVE_WINDOW: usize = 2 * HISTORY_PAGE;

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
    pub(crate) unacked: Vec<(String, String)>,
    /// When we last told the relay we are typing here.
    pub(crate) last_typing_sent_ms: Option<i64>,
    /// The guidance warning was shown (it shows once per conversation).
    pub(crate) guidance_warned: bool,
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
    pub(crate) fn trim_old(&mut self, keep: usize) {
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
    pub(crate) fn bound_live(&mut self) {
        if self.scroll == 0 && self.stored_count() > LIVE_WINDOW {
            self.trim_old(HISTORY_PAGE);
        }
    }

    /// Back at the bottom after scrolling up: the older pages loaded meanwhile go again.
    pub(crate) fn back_at_bottom(&mut self) {
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
    pub(crate) fn insert_entry(&mut self, entry: Entry) -> bool {
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
    pub(crate) fn replace_scrollback(&mut self, stored: Vec<Entry>) {
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
    pub(crate) fn add_local(&mut self, text: &str, at_ms: i64) {
        let after_seq = self.last_seq();
        self.insert_entry(Entry {
            from: Party::Relay,
            text: text.to_owned(),
            at_ms,
            delivery: Delivery::Local { after_seq },
        });
    }

    pub(crate) fn forget_unacked(&mut self, client_id: &str) {
        self.unacked.retain(|(id, _)| id != client_id);
    }
}
