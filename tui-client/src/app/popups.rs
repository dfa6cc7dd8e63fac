//! The popups' keys: the yes/no questions, the canned responses (pick by key or
//! search), typed reasons and notes, and Enter in a popup that takes input.

use chathulp_shared::staff::StaffRequest;
use ratatui_textarea::{Input, Key};

use super::{App, push_reason};
use crate::model::{Focus, Popup};
use crate::{sanitize, strings};

impl App {
    pub(super) fn confirm(&mut self) {
        let (request, doing) = match self.popup.take() {
            Some(Popup::ConfirmEnd(id)) => {
                (StaffRequest::End { conversation: id }, strings::ENDING)
            }
            Some(Popup::ConfirmClose { service, reason }) => (
                StaffRequest::CloseService { service, reason },
                strings::CLOSING_SERVICE,
            ),
            Some(Popup::ConfirmQuit) => return self.quit(),
            Some(Popup::ConfirmDossier {
                conversation,
                candidate,
            }) => return self.mark_dossier(conversation, candidate),
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

    pub(super) fn open_canned(&mut self) {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
        } else if !self.can_type() {
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
    pub(super) fn canned_key(&mut self, input: Input) {
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

    /// Puts a canned text in the active draft, unsent, for the counselor to edit; while a
    /// take is under way, in the text typed ahead for it.
    pub(super) fn insert_canned(&mut self, text: &str) {
        self.popup = None;
        if self.focus == Focus::Input
            && let Some(ahead) = &mut self.take_ahead
        {
            ahead.draft.insert_str(text);
            return;
        }
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

    pub(super) fn accept(&mut self) {
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
    pub(super) fn popup_text(&mut self) -> Option<&mut String> {
        match &mut self.popup {
            Some(Popup::CloseReason { reason: text, .. } | Popup::Compose { text, .. }) => {
                Some(text)
            }
            Some(Popup::WrapUp(form)) => Some(&mut form.notes),
            _ => None,
        }
    }

    pub(super) fn reason_key(&mut self, input: Input) {
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
}
