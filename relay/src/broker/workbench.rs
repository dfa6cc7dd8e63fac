//! The counselor's workbench on the relay: transfers with a handover note, internal
//! notes, wrap-up registration, watching a conversation read-only, the `staff` and
//! `dashboard` overviews (with the figures over time of [`super::trends`]), paged scrollback, and account administration.
//!
//! Who may send what is decided before any of this runs, in [`crate::permissions`];
//! the checks here are about *which* conversation: your own, or one you watch.

use std::collections::BTreeSet;

use chathulp_shared::staff::{
    CounselorLoad, Handover, InternalNote, LiveConversation, ServiceDashboard, ServiceTrends,
    StaffEvent,
};
use chathulp_shared::{ChatMessage, ConversationId, ErrorCode, ErrorReply, Role};

use super::trends::{self, TakenByHour};
use super::{Broker, Outbox, StaffConnId, StaffMember, State, internal, not_found};
use crate::accounts::{self, AccountError, Credentials, SignInError};
use crate::limits::PeerKey;
use crate::login_guard::LoginGuard;
use crate::store::{Account, StoreError};

/// Most messages one `history` page with `before_seq` returns.
const MAX_PAGE: u32 = 500;

fn invalid(message: &str) -> ErrorReply {
    ErrorReply::new(ErrorCode::Invalid, message)
}

impl Broker {
    // ---- notes ----

    /// An internal note on one of the counselor's conversations: stored, then sent to
    /// the counselor and everyone watching. Never to the visitor.
    pub async fn note(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        text: String,
    ) -> Result<(), ErrorReply> {
        self.check_text(&text)?;
        let lock = self.own_conversation_lock(member, conversation)?;
        let _guard = lock.lock().await;
        self.own_conversation_lock(member, conversation)?;
        let note = InternalNote {
            author: member.user.clone(),
            text,
            at_ms: self.now_ms(),
        };
        self.store()
            .add_note(conversation.clone(), note.clone())
            .await
            .map_err(internal)?;
        self.state().to_followers(
            conversation,
            &StaffEvent::NoteAdded {
                conversation: conversation.clone(),
                note,
            },
        );
        Ok(())
    }

    // ---- transfer ----

    /// Hands one of the counselor's conversations to colleague `to`, a signed-in
    /// counselor with room. The scrollback and notes go with it (they are the
    /// conversation's), the visitor is told nothing: to them it is the same chat.
    pub async fn transfer(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        to: String,
        note: String,
    ) -> Result<(), ErrorReply> {
        self.check_text(&note)?;
        if to == member.user {
            return Err(invalid("this conversation is yours already"));
        }
        let lock = self.own_conversation_lock(member, conversation)?;
        let _guard = lock.lock().await;
        self.own_conversation_lock(member, conversation)?;
        {
            let state = self.state();
            let signed_in = state
                .staff
                .values()
                .any(|c| c.member.user == to && c.member.role == Role::Counselor);
            if !signed_in {
                return Err(not_found("signed-in counselor by that name"));
            }
            if state.load_of(&to) >= state.capacity {
                return Err(ErrorReply::new(
                    ErrorCode::AtCapacity,
                    format!("{to} has no room for another conversation"),
                ));
            }
        }
        let handover = Handover {
            from: member.user.clone(),
            note,
            at_ms: self.now_ms(),
        };
        self.store()
            .transfer_conversation(conversation.clone(), to.clone(), handover.clone())
            .await
            .map_err(internal)?;
        let watchers = {
            let mut state = self.state();
            let Some(live) = state.conversations.get_mut(conversation) else {
                return Err(not_found("conversation"));
            };
            live.counselor = Some(to.clone());
            live.handover = Some(handover);
            let watchers = live.watchers.clone();
            state.to_user(
                &member.user,
                &StaffEvent::Transferred {
                    conversation: conversation.clone(),
                    to: to.clone(),
                },
            );
            state.watcher_outboxes(&watchers)
        };
        tracing::info!(from = %member.user, %to, "conversation transferred");
        for outbox in &self.user_outboxes(&to) {
            self.send_conversation(conversation, outbox, false).await?;
        }
        // Watchers see the new counselor's name.
        for outbox in &watchers {
            self.send_conversation(conversation, outbox, true).await?;
        }
        self.state().broadcast_queue(self.shared.clock.now());
        Ok(())
    }

    // ---- wrap-up ----

    /// Stores the registration of one of the counselor's ended conversations: topics
    /// from the config, and free notes. A second registration corrects the first.
    pub async fn wrap_up(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        topics: Vec<String>,
        notes: String,
    ) -> Result<(), ErrorReply> {
        let known = &self.config().wrapup.topics;
        if topics.is_empty() {
            return Err(invalid("choose at least one topic"));
        }
        for (i, topic) in topics.iter().enumerate() {
            if !known.contains(topic) {
                return Err(invalid(&format!("{topic:?} is not a topic of this relay")));
            }
            if topics[..i].contains(topic) {
                return Err(invalid(&format!("{topic:?} is chosen twice")));
            }
        }
        self.check_size("notes", &notes)?;
        // Only the first registration is counted: a correction changes the notes of
        // the conversation, not the report's topic counts (docs/reports.md).
        let first = self
            .store()
            .to_register(member.user.clone())
            .await
            .map_err(internal)?
            .iter()
            .any(|p| &p.conversation == conversation);
        let saved = self
            .store()
            .save_wrap_up(
                conversation.clone(),
                member.user.clone(),
                topics.clone(),
                notes,
                self.now_ms(),
            )
            .await
            .map_err(internal)?;
        if !saved {
            return Err(not_found("ended conversation of yours"));
        }
        if first {
            self.count_by_arrival(conversation, |service, queued_at_ms| {
                crate::tally::topics(service, queued_at_ms, &topics)
            })
            .await;
        }
        self.send_to_register(&member.user, None).await;
        Ok(())
    }

    /// Sends `to_register` to `outbox`, or to every connection of `user`.
    pub(super) async fn send_to_register(&self, user: &str, outbox: Option<&Outbox<StaffEvent>>) {
        match self.store().to_register(user.to_owned()).await {
            Ok(conversations) => {
                let event = StaffEvent::ToRegister { conversations };
                match outbox {
                    Some(outbox) => outbox.push(event),
                    None => self.state().to_user(user, &event),
                }
            }
            Err(e) => tracing::error!(error = %e, "could not read the conversations to register"),
        }
    }

    // ---- watch ----

    /// A supervisor or administrator follows a live conversation read-only: a snapshot
    /// now, then every message, note and the end. The visitor is never told.
    pub async fn watch(
        &self,
        conn: StaffConnId,
        conversation: &ConversationId,
    ) -> Result<(), ErrorReply> {
        let lock = self.conversation_lock(conversation)?;
        // Held while the snapshot is read, so no message falls between it and the
        // live ones.
        let _guard = lock.lock().await;
        let outbox = {
            let mut state = self.state();
            let outbox = state
                .staff
                .get(&conn)
                .map(|c| c.outbox.clone())
                .ok_or_else(|| not_found("connection"))?;
            state
                .conversations
                .get_mut(conversation)
                .ok_or_else(|| not_found("conversation"))?
                .watchers
                .insert(conn);
            outbox
        };
        self.send_conversation(conversation, &outbox, true).await
    }

    pub fn unwatch(&self, conn: StaffConnId, conversation: &ConversationId) {
        if let Some(live) = self.state().conversations.get_mut(conversation) {
            live.watchers.remove(&conn);
        }
    }

    // ---- history ----

    /// Scrollback of a conversation that is yours or that this connection watches:
    /// after `after_seq` (to fill a gap), or with `before_seq` the page before it.
    pub async fn history(
        &self,
        member: &StaffMember,
        conn: StaffConnId,
        conversation: &ConversationId,
        after_seq: u64,
        before_seq: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Vec<ChatMessage>, ErrorReply> {
        let allowed = self
            .state()
            .conversations
            .get(conversation)
            .is_some_and(|l| {
                l.counselor.as_deref() == Some(member.user.as_str()) || l.watchers.contains(&conn)
            });
        if !allowed {
            return Err(not_found("conversation of yours or that you watch"));
        }
        let store = self.store();
        match before_seq {
            Some(before) => {
                let limit = limit
                    .unwrap_or(self.config().limits.snapshot_messages)
                    .clamp(1, MAX_PAGE);
                store
                    .messages_before(conversation.clone(), Some(before), limit)
                    .await
            }
            None => store.messages_after(conversation.clone(), after_seq).await,
        }
        .map_err(internal)
    }

    // ---- dashboard ----

    /// Re-reads today's and this week's figures (Europe/Brussels, or the configured time
    /// zone) from the store, by local hour, and sends the dashboard if they changed.
    /// Called after a take and by `tick`.
    pub(super) async fn refresh_today(&self) {
        let now = self.shared.clock.now();
        let tz =
            jiff::tz::TimeZone::get(&self.config().timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let (midnight, monday) = trends::day_and_week_start(now, &tz);
        match self.store().taken_by_quarter_since(monday).await {
            Ok(quarters) => {
                let mut state = self.state();
                state.today = trends::by_hour(&quarters, &tz, midnight);
                state.broadcast_queue(now);
            }
            Err(e) => tracing::error!(error = %e, "could not count today's conversations"),
        }
    }

    // ---- accounts ----

    /// Signs a staff member in ([`accounts::sign_in`]) and starts their session.
    pub async fn sign_in(
        &self,
        guard: &LoginGuard,
        network: &PeerKey,
        credentials: Credentials,
    ) -> Result<(Account, String), SignInError> {
        let hours = self.config().limits.session_hours;
        accounts::sign_in(self.store(), guard, network, credentials, hours, || {
            self.now_ms()
        })
        .await
    }

    pub async fn list_accounts(&self) -> Result<StaffEvent, ErrorReply> {
        let store = self.store().clone();
        let accounts = blocking(move || accounts::list(&store)).await?;
        Ok(StaffEvent::Accounts { accounts })
    }

    /// A new account with a password the relay makes, answered once with
    /// `account_secret`, then `accounts`.
    pub async fn create_account(
        &self,
        member: &StaffMember,
        user: String,
        role: Role,
        reply: &Outbox<StaffEvent>,
    ) -> Result<(), ErrorReply> {
        let (store, name, now) = (self.store().clone(), user.clone(), self.now_ms());
        let password = blocking(move || accounts::create(&store, &name, role, None, now))
            .await?
            .unwrap_or_default();
        tracing::info!(%user, role = role.as_str(), by = %member.user, "account created");
        reply.push(StaffEvent::AccountSecret { user, password });
        reply.push(self.list_accounts().await?);
        Ok(())
    }

    /// A new password for `user`, answered once with `account_secret`; every session
    /// and connection of the account ends.
    pub async fn reset_password(
        &self,
        member: &StaffMember,
        user: String,
        reply: &Outbox<StaffEvent>,
    ) -> Result<(), ErrorReply> {
        let (store, name) = (self.store().clone(), user.clone());
        let password = blocking(move || accounts::reset(&store, &name)).await?;
        tracing::info!(%user, by = %member.user, "password reset");
        self.sign_out_everywhere(&user);
        reply.push(StaffEvent::AccountSecret { user, password });
        Ok(())
    }

    /// Disables (signing the account out at once) or enables an account.
    pub async fn set_account_disabled(
        &self,
        member: &StaffMember,
        user: String,
        disabled: bool,
    ) -> Result<StaffEvent, ErrorReply> {
        if disabled && user == member.user {
            return Err(invalid("you can't disable your own account"));
        }
        let (store, name) = (self.store().clone(), user.clone());
        blocking(move || accounts::set_disabled(&store, &name, disabled)).await?;
        tracing::info!(%user, disabled, by = %member.user, "account disabled state changed");
        if disabled {
            self.sign_out_everywhere(&user);
        }
        self.list_accounts().await
    }

    /// Closes every live connection of `user` (their tokens are already gone).
    pub(super) fn sign_out_everywhere(&self, user: &str) {
        for outbox in self.user_outboxes(user) {
            outbox.sign_out();
        }
    }

    /// Signs out accounts disabled from the command line while connected. Part of `tick`.
    pub(super) async fn sign_out_disabled(&self) -> Result<(), StoreError> {
        for user in self.store().disabled_accounts().await? {
            self.sign_out_everywhere(&user);
        }
        Ok(())
    }
}

/// Runs an account function (argon2, SQLite) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
) -> Result<T, ErrorReply> {
    let result = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ErrorReply::new(ErrorCode::Internal, e.to_string()))?;
    result.map_err(|e| match e {
        AccountError::NoSuchAccount(_) => not_found("account"),
        AccountError::Store(StoreError::AccountExists(_)) => invalid("that account exists already"),
        AccountError::Store(e) => internal(e),
        e @ (AccountError::BadName | AccountError::PasswordTooShort | AccountError::Hash(_)) => {
            ErrorReply::new(ErrorCode::Invalid, e.to_string())
        }
    })
}

impl State {
    /// Sends `event` to a conversation's counselor and everyone watching it.
    pub(super) fn to_followers(&self, id: &ConversationId, event: &StaffEvent) {
        let Some(live) = self.conversations.get(id) else {
            return;
        };
        if let Some(counselor) = &live.counselor {
            self.to_user(counselor, event);
        }
        self.to_watchers(&live.watchers, event);
    }

    pub(super) fn to_watchers(&self, watchers: &BTreeSet<StaffConnId>, event: &StaffEvent) {
        for outbox in self.watcher_outboxes(watchers) {
            outbox.push(event.clone());
        }
    }

    fn watcher_outboxes(&self, watchers: &BTreeSet<StaffConnId>) -> Vec<Outbox<StaffEvent>> {
        watchers
            .iter()
            .filter_map(|id| self.staff.get(id).map(|c| c.outbox.clone()))
            .collect()
    }

    /// Signed-in counselors with their load, by name.
    fn staff_loads(&self) -> Vec<CounselorLoad> {
        let users: BTreeSet<&str> = self
            .staff
            .values()
            .filter(|c| c.member.role == Role::Counselor)
            .map(|c| c.member.user.as_str())
            .collect();
        users
            .into_iter()
            .map(|user| CounselorLoad {
                user: user.to_owned(),
                load: self.load_of(user),
                capacity: self.capacity,
            })
            .collect()
    }

    fn dashboard(&self, now: jiff::Timestamp) -> Vec<ServiceDashboard> {
        self.services
            .iter()
            .map(|s| {
                let mut in_progress: Vec<LiveConversation> = self
                    .conversations
                    .iter()
                    .filter(|(_, l)| l.service == s.config.id)
                    .filter_map(|(id, l)| {
                        Some(LiveConversation {
                            conversation: id.clone(),
                            counselor: l.counselor.clone()?,
                            nickname: l.nickname.clone(),
                            started_at_ms: l.started_at_ms.unwrap_or(l.queued_at_ms),
                        })
                    })
                    .collect();
                in_progress.sort_by_key(|c| c.started_at_ms);
                let taken = self.today.iter().find(|t| t.service == s.config.id);
                ServiceDashboard {
                    service: s.config.id.clone(),
                    name: s.config.name.clone(),
                    status: self.status_of(s, now),
                    waiting: u32::try_from(s.queue.len()).unwrap_or(u32::MAX),
                    longest_waiting_since_ms: s
                        .queue
                        .front()
                        .and_then(|id| self.conversations.get(id))
                        .map(|l| l.queued_at_ms),
                    in_progress,
                    today_conversations: taken.map_or(0, |t| t.today_conversations),
                    today_mean_wait_ms: taken.and_then(TakenByHour::today_mean_wait_ms),
                    trends: ServiceTrends {
                        waiting_samples: s.waiting_samples.samples(),
                        sample_every_ms: trends::SAMPLE_EVERY_MS,
                        last_sample_at_ms: s.waiting_samples.last_at_ms(),
                        today_per_hour: taken.map_or(vec![0; 24], |t| t.today.to_vec()),
                        week_per_hour: taken.map_or(vec![0; 24], |t| t.week.to_vec()),
                        week_conversations: taken.map_or(0, |t| t.week_conversations),
                        week_mean_wait_ms: taken.and_then(TakenByHour::week_mean_wait_ms),
                    },
                }
            })
            .collect()
    }

    /// Sends `staff` to everyone and `dashboard` to supervisors and administrators,
    /// each only when it changed since last sent. Part of every queue broadcast.
    pub(super) fn broadcast_overviews(&self, now: jiff::Timestamp) {
        let staff = self.staff_loads();
        if *self.sent_staff.borrow() != staff {
            let event = StaffEvent::Staff {
                counselors: staff.clone(),
            };
            for conn in self.staff.values() {
                conn.outbox.push(event.clone());
            }
            *self.sent_staff.borrow_mut() = staff;
        }
        let dashboard = self.dashboard(now);
        if *self.sent_dashboard.borrow() != dashboard {
            let event = StaffEvent::Dashboard {
                services: dashboard.clone(),
            };
            for conn in self
                .staff
                .values()
                .filter(|c| c.member.role != Role::Counselor)
            {
                conn.outbox.push(event.clone());
            }
            *self.sent_dashboard.borrow_mut() = dashboard;
        }
    }

    /// The overviews for a connection that just signed in.
    pub(super) fn overviews_for(
        &self,
        role: Role,
        outbox: &Outbox<StaffEvent>,
        now: jiff::Timestamp,
    ) {
        outbox.push(StaffEvent::Staff {
            counselors: self.staff_loads(),
        });
        if role != Role::Counselor {
            outbox.push(StaffEvent::Dashboard {
                services: self.dashboard(now),
            });
        }
    }
}
