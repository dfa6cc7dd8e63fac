//! The visitor's side of the broker: joining a queue (or going straight back to the
//! counselor of a nickname return), writing, refusing a dossier, the survey, typing.

use std::collections::BTreeSet;
use std::sync::Arc;

use chathulp_shared::staff::StaffEvent;
use chathulp_shared::visitor::VisitorEvent;
use chathulp_shared::{
    ChatMessage, ConversationId, ErrorCode, ErrorReply, Intake, Party, ServiceId, ServiceStatus,
    SurveyAnswer, SurveyKind, limits,
};

use super::{Broker, Live, Outbox, VisitorSession, internal, not_found, status_message};
use crate::accounts::{random_hex, token_digest};
use crate::store::{NewConversation, Tally};
use crate::tally;
use crate::vault::ClientIp;

impl Broker {
    /// Puts a new visitor in the queue of `service`, or, if an earlier conversation under
    /// the same nickname waits for its visitor to come back, straight to that counselor as
    /// a linked conversation (without the earlier transcript). Events go to `outbox`.
    pub async fn visitor_hello(
        &self,
        service: ServiceId,
        nickname: String,
        intake: Intake,
        no_dossier: bool,
        ip: &ClientIp,
        outbox: Outbox<VisitorEvent>,
    ) -> Result<VisitorSession, ErrorReply> {
        let (ip_hash, earlier_contacts) = self.admit_address(ip).await?;
        let now = self.shared.clock.now();
        let status = {
            let state = self.state();
            let s = state
                .service(&service)
                .ok_or_else(|| not_found("service"))?;
            state.status_of(s, now)
        };
        if status != ServiceStatus::Online {
            crate::metrics::get().refused(&service, status);
        }
        let (code, reason) = match status {
            ServiceStatus::Online => (None, ""),
            ServiceStatus::Busy => (Some(ErrorCode::ServiceBusy), "busy"),
            ServiceStatus::Offline => (Some(ErrorCode::ServiceOffline), "closed"),
        };
        if let Some(code) = code {
            self.count(tally::refused(&service, now.as_millisecond(), reason))
                .await;
            return Err(ErrorReply::new(code, status_message(status)));
        }
        let id = ConversationId(random_hex(16));
        let resume_token = random_hex(32);
        let resume_token_sha256 = token_digest(&resume_token);
        let queued_at_ms = now.as_millisecond();
        let returning = self.state().returning_visitor(&service, &nickname);
        let linked_to = returning.as_ref().map(|(earlier, _)| earlier.clone());
        self.shared
            .store
            .create_conversation(NewConversation {
                id: id.clone(),
                service: service.clone(),
                nickname: nickname.clone(),
                intake: intake.clone(),
                no_dossier,
                queued_at_ms,
                resume_token_sha256: resume_token_sha256.clone(),
                linked_to: linked_to.clone(),
            })
            .await
            .map_err(internal)?;
        crate::metrics::get().started(&service);
        self.count(tally::hello(
            &service,
            queued_at_ms,
            &intake,
            earlier_contacts > 0,
        ))
        .await;
        self.store_address(&id, ip, ip_hash).await?;
        let socket = {
            let mut state = self.state();
            let socket = state.new_visitor_socket();
            state.conversations.insert(
                id.clone(),
                Live {
                    service: service.clone(),
                    nickname,
                    intake,
                    queued_at_ms,
                    started_at_ms: None,
                    served_once: false,
                    first_words: None,
                    counselor: None,
                    no_dossier,
                    dossier_candidate: false,
                    visitor: Some(outbox),
                    visitor_socket: socket,
                    visitor_away_until_ms: None,
                    resume_token_sha256,
                    linked_to,
                    handover: None,
                    earlier_contacts,
                    watchers: BTreeSet::new(),
                    lock: Arc::default(),
                    queued_position: std::cell::Cell::default(),
                },
            );
            if returning.is_none() {
                if let Some(s) = state.service_mut(&service) {
                    s.queue.push_back(id.clone());
                }
                state.queue_changed();
            }
            socket
        };
        if let Some((_, counselor)) = returning {
            self.hand_to(&id, &service, &counselor, None).await?;
        }
        Ok(VisitorSession {
            conversation: id,
            resume_token,
            socket,
        })
    }

    /// Stores a visitor's message and forwards it to their counselor, if any.
    pub async fn visitor_send(
        &self,
        conversation: &ConversationId,
        client_id: String,
        text: String,
    ) -> Result<ChatMessage, ErrorReply> {
        self.check_text(&text)?;
        let lock = self.conversation_lock(conversation)?;
        let _guard = lock.lock().await;
        self.conversation_lock(conversation)?; // still live after waiting?
        let appended = self
            .shared
            .store
            .append_message(
                conversation.clone(),
                Party::Visitor,
                client_id,
                text,
                self.now_ms(),
            )
            .await
            .map_err(internal)?;
        let message = appended.message;
        if !appended.is_new {
            // A resend of a stored message: ack it again, deliver it only once.
            return Ok(message);
        }
        crate::metrics::get().message_stored();
        let mut state = self.state();
        state.to_followers(
            conversation,
            &StaffEvent::Message {
                conversation: conversation.clone(),
                message: message.clone(),
            },
        );
        // Still waiting: the queue shows how the visitor started.
        if let Some(live) = state.conversations.get_mut(conversation)
            && live.counselor.is_none()
            && live.first_words.is_none()
        {
            let words: String = message
                .text
                .chars()
                .take(chathulp_shared::staff::FIRST_WORDS_CHARS)
                .collect();
            live.first_words = Some(words);
            state.queue_changed();
        }
        drop(state);
        Ok(message)
    }

    /// The visitor refuses a dossier, or withdraws the refusal. Tells their counselor.
    pub async fn visitor_dossier(
        &self,
        conversation: &ConversationId,
        refuse: bool,
    ) -> Result<(), ErrorReply> {
        let lock = self.conversation_lock(conversation)?;
        let _guard = lock.lock().await;
        self.shared
            .store
            .set_no_dossier(conversation.clone(), refuse)
            .await
            .map_err(internal)?;
        let mut state = self.state();
        if let Some(live) = state.conversations.get_mut(conversation) {
            live.no_dossier = refuse;
            live.dossier_candidate &= !refuse;
        }
        state.dossier_changed(conversation);
        Ok(())
    }

    /// Stores the post-chat survey of an ended conversation. The answers are never sent
    /// to staff.
    pub async fn save_survey(
        &self,
        conversation: &ConversationId,
        answers: Vec<SurveyAnswer>,
    ) -> Result<(), ErrorReply> {
        self.check_survey(&answers)?;
        let json = serde_json::to_string(&answers)
            .map_err(|e| ErrorReply::new(ErrorCode::Internal, e.to_string()))?;
        let saved = self
            .shared
            .store
            .save_survey(conversation.clone(), json, self.now_ms())
            .await
            .map_err(internal)?;
        if saved {
            self.count_by_arrival(conversation, |service, queued_at_ms| {
                tally::survey(service, queued_at_ms, &self.shared.config.survey, &answers)
            })
            .await;
            Ok(())
        } else {
            Err(ErrorReply::new(
                ErrorCode::SurveyClosed,
                "the survey was already answered or is not open for this conversation",
            ))
        }
    }

    /// Counts what `counts` makes of a stored conversation's service and arrival time
    /// (for steps after it ended: the survey, the wrap-up).
    pub(super) async fn count_by_arrival(
        &self,
        conversation: &ConversationId,
        counts: impl FnOnce(&ServiceId, i64) -> Vec<Tally>,
    ) {
        match self.shared.store.conversation(conversation.clone()).await {
            Ok(Some(record)) => {
                self.count(counts(&record.service, record.queued_at_ms))
                    .await
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not read a conversation to count it"),
        }
    }

    fn check_survey(&self, answers: &[SurveyAnswer]) -> Result<(), ErrorReply> {
        let invalid = |m: String| ErrorReply::new(ErrorCode::Invalid, m);
        for (i, a) in answers.iter().enumerate() {
            if answers[..i].iter().any(|o| o.question == a.question) {
                return Err(invalid(format!("question {:?} answered twice", a.question)));
            }
            let Some(q) = self
                .shared
                .config
                .survey
                .iter()
                .find(|q| q.id == a.question)
            else {
                return Err(invalid(format!("no survey question {:?}", a.question)));
            };
            let ok = match q.kind {
                SurveyKind::Scale => matches!(a.answer.as_str(), "1" | "2" | "3" | "4" | "5"),
                SurveyKind::YesNo => matches!(a.answer.as_str(), "yes" | "no"),
                SurveyKind::Text => a.answer.len() <= limits::MAX_SURVEY_TEXT_BYTES,
            };
            if !ok {
                return Err(invalid(format!("answer to {:?} is not valid", q.id)));
            }
        }
        Ok(())
    }

    pub fn visitor_typing(&self, conversation: &ConversationId) {
        let state = self.state();
        if let Some(live) = state.conversations.get(conversation)
            && let Some(counselor) = &live.counselor
        {
            state.to_user(
                counselor,
                &StaffEvent::Typing {
                    conversation: conversation.clone(),
                },
            );
        }
    }
}
