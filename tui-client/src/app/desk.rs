//! The panes: moving the focus and the selection, switching the active conversation,
//! taking a visitor from the queue, ending and closing a conversation, and the dossier
//! mark.

use chathulp_shared::ConversationId;
use chathulp_shared::staff::StaffRequest;

use super::{App, step_in};
use crate::model::{Focus, Popup, QueueRow};
use crate::strings;

impl App {
    pub(super) fn cycle_focus(&mut self, forward: bool) {
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

    pub(super) fn move_selection(&mut self, step: isize) {
        match self.popup {
            Some(Popup::Help) => return self.scroll_help(step),
            // The drawing keeps the last page in view; here the offset only moves.
            Some(Popup::Preview { .. }) => {
                if let Some(Popup::Preview { scroll, .. }) = &mut self.popup {
                    *scroll = scroll.saturating_add_signed(step);
                }
                return;
            }
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

    pub(super) fn step_conversation(&mut self, step: isize) {
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
    pub(super) fn activate(&mut self, id: ConversationId) {
        if let Some(c) = self.conversation_mut(&id) {
            c.unread = 0;
            self.conversation_cursor = Some(id.clone());
            self.active = Some(id);
        }
        if self.focus == Focus::Input && !self.can_write() {
            self.focus = Focus::Conversations;
        }
    }

    pub(super) fn take(&mut self, next_of_service: bool) {
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

    pub(super) fn ask_end(&mut self) {
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

    pub(super) fn close_conversation(&mut self, id: &ConversationId) {
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

    pub(super) fn toggle_dossier(&mut self) {
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
}
