//! Writing and reading a conversation: sending (with a `client_id`, resent after a
//! reconnect until acknowledged), the typing signal, and the scrollback: scrolling,
//! and fetching older pages from the relay when the counselor scrolls to the top.

use chathulp_shared::limits::MAX_TEXT_BYTES;
use chathulp_shared::staff::StaffRequest;
use chathulp_shared::{ChatMessage, ConversationId, Party};

use super::{App, SCROLL_STEP, TYPING_THROTTLE_MS, new_draft, stored_entry};
use crate::link::NetCommand;
use crate::model::{Delivery, Entry, HISTORY_PAGE, Older};
use crate::{layout, sanitize, strings};

impl App {
    pub(super) fn send(&mut self) {
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

    /// Enter while typing ahead of a take: the text waits for the conversation to open.
    pub(super) fn send_ahead(&mut self) {
        let Some(ahead) = &mut self.take_ahead else {
            return;
        };
        let text = ahead.draft.lines().join("\n");
        if !text.trim().is_empty() {
            ahead.sent.push(text);
            ahead.draft = new_draft();
        }
    }

    /// The taken conversation is the active one now: what was finished with Enter goes
    /// out, in order, and the rest is its draft. A text that cannot go stays in the draft,
    /// with everything after it.
    pub(super) fn land_take_ahead(&mut self) {
        let Some(ahead) = self.take_ahead.take() else {
            return;
        };
        let mut left: Vec<String> = Vec::new();
        for text in ahead.sent {
            if !left.is_empty() {
                left.push(text);
                continue;
            }
            if let Some(c) = self.active_mut() {
                c.draft = new_draft();
                c.draft.insert_str(&text);
            }
            self.send();
            if self
                .active_conversation()
                .is_none_or(|c| !c.draft.is_empty())
            {
                left.push(text);
            }
        }
        let draft = ahead.draft.lines().join("\n");
        if !draft.is_empty() {
            left.push(draft);
        }
        if let Some(c) = self.active_mut() {
            c.draft = new_draft();
            c.draft.insert_str(left.join("\n"));
        }
        self.typed();
    }

    /// The counselor changed the draft: tell the relay, at most every 3 seconds.
    pub(super) fn typed(&mut self) {
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

    /// The reply to our `history`: a page of older messages we asked for while the
    /// counselor scrolled up, or the messages we missed (a gap), merged by `seq`.
    pub(super) fn history(&mut self, id: &ConversationId, messages: Vec<ChatMessage>) {
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
    pub(super) fn load_older(&mut self, id: &ConversationId) {
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
    pub(super) fn older_not_coming(&mut self) {
        for c in &mut self.conversations {
            if let Older::Loading { .. } = c.older {
                c.older = Older::OnRelay;
            }
        }
    }

    /// PgUp: one step up, never past the top. Reaching the top of a conversation whose
    /// older messages are on the relay fetches them.
    pub(super) fn scroll_up(&mut self) {
        let Some(id) = self.active.clone() else {
            return;
        };
        let size = self
            .active_conversation()
            .map(|c| layout::scrollback_size(self.screen, self.shows_reveal_banner(), c));
        let Some(c) = self.conversation_mut(&id) else {
            return;
        };
        let wanted = c.scroll.saturating_add(SCROLL_STEP);
        let Some((width, height)) = size else {
            c.scroll = wanted;
            return;
        };
        // One line more than the view needs says whether there is more above it.
        let lines = layout::scrollback_line_count(c, width, height + wanted + 1);
        if lines > height + wanted {
            c.scroll = wanted;
        } else {
            c.scroll = lines.saturating_sub(height);
            self.load_older(&id);
        }
    }

    pub(super) fn scroll_down(&mut self) {
        if let Some(c) = self.active_mut() {
            c.scroll = c.scroll.saturating_sub(SCROLL_STEP);
            if c.scroll == 0 {
                c.back_at_bottom();
            }
        }
    }
}
