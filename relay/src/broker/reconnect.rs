//! When a line drops: the reconnect window, resuming with a token, the nickname-only
//! return, a counselor who drops, and restoring everything after a relay restart.
//!
//! The seed promises: "Meld je in dat geval opnieuw aan met dezelfde nickname. Als je dit
//! binnen de vijf minuten doet, dan wordt het gesprek ... terug opgepikt door dezelfde
//! hulpverlener." A dropped visitor's conversation keeps its place (queue position or
//! counselor slot) for the window; so does a dropped counselor's. Only the resume token
//! gives back the transcript: a nickname is no secret.

use chathulp_shared::staff::StaffEvent;
use chathulp_shared::visitor::VisitorEvent;
use chathulp_shared::{ConversationId, ErrorCode, ErrorReply, Party, ServiceId};

use super::{Broker, Live, Outbox, State, internal};
use crate::accounts::token_digest;
use crate::store::StoreError;

/// Why a conversation ends when its visitor does not come back in time.
const VISITOR_GONE: &str = "verbinding verbroken: de bezoeker kwam niet terug binnen de wachttijd";

/// What a visitor's socket needs after a successful `resume`.
#[derive(Debug)]
pub struct Resumption {
    pub conversation: ConversationId,
    /// Which socket this is, for [`Broker::visitor_left`].
    pub socket: u64,
    /// The `resumed` reply.
    pub reply: VisitorEvent,
}

/// A conversation that ended while its visitor was away.
pub(super) struct EndedWhileAway {
    pub(super) conversation: ConversationId,
    /// Whether a counselor had taken it.
    pub(super) assigned: bool,
    /// The `ended` the visitor would have received.
    pub(super) event: VisitorEvent,
    /// The end of the visitor's reconnect window (Unix ms).
    pub(super) until_ms: i64,
}

impl State {
    /// The conversation a visitor returning under `nickname` without their token probably
    /// belongs to: same service, same nickname (any case), visitor away, held by a
    /// counselor. Returns it and that counselor.
    pub(super) fn returning_visitor(
        &self,
        service: &ServiceId,
        nickname: &str,
    ) -> Option<(ConversationId, String)> {
        let nickname = nickname.to_lowercase();
        self.conversations
            .iter()
            .filter(|(_, l)| {
                &l.service == service
                    && l.visitor_away_until_ms.is_some()
                    && l.nickname.to_lowercase() == nickname
            })
            .min_by_key(|(_, l)| l.queued_at_ms)
            .and_then(|(id, l)| l.counselor.clone().map(|c| (id.clone(), c)))
    }

    /// 1-based queue position of a waiting conversation.
    pub(super) fn position_of(&self, service: &ServiceId, id: &ConversationId) -> Option<u32> {
        let s = self.service(service)?;
        let index = s.queue.iter().position(|q| q == id)?;
        u32::try_from(index + 1).ok()
    }

    /// The conversations `user` holds.
    fn conversations_of(&self, user: &str) -> impl Iterator<Item = (&ConversationId, &Live)> {
        self.conversations
            .iter()
            .filter(move |(_, l)| l.counselor.as_deref() == Some(user))
    }
}

impl Broker {
    fn window_ms(&self) -> i64 {
        let secs = self.shared.config.limits.reconnect_window_secs;
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// A visitor comes back with the token from their `welcome`, within the window. Their
    /// new socket takes over, they get every message after `last_seq`, and their
    /// counselor hears "bezoeker is terug".
    pub async fn visitor_resume(
        &self,
        token: &str,
        last_seq: u64,
        outbox: Outbox<VisitorEvent>,
    ) -> Result<Resumption, ErrorReply> {
        let failed = || {
            ErrorReply::new(
                ErrorCode::ResumeFailed,
                "this conversation can't be resumed (it ended or the wait was too long)",
            )
        };
        let digest = token_digest(token);
        let found = {
            let mut state = self.state();
            let live = state
                .conversations
                .iter()
                .find(|(_, l)| l.resume_token_sha256 == digest)
                .map(|(id, _)| id.clone());
            match live {
                Some(id) => Ok(id),
                None => Err(state.ended_while_away.remove(&digest)),
            }
        };
        let id = match found {
            Ok(id) => id,
            Err(Some(ended)) if ended.until_ms > self.now_ms() => {
                // It ended while they were away: give them the rest of the transcript,
                // then the `ended` they missed (and with it the survey).
                let messages = self
                    .shared
                    .store
                    .messages_after(ended.conversation.clone(), last_seq)
                    .await
                    .map_err(internal)?;
                outbox.push(ended.event);
                return Ok(Resumption {
                    conversation: ended.conversation,
                    socket: 0,
                    reply: VisitorEvent::Resumed {
                        position: None,
                        assigned: ended.assigned,
                        messages,
                    },
                });
            }
            Err(_) => return Err(failed()),
        };
        let lock = self.conversation_lock(&id).map_err(|_| failed())?;
        // Held while the transcript is read and the socket swapped, so no message stored
        // meanwhile is missed or sent twice.
        let _guard = lock.lock().await;
        let messages = self
            .shared
            .store
            .messages_after(id.clone(), last_seq)
            .await
            .map_err(internal)?;
        let mut state = self.state();
        let socket = state.new_visitor_socket();
        let live = state.conversations.get_mut(&id).ok_or_else(failed)?;
        live.visitor = Some(outbox);
        live.visitor_socket = socket;
        let was_away = live.visitor_away_until_ms.take().is_some();
        crate::metrics::get().resumed();
        let (service, counselor) = (live.service.clone(), live.counselor.clone());
        if let Some(counselor) = &counselor {
            if was_away {
                state.to_user(
                    counselor,
                    &StaffEvent::VisitorBack {
                        conversation: id.clone(),
                    },
                );
            }
            if state.away_counselors.contains_key(counselor)
                && let Some(live) = state.conversations.get(&id)
            {
                live.to_visitor(VisitorEvent::CounselorAway);
            }
        }
        let position = state.position_of(&service, &id);
        Ok(Resumption {
            conversation: id,
            socket,
            reply: VisitorEvent::Resumed {
                position,
                assigned: counselor.is_some(),
                messages,
            },
        })
    }

    /// A visitor's socket closed without `end`. Their conversation keeps its place for
    /// the reconnect window, and their counselor sees "verbinding verbroken".
    pub fn visitor_left(&self, conversation: &ConversationId, socket: u64) {
        let until_ms = self.now_ms().saturating_add(self.window_ms());
        let mut state = self.state();
        let Some(live) = state.conversations.get_mut(conversation) else {
            return;
        };
        if live.visitor_socket != socket {
            return; // a newer socket of this visitor has taken over
        }
        live.visitor = None;
        live.visitor_away_until_ms = Some(until_ms);
        if let Some(counselor) = live.counselor.clone() {
            state.to_user(
                &counselor,
                &StaffEvent::VisitorAway {
                    conversation: conversation.clone(),
                    until_ms,
                },
            );
        }
    }

    /// A counselor's last connection closed. After `logout` their conversations go back
    /// to the front of the queue at once; after a drop they wait for the window, and their
    /// visitors are told the counselor has connection trouble.
    pub(super) async fn counselor_gone(&self, user: &str, logout: bool) {
        if logout {
            self.requeue_conversations_of(user).await;
            return;
        }
        let until_ms = self.now_ms().saturating_add(self.window_ms());
        let mut state = self.state();
        state.away_counselors.insert(user.to_owned(), until_ms);
        for (_, live) in state.conversations_of(user) {
            live.to_visitor(VisitorEvent::CounselorAway);
        }
    }

    /// A counselor signed in again within the window: their visitors are told.
    pub(super) fn counselor_back(state: &mut State, user: &str) {
        if state.away_counselors.remove(user).is_some() {
            for (_, live) in state.conversations_of(user) {
                live.to_visitor(VisitorEvent::CounselorBack);
            }
        }
    }

    /// Puts every conversation of `user` back at the front of its queue, the longest
    /// waiting first, so these visitors don't start again at the back.
    async fn requeue_conversations_of(&self, user: &str) {
        let mut held: Vec<(ConversationId, ServiceId, i64)> = self
            .state()
            .conversations_of(user)
            .map(|(id, l)| (id.clone(), l.service.clone(), l.queued_at_ms))
            .collect();
        // Newest first: each goes to the front, so the oldest ends up first in line.
        held.sort_by_key(|(_, _, queued)| std::cmp::Reverse(*queued));
        for (id, service, _) in held {
            let Ok(lock) = self.conversation_lock(&id) else {
                continue;
            };
            let _guard = lock.lock().await;
            if let Err(e) = self.shared.store.unassign_conversation(id.clone()).await {
                tracing::error!(error = %e, "could not put a conversation back in the queue");
                continue;
            }
            let mut state = self.state();
            state.unassign(&id, &service);
            state.queue_changed();
        }
    }

    /// Ends conversations whose visitor did not come back in time, and requeues those
    /// whose counselor did not. Part of [`Broker::tick`].
    pub(super) async fn expire_reconnect_windows(&self) {
        let now_ms = self.now_ms();
        let (visitors, counselors): (Vec<ConversationId>, Vec<String>) = {
            let mut state = self.state();
            let visitors = state
                .conversations
                .iter()
                .filter(|(_, l)| l.visitor_away_until_ms.is_some_and(|until| until <= now_ms))
                .map(|(id, _)| id.clone())
                .collect();
            let counselors: Vec<String> = state
                .away_counselors
                .iter()
                .filter(|(_, until)| **until <= now_ms)
                .map(|(user, _)| user.clone())
                .collect();
            for user in &counselors {
                state.away_counselors.remove(user);
            }
            state.ended_while_away.retain(|_, e| e.until_ms > now_ms);
            (visitors, counselors)
        };
        crate::metrics::get().windows_expired(visitors.len() + counselors.len());
        for id in visitors {
            if let Err(e) = self
                .end(&id, Party::Visitor, Some(VISITOR_GONE.into()))
                .await
            {
                tracing::warn!(code = ?e.code, "could not end a conversation after its window");
            }
        }
        for user in counselors {
            self.requeue_conversations_of(&user).await;
        }
    }

    /// After a restart (graceful or not): every conversation that was queued or in
    /// progress is back, waiting queue in its old order, as if everyone's line had just
    /// dropped. Visitors resume with their tokens, counselors sign in again; whoever
    /// doesn't within the window is handled as after any drop.
    pub async fn restore(&self) -> Result<usize, StoreError> {
        let open = self
            .shared
            .store
            .open_conversations(self.retained_since_ms())
            .await?;
        let now = self.shared.clock.now();
        let until_ms = now.as_millisecond().saturating_add(self.window_ms());
        let mut state = self.state();
        let restored = open.len();
        if restored > 0 {
            state.restart_grace_until_ms = until_ms;
        }
        for c in open {
            if let Some(counselor) = &c.counselor {
                state.away_counselors.insert(counselor.clone(), until_ms);
            } else if let Some(s) = state.service_mut(&c.service) {
                s.queue.push_back(c.id.clone());
            } else {
                tracing::warn!(service = %c.service, "restored conversation of an unknown service");
            }
            state.conversations.insert(
                c.id,
                Live {
                    service: c.service,
                    nickname: c.nickname,
                    intake: c.intake,
                    queued_at_ms: c.queued_at_ms,
                    started_at_ms: c.started_at_ms,
                    // A restored conversation in a counselor's hands was counted when
                    // taken; one back in the queue may be counted again (not stored).
                    served_once: c.counselor.is_some(),
                    // Not stored apart: the queue shows the next message after a restart.
                    first_words: None,
                    counselor: c.counselor,
                    no_dossier: c.no_dossier,
                    dossier_candidate: c.dossier_candidate,
                    visitor: None,
                    visitor_socket: 0,
                    visitor_away_until_ms: Some(until_ms),
                    resume_token_sha256: c.resume_token_sha256,
                    linked_to: c.linked_to,
                    handover: c.handover,
                    earlier_contacts: c.earlier_contacts,
                    watchers: std::collections::BTreeSet::new(),
                    lock: std::sync::Arc::default(),
                    queued_position: std::cell::Cell::default(),
                },
            );
        }
        state.broadcast_queue(now);
        Ok(restored)
    }
}
