//! The broker: queues per service, live conversations, staff connections, and routing.
//!
//! State lives behind one std `Mutex` (held only for short, non-async sections; never
//! across an `.await`). Each conversation also has its own async lock, held while a
//! message is stored and forwarded, so every client sees a conversation's events in
//! sequence order and a take can't race a message into the wrong place.
//!
//! Every message is stored before anyone is told about it: the sender's ack and the
//! peer's copy are both sent only after [`Store::append_message`] has returned.
//!
//! [`mod@reconnect`] holds what happens when a line drops: the reconnect window, resume,
//! nickname-only returns, and restoring conversations after a relay restart.
//! [`mod@visitors`] holds the visitor's own operations (hello, messages, dossier refusal,
//! survey, typing); `workbench`, `privacy`, `figures` and `trends` the staff's tools.

mod figures;
mod privacy;
mod reconnect;
mod trends;
mod visitors;
mod workbench;

pub use crate::metrics::{Figures, ServiceFigures};
pub use privacy::BLOCKED_TEXT;

pub use reconnect::Resumption;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chathulp_shared::staff::{
    CounselorLoad, Handover, QueueEntry, ServiceDashboard, ServiceQueue, StaffEvent, StaffSettings,
};
use chathulp_shared::status::{ServiceStatusEntry, StatusResponse};
use chathulp_shared::visitor::VisitorEvent;
use chathulp_shared::{
    ChatMessage, ConversationId, ErrorCode, ErrorReply, Intake, PROTOCOL_VERSION, Party, Role,
    ServiceId, ServiceStatus,
};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{Config, ServiceConfig};
use crate::hours::OpeningHours;
use crate::store::{ServiceClosure, Store, StoreError, Tally};
use crate::tally;
use crate::vault::Vault;

/// The sending half of one client connection's outbound queue.
///
/// Pushing never waits: if a client reads so slowly that its queue fills, it is
/// disconnected (its [`Kick`] fires) rather than letting memory grow or stalling other
/// conversations.
#[derive(Clone)]
pub struct Outbox<T> {
    tx: mpsc::Sender<T>,
    /// Fires when this client must be disconnected.
    pub kick: Kick,
}

impl<T> Outbox<T> {
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<T>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Self {
                tx,
                kick: Kick::default(),
            },
            rx,
        )
    }

    fn push(&self, event: T) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(event) {
            tracing::warn!("client send queue full; disconnecting it");
            self.kick.fire("too slow to read");
        }
    }

    /// Disconnects a staff client whose account was reset or disabled.
    fn sign_out(&self) {
        self.kick.fire("signed out by an administrator");
    }
}

/// Tells a client's socket loop to close, with the reason for its close frame.
#[derive(Clone, Default)]
pub struct Kick {
    token: CancellationToken,
    reason: Arc<std::sync::OnceLock<&'static str>>,
}

impl Kick {
    /// The first reason wins; later ones change nothing.
    fn fire(&self, reason: &'static str) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Waits until fired, and returns the reason.
    pub async fn fired(&self) -> &'static str {
        self.token.cancelled().await;
        self.reason.get().copied().unwrap_or("disconnected")
    }
}

/// What a visitor's socket needs after `hello`.
#[derive(Debug)]
pub struct VisitorSession {
    pub conversation: ConversationId,
    /// Given to the visitor once, in `welcome`.
    pub resume_token: String,
    /// Which socket this is, for [`Broker::visitor_left`].
    pub socket: u64,
}

/// Identifies one staff connection (an account may be signed in more than once).
pub type StaffConnId = u64;

/// A counselor's turn to send in one conversation (see [`Broker::send_turn`]); the next
/// message of that conversation waits until this one is dropped.
pub struct SendTurn {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

/// A signed-in staff member, as the broker knows them.
#[derive(Clone, Debug)]
pub struct StaffMember {
    pub user: String,
    pub role: Role,
}

struct StaffConn {
    member: StaffMember,
    outbox: Outbox<StaffEvent>,
}

/// A conversation that is queued or in progress.
struct Live {
    service: ServiceId,
    nickname: String,
    intake: Intake,
    queued_at_ms: i64,
    started_at_ms: Option<i64>,
    /// A counselor took it once already (it may be back in the queue after its
    /// counselor did not return): the report counts and the metrics count one take.
    served_once: bool,
    /// The start of the first message the visitor wrote while waiting, for the queue.
    first_words: Option<String>,
    /// The account that took it; `None` while queued.
    counselor: Option<String>,
    /// The visitor refused a dossier.
    no_dossier: bool,
    /// The counselor marked it as a dossier candidate.
    dossier_candidate: bool,
    /// The visitor's current socket; `None` while their connection is lost.
    visitor: Option<Outbox<VisitorEvent>>,
    /// Which visitor socket is current, so a socket that closes late can't mark a newer
    /// one as gone.
    visitor_socket: u64,
    /// Set while the visitor's connection is lost: when the conversation ends unless they
    /// resume (Unix ms).
    visitor_away_until_ms: Option<i64>,
    /// SHA-256 of the resume token; the token itself lives only in the visitor's browser.
    resume_token_sha256: String,
    /// An earlier conversation this is probably the same visitor's (nickname return).
    linked_to: Option<ConversationId>,
    /// Set when a colleague handed it over to `counselor`.
    handover: Option<Handover>,
    /// Earlier conversations from the same address hash within retention, counted once
    /// at `hello` (or at restore), for the queue entry.
    earlier_contacts: u32,
    /// Supervisor and administrator connections following it read-only.
    watchers: BTreeSet<StaffConnId>,
    /// Held while storing and forwarding, so events reach clients in seq order.
    lock: Arc<tokio::sync::Mutex<()>>,
    /// The queue position last sent to the visitor (0: none, or it left the queue since),
    /// so a queue change tells only the visitors whose position moved. Anything that
    /// takes a conversation out of the queue resets it (see [`State::assign`]).
    queued_position: std::cell::Cell<u32>,
}

impl Live {
    fn to_visitor(&self, event: VisitorEvent) {
        if let Some(visitor) = &self.visitor {
            visitor.push(event);
        }
    }
}

struct Service {
    config: ServiceConfig,
    hours: OpeningHours,
    /// Waiting conversations, longest waiting first.
    queue: VecDeque<ConversationId>,
    /// Set while an administrator has closed the service: their reason.
    closed: Option<String>,
    /// The queue length at every 5-minute mark, for the "Cijfers" screen.
    waiting_samples: trends::WaitingSamples,
    /// Page visits while the service was offline, not yet added to the report counts
    /// (the tick adds them: a page view costs no store write).
    visits_closed: i64,
}

struct State {
    /// Conversations one counselor may hold (from config).
    capacity: u32,
    services: Vec<Service>,
    conversations: HashMap<ConversationId, Live>,
    staff: HashMap<StaffConnId, StaffConn>,
    next_staff_conn: StaffConnId,
    /// Counselors whose last connection dropped, and until when (Unix ms) their
    /// conversations wait for them.
    away_counselors: HashMap<String, i64>,
    next_visitor_socket: u64,
    /// Conversations that ended while their visitor was away, by resume-token digest, so
    /// a resume within the window still learns how it ended (and gets the survey).
    ended_while_away: HashMap<String, reconnect::EndedWhileAway>,
    /// After a restart, waiting visitors are not sent away for lack of counselors until
    /// this time (Unix ms): the counselors' apps need a moment to reconnect.
    restart_grace_until_ms: i64,
    /// The latest `/api/status`, for the page's live status stream.
    status_tx: watch::Sender<StatusResponse>,
    /// Conversations taken today and this week per service and local hour, for the
    /// dashboard (see `refresh_today`).
    today: Vec<trends::TakenByHour>,
    /// The `staff` and `dashboard` last sent, so they go out only when they change.
    sent_staff: RefCell<Vec<CounselorLoad>>,
    sent_dashboard: RefCell<Vec<ServiceDashboard>>,
    /// A queue changed since staff, the status and waiting visitors were last told; the
    /// relay's queue task is woken through `queue_wake` and calls
    /// [`Broker::send_queue_changes`].
    queue_dirty: std::cell::Cell<bool>,
    queue_wake: Arc<tokio::sync::Notify>,
}

struct Shared {
    state: Mutex<State>,
    store: Store,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
    vault: Arc<Vault>,
}

/// Handle to the broker; cheap to clone.
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
}

fn internal(e: StoreError) -> ErrorReply {
    tracing::error!(error = %e, "store failed");
    ErrorReply::new(
        ErrorCode::Internal,
        "the relay could not store this; nothing was delivered, try again",
    )
}

fn not_found(what: &str) -> ErrorReply {
    ErrorReply::new(ErrorCode::NotFound, format!("no such {what}"))
}

impl Broker {
    pub fn new(
        config: Arc<Config>,
        store: Store,
        clock: Arc<dyn Clock>,
        vault: Arc<Vault>,
    ) -> Result<Self, crate::config::ConfigError> {
        let services = config
            .services
            .iter()
            .map(|s| {
                Ok(Service {
                    hours: config.opening_hours(s)?,
                    config: s.clone(),
                    queue: VecDeque::new(),
                    closed: None,
                    waiting_samples: trends::WaitingSamples::default(),
                    visits_closed: 0,
                })
            })
            .collect::<Result<Vec<_>, crate::config::ConfigError>>()?;
        let (status_tx, _) = watch::channel(StatusResponse {
            protocol: PROTOCOL_VERSION,
            services: Vec::new(),
        });
        let state = State {
            capacity: config.limits.counselor_capacity,
            services,
            conversations: HashMap::new(),
            staff: HashMap::new(),
            next_staff_conn: 0,
            away_counselors: HashMap::new(),
            next_visitor_socket: 0,
            restart_grace_until_ms: 0,
            ended_while_away: HashMap::new(),
            status_tx,
            today: Vec::new(),
            sent_staff: RefCell::default(),
            sent_dashboard: RefCell::default(),
            queue_dirty: std::cell::Cell::new(false),
            queue_wake: Arc::new(tokio::sync::Notify::new()),
        };
        state.publish_status(clock.now());
        Ok(Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                store,
                clock,
                config,
                vault,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data, never a half-written store
        // row; carrying on serves visitors better than refusing everyone.
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Adds an event's anonymous counts (`crate::tally`), right after the event's own
    /// write. A failure is logged and not passed on: the event itself is stored, and a
    /// visitor must not lose a conversation over a report figure.
    async fn count(&self, tallies: Vec<Tally>) {
        if let Err(e) = self.shared.store.add_tallies(tallies).await {
            tracing::error!(error = %e, "could not add to the report counts");
        }
    }

    /// The text-size limit (`limits.max_text_bytes`) of everything a client writes that
    /// is stored: checked here, at the broker's entry points, and nowhere else.
    fn check_size(&self, what: &str, text: &str) -> Result<(), ErrorReply> {
        chathulp_shared::check_size(what, text, self.shared.config.limits.max_text_bytes)
    }

    /// A chat message, internal note or handover: within the size limit and not blank.
    fn check_text(&self, text: &str) -> Result<(), ErrorReply> {
        chathulp_shared::check_text(text, self.shared.config.limits.max_text_bytes)
    }

    // ---- status ----

    /// The visitor page was opened: counted, for the reports, for every service that is
    /// offline now (`tally::VISIT_CLOSED`). Anonymous: a number per service, nothing of
    /// the request.
    pub fn page_visited(&self) {
        let now = self.shared.clock.now();
        let mut state = self.state();
        let offline: Vec<bool> = state
            .services
            .iter()
            .map(|s| state.status_of(s, now) == ServiceStatus::Offline)
            .collect();
        for (s, offline) in state.services.iter_mut().zip(offline) {
            if offline {
                s.visits_closed += 1;
            }
        }
    }

    pub fn status_response(&self) -> StatusResponse {
        self.state().status_response(self.shared.clock.now())
    }

    /// If a queue changed since the last call: one `queue` snapshot to every staff socket,
    /// the status (and dashboards), and `queued` to every waiting visitor whose position
    /// moved. The relay calls this from one task, woken by [`Broker::queue_changes_wake`]
    /// and paced by [`crate::QUEUE_CHANGES_EVERY`]: with a thousand visitors waiting, doing
    /// this on every arrival and departure would cost thousands of frames per session, and
    /// a flood of short sessions would then starve everything else (docs/performance.md).
    pub fn send_queue_changes(&self) {
        self.state().send_queue_changes(self.shared.clock.now());
    }

    /// Woken when a queue changed (see [`Broker::send_queue_changes`]).
    pub fn queue_changes_wake(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.state().queue_wake)
    }

    /// Follows `/api/status` as it changes.
    pub fn status_watch(&self) -> watch::Receiver<StatusResponse> {
        self.state().status_tx.subscribe()
    }

    /// What the staff app needs from the config.
    pub fn staff_settings(&self) -> StaffSettings {
        let config = &self.shared.config;
        StaffSettings {
            guidance_warn_mins: config.guidance.warn_after_mins,
            guidance_limit_mins: config.guidance.limit_mins,
            canned: config.canned.clone(),
            topics: config.wrapup.topics.clone(),
        }
    }

    /// Periodic housekeeping, run every few seconds by the relay (and by tests after
    /// moving the clock): picks up closures made with `chathulp-relay service close`,
    /// notices opening and closing hours, ends waiting visitors of services that
    /// went offline, delivers reveal decisions made on the command line, and purges data
    /// past its retention.
    pub async fn tick(&self) -> Result<(), StoreError> {
        let closures = self.shared.store.service_closures().await?;
        let now = self.shared.clock.now();
        let mut visits = Vec::new();
        {
            let mut state = self.state();
            let mut changed = false;
            for s in &mut state.services {
                let closed = closures
                    .iter()
                    .find(|c| c.service == s.config.id)
                    .map(|c| c.reason.clone());
                changed |= s.closed != closed;
                s.closed = closed;
            }
            changed |= *state.status_tx.borrow() != state.status_response(now);
            if changed {
                state.broadcast_queue(now);
            }
            // Goes out with the dashboard of `refresh_today` below.
            for s in &mut state.services {
                let waiting = u32::try_from(s.queue.len()).unwrap_or(u32::MAX);
                s.waiting_samples.sample(now.as_millisecond(), waiting);
            }
            for s in &mut state.services {
                let n = std::mem::take(&mut s.visits_closed);
                if n > 0 {
                    visits.extend(tally::visits_closed(&s.config.id, now.as_millisecond(), n));
                }
            }
        }
        self.count(visits).await;
        self.expire_reconnect_windows().await;
        self.end_stranded_visitors().await;
        self.deliver_reveal_decisions().await?;
        self.purge_expired().await?;
        // Today's figures start again at midnight, and the week's on Monday.
        self.refresh_today().await;
        self.sign_out_disabled().await
    }

    /// Ends the conversations of visitors waiting for a service that is offline (closed,
    /// outside its hours, or without counselors), telling them where to write instead.
    /// Nobody waits in a queue that no one will serve.
    async fn end_stranded_visitors(&self) {
        let now = self.shared.clock.now();
        let stranded: Vec<(ConversationId, String)> = {
            let state = self.state();
            // Right after a restart, a service that is open but has no counselor yet is
            // only waiting for their apps to reconnect.
            let in_grace = now.as_millisecond() < state.restart_grace_until_ms;
            state
                .services
                .iter()
                .filter(|s| state.status_of(s, now) == ServiceStatus::Offline)
                .filter(|s| !(in_grace && s.closed.is_none() && s.hours.is_open(now)))
                .flat_map(|s| {
                    // A service without an e-mail of its own (JAC) offers its contact
                    // page: never another service's address.
                    let fallback = if s.config.email.is_empty() {
                        format!("De contactgegevens vind je op {}", s.config.contact_url)
                    } else {
                        format!("Je kan ons een e-mail sturen: {}", s.config.email)
                    };
                    let reason = format!("{} {fallback}.", status_message(ServiceStatus::Offline));
                    s.queue.iter().map(move |id| (id.clone(), reason.clone()))
                })
                .collect()
        };
        for (id, reason) in stranded {
            if let Err(e) = self.end(&id, Party::Relay, Some(reason)).await {
                tracing::warn!(code = ?e.code, "could not end a stranded visitor's conversation");
            }
        }
    }

    // ---- staff ----

    /// Registers a signed-in staff connection, sends it the queue and its own open
    /// conversations, and tells everyone if a service's status changed.
    pub async fn staff_join(&self, member: StaffMember, outbox: Outbox<StaffEvent>) -> StaffConnId {
        let now = self.shared.clock.now();
        let (id, own) = {
            let mut state = self.state();
            let id = state.next_staff_conn;
            state.next_staff_conn += 1;
            state.staff.insert(
                id,
                StaffConn {
                    member: member.clone(),
                    outbox: outbox.clone(),
                },
            );
            let own: Vec<ConversationId> = state
                .conversations
                .iter()
                .filter(|(_, l)| l.counselor.as_deref() == Some(member.user.as_str()))
                .map(|(id, _)| id.clone())
                .collect();
            Broker::counselor_back(&mut state, &member.user);
            state.broadcast_queue(now);
            state.overviews_for(member.role, &outbox, now);
            (id, own)
        };
        for conversation in &own {
            if let Err(e) = self.send_conversation(conversation, &outbox, false).await {
                outbox.push(StaffEvent::Error(e));
            }
        }
        if let Err(e) = self.reveals_on_join(&member, &own, &outbox).await {
            outbox.push(StaffEvent::Error(e));
        }
        outbox.push(StaffEvent::Synced { conversations: own });
        if member.role == Role::Counselor {
            self.send_to_register(&member.user, Some(&outbox)).await;
        }
        id
    }

    /// Unregisters a staff connection. A counselor whose last connection this was keeps
    /// their conversations for the reconnect window, unless they logged out. If a service
    /// is left without counselors, the visitors still waiting there are told and offered
    /// e-mail.
    pub async fn staff_leave(&self, id: StaffConnId, logout: bool) {
        let now = self.shared.clock.now();
        let gone = {
            let mut state = self.state();
            for live in state.conversations.values_mut() {
                live.watchers.remove(&id);
            }
            let gone = state.staff.remove(&id).map(|conn| conn.member).filter(|m| {
                m.role == Role::Counselor && !state.staff.values().any(|c| c.member.user == m.user)
            });
            state.broadcast_queue(now);
            gone
        };
        if let Some(member) = gone {
            self.counselor_gone(&member.user, logout).await;
            let now = self.shared.clock.now();
            self.state().broadcast_queue(now);
        }
        self.end_stranded_visitors().await;
    }

    /// A counselor takes `conversation`, or the longest-waiting visitor of `service`.
    pub async fn take(
        &self,
        member: &StaffMember,
        service: &ServiceId,
        conversation: Option<ConversationId>,
    ) -> Result<ConversationId, ErrorReply> {
        require_counselor(member)?;
        let capacity = self.shared.config.limits.counselor_capacity;
        let id = {
            let state = self.state();
            state.check_capacity(&member.user, capacity)?;
            let s = state.service(service).ok_or_else(|| not_found("service"))?;
            match conversation {
                Some(id) if s.queue.contains(&id) => id,
                Some(_) => return Err(not_found("waiting visitor in this queue")),
                None => s.queue.front().cloned().ok_or_else(|| {
                    ErrorReply::new(ErrorCode::QueueEmpty, "nobody is waiting in this queue")
                })?,
            }
        };
        self.hand_to(&id, service, &member.user, Some(capacity))
            .await?;
        Ok(id)
    }

    /// Assigns a conversation to `user`: stored first, then the counselor gets it with
    /// its scrollback and the visitor is told. A queued conversation must still be in the
    /// queue (someone may have taken it meanwhile); `capacity`, if given, is re-checked.
    /// A linked conversation (nickname return) goes to its counselor whatever their load.
    async fn hand_to(
        &self,
        id: &ConversationId,
        service: &ServiceId,
        user: &str,
        capacity: Option<u32>,
    ) -> Result<(), ErrorReply> {
        let lock = self.conversation_lock(id)?;
        let _guard = lock.lock().await;
        let now = self.shared.clock.now();
        {
            let mut state = self.state();
            if let Some(capacity) = capacity {
                state.check_capacity(user, capacity)?;
            }
            let queued = state.service(service).is_some_and(|s| s.queue.contains(id));
            let linked = state
                .conversations
                .get(id)
                .is_some_and(|l| l.linked_to.is_some() && l.counselor.is_none());
            if !queued && !linked {
                return Err(ErrorReply::new(
                    ErrorCode::NotFound,
                    "that visitor was just taken by someone else",
                ));
            }
            state.assign(id, service, user, now.as_millisecond());
        }
        if let Err(e) = self
            .shared
            .store
            .assign_conversation(id.clone(), user.to_owned(), now.as_millisecond())
            .await
        {
            let mut state = self.state();
            state.unassign(id, service);
            state.queue_changed();
            return Err(internal(e));
        }
        for outbox in &self.user_outboxes(user) {
            self.send_conversation(id, outbox, false).await?;
        }
        let served = {
            let mut state = self.state();
            let served = state.conversations.get_mut(id).and_then(|live| {
                live.to_visitor(VisitorEvent::Assigned);
                let first = !std::mem::replace(&mut live.served_once, true);
                first.then(|| {
                    let waited = now.as_millisecond() - live.queued_at_ms;
                    crate::metrics::get().served(service, waited);
                    tally::served(service, live.queued_at_ms, now.as_millisecond())
                })
            });
            state.queue_changed();
            served
        };
        if let Some(served) = served {
            self.count(served).await;
        }
        self.refresh_today().await;
        Ok(())
    }

    /// Stores a counselor's message and forwards it to the visitor.
    /// Waits for the counselor's turn to send in one of their conversations. Turns are
    /// given in the order they were asked for, and one at a time per conversation.
    pub async fn send_turn(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
    ) -> Result<SendTurn, ErrorReply> {
        require_counselor(member)?;
        let lock = self.own_conversation_lock(member, conversation)?;
        let guard = lock.lock_owned().await;
        // Still theirs once it is their turn (not ended or transferred meanwhile).
        self.own_conversation_lock(member, conversation)?;
        Ok(SendTurn { _guard: guard })
    }

    /// Stores a counselor's message and delivers it to the visitor and watchers, in the
    /// turn taken with [`Broker::send_turn`].
    pub async fn counselor_send(
        &self,
        turn: SendTurn,
        conversation: &ConversationId,
        client_id: String,
        text: String,
    ) -> Result<ChatMessage, ErrorReply> {
        let _turn = turn;
        self.check_text(&text)?;
        let appended = self
            .shared
            .store
            .append_message(
                conversation.clone(),
                Party::Counselor,
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
        let state = self.state();
        if let Some(live) = state.conversations.get(conversation) {
            live.to_visitor(VisitorEvent::Message {
                message: message.clone(),
            });
            state.to_watchers(
                &live.watchers,
                &StaffEvent::Message {
                    conversation: conversation.clone(),
                    message: message.clone(),
                },
            );
        }
        Ok(message)
    }

    pub fn counselor_typing(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
    ) -> Result<(), ErrorReply> {
        require_counselor(member)?;
        self.own_conversation_lock(member, conversation)?;
        if let Some(live) = self.state().conversations.get(conversation) {
            live.to_visitor(VisitorEvent::Typing);
        }
        Ok(())
    }

    /// Marks one of the counselor's conversations as dossier candidate (or not).
    pub async fn mark_dossier(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        candidate: bool,
    ) -> Result<(), ErrorReply> {
        require_counselor(member)?;
        let lock = self.own_conversation_lock(member, conversation)?;
        let _guard = lock.lock().await;
        let marked = self
            .shared
            .store
            .set_dossier_candidate(conversation.clone(), candidate)
            .await
            .map_err(internal)?;
        if !marked {
            return Err(ErrorReply::new(
                ErrorCode::DossierRefused,
                "the visitor refused a dossier",
            ));
        }
        let mut state = self.state();
        if let Some(live) = state.conversations.get_mut(conversation) {
            live.dossier_candidate = candidate;
        }
        state.dossier_changed(conversation);
        Ok(())
    }

    /// An administrator closes a service at once. Waiting visitors are told and offered
    /// e-mail; conversations in progress carry on.
    pub async fn close_service(
        &self,
        member: &StaffMember,
        service: &ServiceId,
        reason: String,
    ) -> Result<(), ErrorReply> {
        require_admin(member)?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ErrorReply::new(
                ErrorCode::Invalid,
                "a reason of 1 to 500 characters is required",
            ));
        }
        self.require_service(service)?;
        let closure = ServiceClosure {
            service: service.clone(),
            reason: reason.clone(),
            closed_by: member.user.clone(),
            closed_at_ms: self.now_ms(),
        };
        self.shared
            .store
            .close_service(closure)
            .await
            .map_err(internal)?;
        tracing::info!(%service, by = %member.user, "service closed by an administrator");
        self.set_closed(service, Some(reason));
        self.end_stranded_visitors().await;
        Ok(())
    }

    pub async fn open_service(
        &self,
        member: &StaffMember,
        service: &ServiceId,
    ) -> Result<(), ErrorReply> {
        require_admin(member)?;
        self.require_service(service)?;
        self.shared
            .store
            .open_service(service.clone())
            .await
            .map_err(internal)?;
        tracing::info!(%service, by = %member.user, "service reopened by an administrator");
        self.set_closed(service, None);
        Ok(())
    }

    fn require_service(&self, service: &ServiceId) -> Result<(), ErrorReply> {
        self.state()
            .service(service)
            .map(|_| ())
            .ok_or_else(|| not_found("service"))
    }

    fn set_closed(&self, service: &ServiceId, reason: Option<String>) {
        let now = self.shared.clock.now();
        let mut state = self.state();
        if let Some(s) = state.service_mut(service) {
            s.closed = reason;
        }
        state.broadcast_queue(now);
    }

    pub async fn counselor_end(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
    ) -> Result<(), ErrorReply> {
        require_counselor(member)?;
        self.own_conversation_lock(member, conversation)?;
        self.end(conversation, Party::Counselor, None).await
    }

    /// Ends a conversation (queued or in progress): stores the end, tells the visitor and
    /// the counselor, and frees the counselor's slot. Ending twice is harmless.
    pub async fn end(
        &self,
        conversation: &ConversationId,
        by: Party,
        reason: Option<String>,
    ) -> Result<(), ErrorReply> {
        self.end_with(conversation, by, reason, true).await
    }

    /// [`Broker::end`]; the visitor is offered the survey only if `offer_survey` and a
    /// counselor had taken the conversation.
    async fn end_with(
        &self,
        conversation: &ConversationId,
        by: Party,
        reason: Option<String>,
        offer_survey: bool,
    ) -> Result<(), ErrorReply> {
        let Ok(lock) = self.conversation_lock(conversation) else {
            return Ok(());
        };
        let _guard = lock.lock().await;
        let now = self.shared.clock.now();
        self.shared
            .store
            .end_conversation(
                conversation.clone(),
                by,
                reason.clone(),
                now.as_millisecond(),
            )
            .await
            .map_err(internal)?;
        let (counselor, counts) = {
            let mut state = self.state();
            let Some(live) = state.conversations.get(conversation) else {
                return Ok(());
            };
            // Counselor and watchers hear it before the conversation is gone.
            state.to_followers(
                conversation,
                &StaffEvent::Ended {
                    conversation: conversation.clone(),
                    by,
                    reason: reason.clone(),
                },
            );
            let counselor = live.counselor.clone();
            let Some(live) = state.conversations.remove(conversation) else {
                return Ok(());
            };
            crate::metrics::get().ended(&live.service, live.started_at_ms, now.as_millisecond());
            let counts = tally::ended(
                &live.service,
                live.queued_at_ms,
                live.started_at_ms,
                now.as_millisecond(),
                live.no_dossier,
            );
            let survey = if offer_survey && live.counselor.is_some() {
                self.shared.config.survey.clone()
            } else {
                Vec::new()
            };
            let ended = VisitorEvent::Ended { by, reason, survey };
            if live.visitor.is_some() {
                live.to_visitor(ended);
            } else if let Some(until_ms) = live.visitor_away_until_ms {
                // The visitor is away: keep the news for their resume within the window.
                state.ended_while_away.insert(
                    live.resume_token_sha256.clone(),
                    reconnect::EndedWhileAway {
                        conversation: conversation.clone(),
                        assigned: live.counselor.is_some(),
                        event: ended,
                        until_ms,
                    },
                );
            }
            if let Some(s) = state.service_mut(&live.service) {
                s.queue.retain(|id| id != conversation);
            }
            state.queue_changed();
            (counselor, counts)
        };
        self.count(counts).await;
        if let Some(counselor) = counselor {
            self.send_to_register(&counselor, None).await;
        }
        Ok(())
    }

    // ---- helpers ----

    fn conversation_lock(
        &self,
        id: &ConversationId,
    ) -> Result<Arc<tokio::sync::Mutex<()>>, ErrorReply> {
        self.state()
            .conversations
            .get(id)
            .map(|l| Arc::clone(&l.lock))
            .ok_or_else(|| {
                ErrorReply::new(ErrorCode::ConversationEnded, "this conversation has ended")
            })
    }

    fn own_conversation_lock(
        &self,
        member: &StaffMember,
        id: &ConversationId,
    ) -> Result<Arc<tokio::sync::Mutex<()>>, ErrorReply> {
        self.state()
            .conversations
            .get(id)
            .filter(|l| l.counselor.as_deref() == Some(member.user.as_str()))
            .map(|l| Arc::clone(&l.lock))
            .ok_or_else(|| not_found("conversation of yours"))
    }

    fn user_outboxes(&self, user: &str) -> Vec<Outbox<StaffEvent>> {
        self.state()
            .staff
            .values()
            .filter(|c| c.member.user == user)
            .map(|c| c.outbox.clone())
            .collect()
    }

    /// Sends one conversation to one staff connection, with its notes and the newest
    /// `snapshot_messages` of its scrollback (`truncated` when there is more). A
    /// `watching` snapshot names the counselor.
    async fn send_conversation(
        &self,
        id: &ConversationId,
        outbox: &Outbox<StaffEvent>,
        watching: bool,
    ) -> Result<(), ErrorReply> {
        let store = &self.shared.store;
        let page = self.shared.config.limits.snapshot_messages;
        // One more than a page tells whether older messages exist.
        let mut messages = store
            .messages_before(id.clone(), None, page.saturating_add(1))
            .await
            .map_err(internal)?;
        let truncated = messages.len() > usize::try_from(page).unwrap_or(usize::MAX);
        if truncated {
            messages.remove(0);
        }
        let notes = store.notes(id.clone()).await.map_err(internal)?;
        let tagged_names = store.tagged_names(id.clone()).await.map_err(internal)?;
        let state = self.state();
        let live = state
            .conversations
            .get(id)
            .ok_or_else(|| not_found("conversation"))?;
        outbox.push(StaffEvent::Conversation {
            conversation: id.clone(),
            service: live.service.clone(),
            nickname: live.nickname.clone(),
            intake: live.intake.clone(),
            started_at_ms: live.started_at_ms.unwrap_or(live.queued_at_ms),
            messages,
            no_dossier: live.no_dossier,
            dossier_candidate: live.dossier_candidate,
            linked_to: live.linked_to.clone(),
            visitor_away_until_ms: live.visitor_away_until_ms,
            notes,
            handover: live.handover.clone(),
            watching,
            counselor: live.counselor.clone().filter(|_| watching),
            truncated,
            tagged_names,
        });
        Ok(())
    }
}

fn require_admin(member: &StaffMember) -> Result<(), ErrorReply> {
    if member.role == Role::Admin {
        Ok(())
    } else {
        Err(ErrorReply::new(
            ErrorCode::Forbidden,
            "only administrators may do this",
        ))
    }
}

fn require_counselor(member: &StaffMember) -> Result<(), ErrorReply> {
    if member.role == Role::Counselor {
        Ok(())
    } else {
        Err(ErrorReply::new(
            ErrorCode::Forbidden,
            format!(
                "a {} account is read-only in conversations",
                member.role.as_str()
            ),
        ))
    }
}

/// The seed's sentence for each status.
pub fn status_message(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Online => "De chat is open.",
        ServiceStatus::Busy => {
            "Alle medewerkers zijn momenteel in gesprek. Kom dan gerust straks nog even terug, misschien is er dan wel een medewerker beschikbaar."
        }
        ServiceStatus::Offline => "De chat is gesloten, er zijn geen beantwoorders online.",
    }
}

impl State {
    fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.services.iter().find(|s| &s.config.id == id)
    }

    fn service_mut(&mut self, id: &ServiceId) -> Option<&mut Service> {
        self.services.iter_mut().find(|s| &s.config.id == id)
    }

    fn check_capacity(&self, user: &str, capacity: u32) -> Result<(), ErrorReply> {
        if self.load_of(user) >= capacity {
            Err(ErrorReply::new(
                ErrorCode::AtCapacity,
                format!("you already have {capacity} conversations"),
            ))
        } else {
            Ok(())
        }
    }

    fn new_visitor_socket(&mut self) -> u64 {
        self.next_visitor_socket += 1;
        self.next_visitor_socket
    }

    /// Conversations a counselor holds now.
    fn load_of(&self, user: &str) -> u32 {
        let n = self
            .conversations
            .values()
            .filter(|l| l.counselor.as_deref() == Some(user))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// online: open, and a counselor has room or the queue has room; busy: open, every
    /// counselor full and the queue full; offline: closed or no counselor signed in.
    fn status_of(&self, s: &Service, now: jiff::Timestamp) -> ServiceStatus {
        if s.closed.is_some() || !s.hours.is_open(now) {
            return ServiceStatus::Offline;
        }
        // Counselors whose line dropped still count during the reconnect window, so a
        // short blip doesn't close the service on the visitors waiting.
        let counselors: std::collections::BTreeSet<&str> = self
            .staff
            .values()
            .filter(|c| c.member.role == Role::Counselor)
            .map(|c| c.member.user.as_str())
            .chain(self.away_counselors.keys().map(String::as_str))
            .collect();
        if counselors.is_empty() {
            return ServiceStatus::Offline;
        }
        // The queue first: while it has room the service is online whatever the loads, and
        // the loads cost a walk over every live conversation per counselor.
        if s.queue.len() < s.config.max_queue {
            return ServiceStatus::Online;
        }
        let all_full = counselors
            .iter()
            .all(|user| self.load_of(user) >= self.capacity);
        if all_full {
            ServiceStatus::Busy
        } else {
            ServiceStatus::Online
        }
    }

    fn assign(&mut self, id: &ConversationId, service: &ServiceId, user: &str, at_ms: i64) {
        if let Some(s) = self.service_mut(service) {
            s.queue.retain(|q| q != id);
        }
        if let Some(live) = self.conversations.get_mut(id) {
            live.counselor = Some(user.to_owned());
            live.started_at_ms = Some(at_ms);
            live.queued_position.set(0);
        }
    }

    fn unassign(&mut self, id: &ConversationId, service: &ServiceId) {
        if let Some(live) = self.conversations.get_mut(id) {
            live.counselor = None;
            live.started_at_ms = None;
            live.queued_position.set(0);
        }
        if let Some(s) = self.service_mut(service) {
            s.queue.push_front(id.clone());
        }
    }

    fn to_user(&self, user: &str, event: &StaffEvent) {
        for conn in self.staff.values().filter(|c| c.member.user == user) {
            conn.outbox.push(event.clone());
        }
    }

    fn queue_snapshot(&self, now: jiff::Timestamp) -> Vec<ServiceQueue> {
        self.services
            .iter()
            .map(|s| ServiceQueue {
                service: s.config.id.clone(),
                name: s.config.name.clone(),
                status: self.status_of(s, now),
                waiting: s
                    .queue
                    .iter()
                    .filter_map(|id| {
                        self.conversations.get(id).map(|l| QueueEntry {
                            conversation: id.clone(),
                            nickname: l.nickname.clone(),
                            intake: l.intake.clone(),
                            since_ms: l.queued_at_ms,
                            earlier_contacts: l.earlier_contacts,
                            first_words: l.first_words.clone(),
                        })
                    })
                    .collect(),
                closed_reason: s.closed.clone(),
            })
            .collect()
    }

    /// A fresh queue snapshot to every staff socket (built only when one listens), and the
    /// status to its followers.
    /// Also the `staff` and `dashboard` overviews, where they changed.
    fn broadcast_queue(&self, now: jiff::Timestamp) {
        if !self.staff.is_empty() {
            let event = StaffEvent::Queue {
                services: self.queue_snapshot(now),
            };
            for conn in self.staff.values() {
                conn.outbox.push(event.clone());
            }
        }
        self.broadcast_overviews(now);
        self.publish_status(now);
    }

    fn status_response(&self, now: jiff::Timestamp) -> StatusResponse {
        let services = self
            .services
            .iter()
            .map(|s| {
                let status = self.status_of(s, now);
                ServiceStatusEntry {
                    id: s.config.id.clone(),
                    name: s.config.name.clone(),
                    status,
                    message: status_message(status).to_owned(),
                    email: s.config.email.clone(),
                    contact_url: s.config.contact_url.clone(),
                    hours: s.config.hours_text.clone(),
                    next_opening: s
                        .hours
                        .next_opening(now)
                        .map(|z| z.timestamp().display_with_offset(z.offset()).to_string()),
                }
            })
            .collect();
        StatusResponse {
            protocol: PROTOCOL_VERSION,
            services,
        }
    }

    /// Updates the live status stream, waking its followers only on a real change.
    fn publish_status(&self, now: jiff::Timestamp) {
        let fresh = self.status_response(now);
        self.status_tx.send_if_modified(|current| {
            let changed = *current != fresh;
            if changed {
                *current = fresh;
            }
            changed
        });
    }

    /// Tells a conversation's counselor its dossier state.
    fn dossier_changed(&self, id: &ConversationId) {
        if let Some(live) = self.conversations.get(id)
            && let Some(counselor) = &live.counselor
        {
            self.to_user(
                counselor,
                &StaffEvent::Dossier {
                    conversation: id.clone(),
                    no_dossier: live.no_dossier,
                    dossier_candidate: live.dossier_candidate,
                },
            );
        }
    }

    /// After a service's queue changed: a new position to each of its visitors whose
    /// position moved (a newcomer at the back moves nobody else), new snapshot to staff.
    /// Staff, the status page and waiting visitors hear of it from the queue task (see
    /// [`Broker::send_queue_changes`]).
    fn queue_changed(&self) {
        if !self.queue_dirty.replace(true) {
            self.queue_wake.notify_one();
        }
    }

    fn send_queue_changes(&self, now: jiff::Timestamp) {
        if !self.queue_dirty.replace(false) {
            return;
        }
        self.broadcast_queue(now);
        for s in &self.services {
            for (i, id) in s.queue.iter().enumerate() {
                if let Some(live) = self.conversations.get(id) {
                    let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    if live.queued_position.replace(position) != position {
                        live.to_visitor(VisitorEvent::Queued { position });
                    }
                }
            }
        }
    }
}
