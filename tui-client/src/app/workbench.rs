//! The counselor's workbench tools and the supervisors' view, on top of the chat core in
//! [`super`]: the activity hotlist, internal notes, transfer, the wrap-up registration,
//! emergency reveal and block requests, the dashboard with `watch`, and the reveal
//! decisions of administrators.
//!
//! Destructive requests (reveal, block) go out only after a reason and a second "yes";
//! everything staff-typed or relay-sent is sanitized on its way in, like the rest.

use chathulp_shared::staff::{
    CounselorLoad, InternalNote, PendingWrapUp, PreviewMessage, RevealRequest, RevealState,
    ServiceDashboard, StaffRequest,
};
use chathulp_shared::{ConversationId, Party, ServiceId};

use super::{App, sanitize_note};
use crate::model::{Compose, Focus, Popup, QueueRow, RevealView, WrapUpForm};
use crate::{sanitize, strings};

impl App {
    /// The dashboard entry of `service`, for supervisors and administrators.
    pub fn dashboard_of(&self, service: &ServiceId) -> Option<&ServiceDashboard> {
        self.dashboard.iter().find(|d| &d.service == service)
    }

    /// Colleagues a conversation can go to: signed in, not us, with room.
    pub fn transfer_targets(&self) -> Vec<&CounselorLoad> {
        self.staff
            .iter()
            .filter(|c| c.user != self.user && c.load < c.capacity)
            .collect()
    }

    /// Reveal requests still waiting for an administrator.
    pub fn pending_reveals(&self) -> usize {
        self.reveals
            .iter()
            .filter(|r| r.state == RevealState::Pending)
            .count()
    }

    /// Whether the screen shows the banner of waiting reveal requests: to supervisors and
    /// administrators, while one waits.
    pub fn shows_reveal_banner(&self) -> bool {
        self.read_only() && self.pending_reveals() > 0
    }

    /// When the visitor's oldest message that we have not answered yet arrived: the
    /// first visitor message after our last message.
    pub fn unanswered_since(c: &super::Conversation) -> Option<i64> {
        c.entries
            .iter()
            .rev()
            .take_while(|e| e.from != Party::Counselor)
            .filter(|e| e.from == Party::Visitor)
            .map(|e| e.at_ms)
            .last()
    }

    /// The open conversations in the order the hotlist visits them: a pending emergency
    /// (reveal request) first, then the longest unanswered visitor message, then the
    /// rest in list order.
    pub fn hotlist(&self) -> Vec<ConversationId> {
        let mut open: Vec<(usize, &super::Conversation)> = self
            .conversations
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_open())
            .collect();
        let rank = |c: &super::Conversation| {
            let emergency = c
                .reveal
                .as_ref()
                .is_some_and(|r| r.state == RevealState::Pending);
            match (emergency, Self::unanswered_since(c)) {
                (true, _) => (0, 0),
                (false, Some(since)) => (1, since),
                (false, None) => (2, 0),
            }
        };
        open.sort_by_key(|(at, c)| (rank(c), *at));
        open.into_iter().map(|(_, c)| c.id.clone()).collect()
    }

    /// Alt-a: the first conversation of the hotlist that is not the one in view.
    pub(super) fn jump_hotlist(&mut self) {
        let next = self
            .hotlist()
            .into_iter()
            .find(|id| self.active.as_ref() != Some(id));
        match next {
            Some(id) => {
                self.activate(id);
                // Straight to the answer, as after a take.
                if self.can_write() {
                    self.focus = Focus::Input;
                }
            }
            None => self.info(strings::HOTLIST_EMPTY.into()),
        }
    }

    /// Esc: a wrap-up form closed unsaved is postponed, and says where to find it.
    /// Leaving a step of the account desk goes back to the account list.
    pub(super) fn close_popup(&mut self) {
        match self.popup.take() {
            Some(Popup::WrapUp(_)) => self.info(strings::WRAP_UP_POSTPONED.into()),
            Some(Popup::Compose {
                purpose: Compose::TagName(_),
                ..
            }) => self.popup = self.stashed_wrap_up.take().map(Popup::WrapUp),
            Some(Popup::ConfirmAccount(change)) => self.back_to_accounts(Some(change.user())),
            Some(Popup::AccountSecret { user, .. } | Popup::PickRole { user, .. }) => {
                self.back_to_accounts(Some(&user));
            }
            _ => {}
        }
    }

    /// The active open conversation, for a counselor's tool; says why not otherwise.
    fn own_active(&mut self) -> Option<ConversationId> {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
            return None;
        }
        let id = self
            .active_conversation()
            .filter(|c| c.is_open())
            .map(|c| c.id.clone());
        if id.is_none() {
            self.error(strings::NO_CONVERSATION.into());
        }
        id
    }

    /// Our active conversation, live or ended (not one we only watch), for the tools that
    /// still make sense after the end: tagging a name and the anonymised preview.
    fn own_active_or_ended(&mut self) -> Option<ConversationId> {
        if self.read_only() {
            self.error(strings::READ_ONLY_REFUSED.into());
            return None;
        }
        let id = self
            .active_conversation()
            .filter(|c| !c.watching)
            .map(|c| c.id.clone());
        if id.is_none() {
            self.error(strings::NO_CONVERSATION.into());
        }
        id
    }

    /// `m`: tag a name said in our active conversation, live or ended. Alt-m in the
    /// wrap-up form tags one in the conversation being registered, and the form comes
    /// back afterwards as it was.
    pub(super) fn tag_name(&mut self) {
        let conversation = match self.popup.take() {
            Some(Popup::WrapUp(form)) => {
                let id = form.conversation.clone();
                self.stashed_wrap_up = Some(form);
                id
            }
            other => {
                self.popup = other;
                let Some(id) = self.own_active_or_ended() else {
                    return;
                };
                id
            }
        };
        self.popup = Some(Popup::Compose {
            purpose: Compose::TagName(conversation),
            text: String::new(),
        });
    }

    pub(super) fn open_compose(&mut self, purpose: fn(ConversationId) -> Compose) {
        if let Some(id) = self.own_active() {
            self.popup = Some(Popup::Compose {
                purpose: purpose(id),
                text: String::new(),
            });
        }
    }

    /// Asks the relay for the active conversation's anonymised transcript, to check
    /// before it goes to the team; the popup shows it once it arrives.
    pub(super) fn open_preview(&mut self) {
        let Some(conversation) = self.own_active_or_ended() else {
            return;
        };
        if !self.request(StaffRequest::AnonymisedPreview {
            conversation: conversation.clone(),
        }) {
            return;
        }
        self.popup = Some(Popup::Preview {
            conversation,
            messages: None,
            scroll: 0,
        });
    }

    /// The relay's anonymised transcript, for the preview still open on it.
    pub(super) fn preview_arrived(
        &mut self,
        conversation: &ConversationId,
        arrived: Vec<PreviewMessage>,
    ) {
        if let Some(Popup::Preview {
            conversation: open,
            messages,
            ..
        }) = &mut self.popup
            && open == conversation
        {
            *messages = Some(arrived);
        }
    }

    pub(super) fn open_transfer(&mut self) {
        let Some(conversation) = self.own_active() else {
            return;
        };
        if self.transfer_targets().is_empty() {
            self.info(strings::NO_COLLEAGUES.into());
            return;
        }
        self.popup = Some(Popup::PickColleague {
            conversation,
            selected: 0,
        });
    }

    /// Copies the active conversation's id: the event loop writes it to the terminal's
    /// clipboard (OSC 52), and the notice shows it for terminals that ignore that.
    pub(super) fn copy_id(&mut self) {
        let Some(id) = self.active.clone() else {
            self.error(strings::NO_CONVERSATION.into());
            return;
        };
        self.info(strings::copied_id(&id.0));
        self.clipboard = Some(id.0);
    }

    pub(super) fn show_to_register(&mut self) {
        if self.to_register.is_empty() {
            self.info(strings::NOTHING_TO_REGISTER.into());
        } else {
            self.popup = Some(Popup::ToRegister { selected: 0 });
        }
    }

    pub(super) fn show_reveals(&mut self) {
        if self.reveals.is_empty() {
            self.info(strings::NO_REVEALS.into());
        } else {
            self.popup = Some(Popup::Reveals { selected: 0 });
        }
    }

    /// Supervisors and administrators: the "Cijfers" screen. It draws from the dashboard
    /// the relay keeps sending, so it needs no request and stays live.
    pub(super) fn show_figures(&mut self) {
        if !self.read_only() {
            self.error(strings::FIGURES_ONLY.into());
        } else {
            self.popup = Some(Popup::Figures { first: 0 });
        }
    }

    /// How many services the "Cijfers" screen shows at once on this screen.
    pub fn figures_per_page(&self) -> usize {
        let banner = self.shows_reveal_banner();
        crate::layout::figures_per_page(self.screen, banner, self.dashboard.len())
    }

    /// An administrator approves or denies the highlighted request: the reason next.
    pub(super) fn open_decide(&mut self, approve: bool) {
        if !self.is_admin() {
            self.error(strings::ADMIN_ONLY.into());
            return;
        }
        let Some(Popup::Reveals { selected }) = &self.popup else {
            return;
        };
        let Some(request) = self.reveals.get(*selected) else {
            return;
        };
        if request.state != RevealState::Pending {
            self.info(strings::REVEAL_ALREADY_DECIDED.into());
            return;
        }
        self.popup = Some(Popup::Compose {
            purpose: Compose::Decide {
                request: request.id,
                approve,
            },
            text: String::new(),
        });
    }

    /// Supervisors and administrators: follow the selected live conversation.
    pub(super) fn watch_selected(&mut self) {
        let Some(QueueRow::Live(_, conversation)) = self.queue_cursor.clone() else {
            self.info(strings::PICK_LIVE.into());
            return;
        };
        if self.conversations.iter().any(|c| c.id == conversation) {
            self.activate(conversation);
        } else if self.request(StaffRequest::Watch { conversation }) {
            self.awaiting_take = true;
        }
    }

    /// Stop following the watched conversation in view.
    pub(super) fn unwatch_active(&mut self) {
        let Some(id) = self
            .active_conversation()
            .filter(|c| c.watching)
            .map(|c| c.id.clone())
        else {
            return;
        };
        if self.request(StaffRequest::Unwatch {
            conversation: id.clone(),
        }) {
            self.close_conversation(&id);
        }
    }

    /// Tab in the wrap-up form: choose or unchoose the highlighted topic.
    pub(super) fn toggle_topic(&mut self) {
        if let Some(Popup::WrapUp(form)) = &mut self.popup
            && let Some(chosen) = form.chosen.get_mut(form.selected)
        {
            *chosen = !*chosen;
        }
    }

    pub(super) fn move_in_popup(&mut self, step: isize) {
        let len = match &self.popup {
            Some(Popup::PickColleague { .. }) => self.transfer_targets().len(),
            Some(Popup::ToRegister { .. }) => self.to_register.len(),
            Some(Popup::Reveals { .. }) => self.reveals.len(),
            Some(Popup::Accounts { .. }) => self.accounts.len(),
            Some(Popup::Blocks { .. }) => self.blocks.len(),
            // The last page stays full.
            Some(Popup::Figures { .. }) => {
                let shown = self.figures_per_page();
                self.dashboard.len().saturating_sub(shown) + 1
            }
            Some(Popup::PickRole { .. }) => super::ROLES.len(),
            Some(Popup::WrapUp(form)) => form.chosen.len(),
            _ => return,
        };
        let last = len.saturating_sub(1);
        let selected = match &mut self.popup {
            Some(
                Popup::PickColleague { selected, .. }
                | Popup::ToRegister { selected }
                | Popup::Reveals { selected }
                | Popup::Accounts { selected }
                | Popup::Blocks { selected }
                | Popup::Figures { first: selected }
                | Popup::PickRole { selected, .. },
            ) => selected,
            Some(Popup::WrapUp(form)) => &mut form.selected,
            _ => return,
        };
        *selected = selected.saturating_add_signed(step).min(last);
    }

    /// Enter in a workbench popup.
    pub(super) fn accept_workbench(&mut self) {
        match self.popup.clone() {
            Some(Popup::Compose { purpose, text }) => {
                let text = text.trim().to_owned();
                if text.is_empty() {
                    self.error(strings::NEED_TEXT.into());
                } else if purpose == Compose::AccountName {
                    self.popup = Some(Popup::PickRole {
                        user: text,
                        selected: 0,
                    });
                } else if purpose.is_destructive() {
                    self.popup = Some(Popup::ConfirmCompose { purpose, text });
                } else {
                    self.send_compose(purpose, text);
                }
            }
            Some(Popup::PickColleague {
                conversation,
                selected,
            }) => {
                if let Some(to) = self
                    .transfer_targets()
                    .get(selected)
                    .map(|c| c.user.clone())
                {
                    self.popup = Some(Popup::Compose {
                        purpose: Compose::Transfer { conversation, to },
                        text: String::new(),
                    });
                }
            }
            Some(Popup::ToRegister { selected }) => {
                if let Some(pending) = self.to_register.get(selected).cloned() {
                    self.open_wrap_up(pending.conversation, pending.nickname);
                }
            }
            Some(Popup::WrapUp(form)) => self.send_wrap_up(form),
            Some(Popup::PickRole { user, selected }) => self.create_account(user, selected),
            _ => {}
        }
    }

    /// Sends a composed text (after its confirmation, if it needs one).
    pub(super) fn send_compose(&mut self, purpose: Compose, text: String) {
        self.popup = None;
        let (request, doing) = match purpose {
            Compose::Note(conversation) => (
                StaffRequest::Note { conversation, text },
                strings::NOTE_SAVING,
            ),
            Compose::Transfer { conversation, to } => (
                StaffRequest::Transfer {
                    conversation,
                    to,
                    note: text,
                },
                strings::TRANSFERRING,
            ),
            Compose::Reveal(conversation) => {
                let now_ms = self.now_ms;
                if let Some(c) = self.conversation_mut(&conversation) {
                    c.reveal = Some(RevealView {
                        state: RevealState::Pending,
                        ip: None,
                    });
                    c.add_local(strings::REVEAL_REQUESTED_LINE, now_ms);
                }
                (
                    StaffRequest::RequestReveal {
                        conversation,
                        reason: text,
                    },
                    strings::REVEAL_REQUESTING,
                )
            }
            Compose::Block(conversation) => (
                StaffRequest::Block {
                    conversation,
                    reason: text,
                },
                strings::BLOCKING,
            ),
            Compose::Decide { request, approve } => (
                StaffRequest::DecideReveal {
                    request,
                    approve,
                    reason: text,
                },
                strings::DECIDING,
            ),
            Compose::LiftBlock(block) => (
                StaffRequest::LiftBlock {
                    block,
                    reason: text,
                },
                strings::LIFTING,
            ),
            Compose::TagName(conversation) => (
                StaffRequest::TagName {
                    conversation,
                    name: text,
                },
                strings::TAGGING_NAME,
            ),
            // Never sent as such: Enter goes on to the role (see `accept_workbench`).
            Compose::AccountName => return,
        };
        if self.request(request) {
            self.info(doing.into());
        }
        // Tagged from the wrap-up form: back to it.
        if let Some(form) = self.stashed_wrap_up.take() {
            self.popup = Some(Popup::WrapUp(form));
        }
    }

    /// Opens the registration form of an ended conversation.
    pub(super) fn open_wrap_up(&mut self, conversation: ConversationId, nickname: String) {
        self.popup = Some(Popup::WrapUp(WrapUpForm {
            conversation,
            nickname,
            chosen: vec![false; self.settings.topics.len()],
            selected: 0,
            notes: String::new(),
        }));
    }

    fn send_wrap_up(&mut self, form: WrapUpForm) {
        let topics: Vec<String> = self
            .settings
            .topics
            .iter()
            .zip(&form.chosen)
            .filter(|(_, chosen)| **chosen)
            .map(|(topic, _)| topic.clone())
            .collect();
        if topics.is_empty() && form.notes.trim().is_empty() {
            self.error(strings::WRAP_UP_EMPTY.into());
            return;
        }
        let request = StaffRequest::WrapUp {
            conversation: form.conversation.clone(),
            topics,
            notes: form.notes.trim().to_owned(),
        };
        if self.request(request) {
            self.popup = None;
            // Until the relay's next `to_register` says so, it is off our list.
            self.to_register
                .retain(|p| p.conversation != form.conversation);
            self.info(strings::WRAP_UP_SAVED.into());
        }
    }

    /// A conversation of ours ended: its registration form opens at once when nothing
    /// else is open, so it is done while the conversation is fresh. Otherwise it waits in
    /// the "to register" list.
    pub(super) fn offer_wrap_up(&mut self, id: &ConversationId) {
        if self.read_only() || self.popup.is_some() {
            return;
        }
        if let Some(c) = self.conversations.iter().find(|c| &c.id == id) {
            let nickname = c.nickname.clone();
            self.open_wrap_up(id.clone(), nickname);
        }
    }

    pub(super) fn note_added(&mut self, id: &ConversationId, note: InternalNote) {
        if let Some(c) = self.conversation_mut(id) {
            c.notes.push(sanitize_note(note));
        }
    }

    pub(super) fn transferred(&mut self, id: &ConversationId, to: &str) {
        let nickname = self
            .conversations
            .iter()
            .find(|c| &c.id == id)
            .map(|c| c.nickname.clone());
        if let Some(nickname) = nickname {
            self.close_conversation(id);
            self.info(strings::transferred(&nickname, &sanitize::line(to)));
        }
    }

    pub(super) fn pending_wrap_ups(&mut self, list: Vec<PendingWrapUp>) {
        self.to_register = list
            .into_iter()
            .map(|p| PendingWrapUp {
                nickname: sanitize::line(&p.nickname),
                service: ServiceId(sanitize::line(&p.service.0)),
                ..p
            })
            .collect();
        if let Some(Popup::ToRegister { selected }) = &mut self.popup {
            if self.to_register.is_empty() {
                self.popup = None;
            } else {
                *selected = (*selected).min(self.to_register.len() - 1);
            }
        }
    }

    pub(super) fn staff_list(&mut self, counselors: Vec<CounselorLoad>) {
        self.staff = counselors
            .into_iter()
            .map(|c| CounselorLoad {
                user: sanitize::line(&c.user),
                ..c
            })
            .collect();
    }

    pub(super) fn dashboard_snapshot(&mut self, services: Vec<ServiceDashboard>) {
        self.dashboard = services
            .into_iter()
            .map(|mut d| {
                d.service = ServiceId(sanitize::line(&d.service.0));
                d.name = sanitize::line(&d.name);
                for live in &mut d.in_progress {
                    live.counselor = sanitize::line(&live.counselor);
                    live.nickname = sanitize::line(&live.nickname);
                }
                d
            })
            .collect();
        let rows = self.queue_rows();
        if self
            .queue_cursor
            .as_ref()
            .is_some_and(|c| !rows.contains(c))
        {
            self.queue_cursor = rows.first().cloned();
        }
    }

    /// Supervisors and administrators: a request that was not pending before rings the
    /// bell and flashes; the banner stays while any is pending.
    pub(super) fn reveals_list(&mut self, requests: Vec<RevealRequest>) {
        let was_pending: Vec<u64> = self
            .reveals
            .iter()
            .filter(|r| r.state == RevealState::Pending)
            .map(|r| r.id)
            .collect();
        self.reveals = requests
            .into_iter()
            .map(|r| RevealRequest {
                service: ServiceId(sanitize::line(&r.service.0)),
                counselor: sanitize::line(&r.counselor),
                reason: sanitize::line(&r.reason),
                decided_by: r.decided_by.as_deref().map(sanitize::line),
                decision_reason: r.decision_reason.as_deref().map(sanitize::line),
                ..r
            })
            .collect();
        let new = self
            .reveals
            .iter()
            .any(|r| r.state == RevealState::Pending && !was_pending.contains(&r.id));
        if new {
            let text = strings::REVEAL_FLAGGED.into();
            self.notify(super::notify::Event::Emergency, text, true);
        }
        if let Some(Popup::Reveals { selected }) = &mut self.popup {
            *selected = (*selected).min(self.reveals.len().saturating_sub(1));
        }
    }

    /// The state of our own reveal request; with `ip` once approved.
    pub(super) fn reveal_state(
        &mut self,
        id: &ConversationId,
        state: RevealState,
        ip: Option<String>,
    ) {
        let now_ms = self.now_ms;
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        let ip = ip
            .filter(|_| state == RevealState::Approved)
            .map(|ip| sanitize::line(&ip));
        let line = match state {
            RevealState::Pending => None,
            RevealState::Approved => Some(strings::REVEAL_APPROVED_LINE),
            RevealState::Denied => Some(strings::REVEAL_DENIED_LINE),
        };
        c.reveal = Some(RevealView { state, ip });
        if let Some(line) = line {
            c.add_local(line, now_ms);
            self.notify(super::notify::Event::Emergency, line.into(), true);
        }
    }

    /// The relay's list of names tagged in a conversation (sanitized: staff-typed, but
    /// shown in the terminal).
    pub(super) fn names_tagged(&mut self, id: &ConversationId, names: &[String]) {
        let names: Vec<String> = names.iter().map(|n| sanitize::line(n)).collect();
        let Some(c) = self.conversation_mut(id) else {
            return;
        };
        let added = names.len() > c.tagged_names.len();
        c.tagged_names = names;
        if added && !c.watching {
            self.info(strings::NAME_TAGGED.into());
        }
    }

    pub(super) fn blocked(&mut self, id: &ConversationId, until_ms: i64) {
        if let Some(nickname) = self
            .conversations
            .iter()
            .find(|c| &c.id == id)
            .map(|c| c.nickname.clone())
        {
            self.info(strings::blocked(&nickname, until_ms));
        }
        if self.focus == Focus::Input && !self.can_type() {
            self.focus = Focus::Conversations;
        }
    }

    /// The event loop takes what `copy_id` put on the clipboard.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }
}
