//! The panes: moving the focus and the selection, switching the active conversation,
//! taking a visitor from the queue, ending and closing a conversation, and the dossier
//! mark.

use chathulp_shared::staff::StaffRequest;
use chathulp_shared::{ConversationId, ServiceId};

use super::{App, new_draft, step_in};
use crate::model::{Focus, Popup, QueueRow, TakeAhead};
use crate::strings;

impl App {
    pub(super) fn cycle_focus(&mut self, forward: bool) {
        let mut order = vec![Focus::Queue, Focus::Conversations];
        if self.can_type() {
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
        if self.focus == Focus::Input && !self.can_type() {
            self.focus = Focus::Conversations;
        }
    }

    pub(super) fn take(&mut self, next_of_service: bool) {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
            return;
        }
        let row = self.queue_cursor.clone();
        let request = match row {
            Some(QueueRow::Visitor(service, conversation)) if !next_of_service => {
                StaffRequest::Take {
                    service,
                    conversation: Some(conversation),
                }
            }
            Some(row) if !next_of_service => StaffRequest::Take {
                service: row.service().clone(),
                conversation: None,
            },
            row => {
                // `t`: the highlighted service's longest-waiting visitor; if nobody waits
                // there, the longest-waiting one of all our services.
                let highlighted = row.as_ref().map(|r| r.service().clone());
                let Some(service) = highlighted
                    .clone()
                    .filter(|s| self.waiting_in(s) > 0)
                    .or_else(|| self.longest_waiting_service())
                    .or(highlighted)
                else {
                    self.error(strings::NOTHING_SELECTED.into());
                    return;
                };
                StaffRequest::Take {
                    service,
                    conversation: None,
                }
            }
        };
        if self.request(request) {
            self.awaiting_take = true;
            self.info(strings::TAKING.into());
            // What follows is the greeting: it goes to the input, never to the lists.
            self.take_ahead.get_or_insert_with(|| TakeAhead {
                draft: new_draft(),
                sent: Vec::new(),
            });
            self.focus = Focus::Input;
        }
    }

    /// How many visitors wait at `service`, as the last snapshot showed.
    fn waiting_in(&self, service: &ServiceId) -> usize {
        self.services
            .iter()
            .find(|s| &s.service == service)
            .map_or(0, |s| s.waiting.len())
    }

    /// The service whose first visitor has waited longest, of all ours.
    fn longest_waiting_service(&self) -> Option<ServiceId> {
        self.services
            .iter()
            .filter_map(|s| s.waiting.first().map(|e| (e.since_ms, &s.service)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, service)| service.clone())
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
        if self.focus == Focus::Input && !self.can_type() {
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
        self.popup = Some(Popup::ConfirmDossier {
            conversation: c.id.clone(),
            candidate: !c.dossier_candidate,
        });
    }

    /// "Yes" to the dossier question.
    pub(super) fn mark_dossier(&mut self, conversation: ConversationId, candidate: bool) {
        let request = StaffRequest::MarkDossier {
            conversation: conversation.clone(),
            candidate,
        };
        if self.request(request) {
            self.pending_dossier = Some(conversation);
            self.info(strings::DOSSIER_UPDATING.into());
        }
    }
}
