//! The link to the relay as the app sees it: the network worker's events, signing
//! in, `synced` after a reconnect (what ended meanwhile, what goes out again), and the
//! relay's error replies.

use chathulp_shared::staff::StaffRequest;
use chathulp_shared::{ConversationId, ErrorCode, ErrorReply};

use super::{App, effective_settings};
use crate::link::{LoginInfo, NetCommand, NetEvent};
use crate::model::{Account, Connection, Delivery, Focus, Popup};
use crate::{sanitize, strings};

impl App {
    pub(super) fn on_net(&mut self, event: NetEvent) {
        match event {
            NetEvent::Connected(info) => self.signed_in(info),
            NetEvent::Staff(event) => self.on_staff(*event),
            NetEvent::Disconnected { reason, retrying } => {
                let reason = sanitize::line(&reason);
                if self.take_failed() {
                    let lost = strings::connection_lost(&reason);
                    self.error(format!("{lost} {}", strings::TAKE_AHEAD_LOST));
                } else {
                    self.error(strings::connection_lost(&reason));
                }
                self.connection = if retrying {
                    Connection::Reconnecting { reason }
                } else {
                    Connection::Offline { reason }
                };
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

    pub(super) fn signed_in(&mut self, info: LoginInfo) {
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
        if self.focus == Focus::Input && !self.can_type() {
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

    /// After a sign-in, every `conversation` has come: `open` lists all our open
    /// conversations. One we still show that is not among them ended while we were away;
    /// in the others, what the relay never acknowledged goes out again, under its
    /// original `client_id` (the relay stores it once and acks it with its `seq`).
    pub(super) fn synced(&mut self, open: &[ConversationId]) {
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

    /// The take we asked for will not come: the focus leaves the input, so that what is
    /// typed next cannot land in another conversation. True if typed-ahead text was
    /// dropped (it was never sent).
    pub(super) fn take_failed(&mut self) -> bool {
        self.awaiting_take = false;
        let Some(ahead) = self.take_ahead.take() else {
            return false;
        };
        if self.focus == Focus::Input {
            self.focus = Focus::Queue;
        }
        !ahead.draft.is_empty() || !ahead.sent.is_empty()
    }

    pub(super) fn relay_error(&mut self, reply: ErrorReply) {
        let message = sanitize::line(&reply.message);
        // Maybe the refusal of our take (errors don't name their request; one with a
        // `client_id` is about a message). Then the greeting typed ahead had nowhere to go.
        let take_refused = reply.client_id.is_none()
            && matches!(
                reply.code,
                ErrorCode::Forbidden
                    | ErrorCode::NotFound
                    | ErrorCode::AtCapacity
                    | ErrorCode::QueueEmpty
                    | ErrorCode::ServiceOffline
                    | ErrorCode::ServiceBusy
                    | ErrorCode::Internal
                    | ErrorCode::RateLimited
            );
        let typed_lost = take_refused && self.take_failed();
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
        let mut text = strings::relay_error(reply.code, &message);
        if typed_lost {
            text = format!("{text} {}", strings::TAKE_AHEAD_LOST);
        }
        if reply.code == ErrorCode::QueueEmpty {
            self.error(text);
            if let Some(notice) = &mut self.notice {
                notice.until_someone_waits = true;
            }
            return;
        }
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
