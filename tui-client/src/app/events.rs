//! The relay's staff events applied to the state: queue and conversation snapshots,
//! messages, typing, endings, dossier replies and the visitor's absence and return.

use chathulp_shared::staff::{Handover, QueueEntry, ServiceQueue, StaffEvent, StaffRequest};
use chathulp_shared::{ConversationId, Party, ServiceId};

use super::{App, new_draft, notify, sanitize_note, stored_entry};
use crate::link::{LoginInfo, NetCommand};
use crate::model::{Conversation, Delivery, Ending, Focus, Linked, Older, Popup};
use crate::{sanitize, strings};

impl App {
    pub(super) fn on_staff(&mut self, event: StaffEvent) {
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
            StaffEvent::AnonymisedPreview {
                conversation,
                messages,
            } => self.preview_arrived(&conversation, messages),
            StaffEvent::Accounts { accounts } => self.accounts_list(accounts),
            StaffEvent::AccountSecret { user, password } => {
                self.account_secret(&user, &password);
            }
        }
    }

    pub(super) fn queue_snapshot(&mut self, services: Vec<ServiceQueue>) {
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
                        // One line: the message's line breaks become spaces.
                        first_words: e
                            .first_words
                            .as_deref()
                            .map(|w| sanitize::line(&w.replace(['\r', '\n'], " "))),
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
        if self.notice.as_ref().is_some_and(|n| n.until_someone_waits)
            && self.services.iter().any(|s| !s.waiting.is_empty())
        {
            self.notice = None;
        }
        self.queue_news(&old);
    }

    pub(super) fn conversation_snapshot(&mut self, mut fresh: Conversation) {
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
                    self.land_take_ahead();
                }
            }
        } else if self.conversation_cursor.is_none() {
            self.conversation_cursor = Some(id);
        }
        self.awaiting_take = false;
        self.check_guidance();
    }

    pub(super) fn dossier(&mut self, id: &ConversationId, no_dossier: bool, candidate: bool) {
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

    pub(super) fn ended(&mut self, id: &ConversationId, by: Option<Party>, reason: Option<String>) {
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
        if self.focus == Focus::Input && !self.can_type() {
            self.focus = Focus::Conversations;
        }
        self.info(text);
        if by == Some(Party::Counselor) {
            self.offer_wrap_up(id);
        }
    }

    pub(super) fn visitor_away(&mut self, id: &ConversationId, until_ms: i64) {
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

    pub(super) fn visitor_back(&mut self, id: &ConversationId) {
        let now_ms = self.now_ms;
        let Some(c) = self.conversation_mut(id).filter(|c| c.is_open()) else {
            return;
        };
        c.visitor_away_until_ms = None;
        c.add_local(strings::VISITOR_BACK_LINE, now_ms);
        let text = strings::visitor_back(&c.nickname);
        self.info(text);
    }
}
