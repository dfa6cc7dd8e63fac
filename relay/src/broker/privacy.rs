//! Confidentiality in the broker: the visitor's address at `hello` (sealed, hashed,
//! checked against blocks, earlier contacts counted), the emergency reveal workflow,
//! blocks, names tagged for the anonymiser, and the retention purge on the housekeeping
//! tick.
//!
//! The plain address leaves the vault in exactly one place: [`Broker::deliver_decision`],
//! for an approved request, in a `reveal` frame to the counselor who asked.

use chathulp_shared::staff::{BlockInfo, PreviewMessage, RevealRequest, RevealState, StaffEvent};
use chathulp_shared::{ConversationId, ErrorCode, ErrorReply, Party, Role};

use super::{Broker, Outbox, StaffMember, internal, not_found, require_admin, require_counselor};
use crate::store::{StoreError, Tagging};
use crate::vault::{ClientIp, ClientKey, IpHash};

/// What a blocked visitor reads, at the end of the blocked conversation and on every
/// new `hello` while the block lasts (the page shows its own translation by code).
pub const BLOCKED_TEXT: &str = "Je toegang tot deze chat is een tijdje opgeschort. \
    Het CAW en het JAC zullen je informeren over alternatieve vormen van hulp.";

/// Decided reveal requests stay in the `reveals` list this long (ms).
const DECIDED_VISIBLE_MS: i64 = 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The most names one conversation can have tagged.
pub const MAX_TAGGED_NAMES: usize = 50;
/// The longest name that can be tagged, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A name to tag: trimmed, its inner white space collapsed to one space; not blank, at
/// most [`MAX_NAME_CHARS`] characters, no control characters.
fn checked_name(name: &str) -> Result<String, ErrorReply> {
    let invalid = |m: String| ErrorReply::new(ErrorCode::Invalid, m);
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(invalid("a name is required".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a name is at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("a name can't hold control characters".into()));
    }
    Ok(name)
}

fn require_reason(reason: &str) -> Result<(), ErrorReply> {
    if reason.trim().is_empty() {
        return Err(ErrorReply::new(ErrorCode::Invalid, "a reason is required"));
    }
    Ok(())
}

impl Broker {
    /// The key for per-visitor limits: the keyed hash of the address, never the address.
    pub fn client_key(&self, ip: &ClientIp) -> ClientKey {
        self.shared.vault.hash(ip)
    }

    /// The keyed hash of a visitor's address and how many earlier conversations it has
    /// within retention (counted once, here, for the queue's returning-visitor mark);
    /// refused if that address is blocked.
    pub(super) async fn admit_address(&self, ip: &ClientIp) -> Result<(IpHash, u32), ErrorReply> {
        let hash = self.client_key(ip);
        let admission = self
            .shared
            .store
            .admission(
                hash.as_str().to_owned(),
                self.now_ms(),
                self.retained_since_ms(),
            )
            .await
            .map_err(internal)?;
        if admission.blocked {
            return Err(ErrorReply::new(ErrorCode::Blocked, BLOCKED_TEXT));
        }
        Ok((hash, admission.earlier_contacts))
    }

    /// Conversations that ended before this time (Unix ms) are past retention.
    pub(super) fn retained_since_ms(&self) -> i64 {
        self.now_ms() - i64::from(self.shared.config.retention.days) * DAY_MS
    }

    /// Seals the address of a new conversation into the store, next to its hash.
    pub(super) async fn store_address(
        &self,
        conversation: &ConversationId,
        ip: &ClientIp,
        hash: IpHash,
    ) -> Result<(), ErrorReply> {
        let sealed = self.shared.vault.seal(ip).map_err(|e| {
            tracing::error!(error = %e, "could not seal a visitor address");
            ErrorReply::new(
                ErrorCode::Internal,
                "the relay could not start the conversation",
            )
        })?;
        self.shared
            .store
            .save_address(conversation.clone(), sealed, hash.as_str().to_owned())
            .await
            .map_err(internal)
    }

    // ---- reveal ----

    /// A counselor asks for the address of the visitor of one of their own conversations.
    /// Supervisors and administrators are told at once; the counselor sees it pending.
    pub async fn request_reveal(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        reason: String,
    ) -> Result<(), ErrorReply> {
        require_counselor(member)?;
        self.check_size("reason", &reason)
            .and_then(|()| require_reason(&reason))?;
        self.own_conversation_lock(member, conversation)?;
        let request = self
            .shared
            .store
            .add_reveal_request(
                conversation.clone(),
                member.user.clone(),
                reason,
                self.now_ms(),
            )
            .await
            .map_err(internal)?;
        tracing::info!(request = request.id, "emergency reveal requested");
        self.count(crate::tally::reveal(
            &request.service,
            self.now_ms(),
            "requested",
        ))
        .await;
        self.state().to_user(
            &member.user,
            &StaffEvent::Reveal {
                conversation: conversation.clone(),
                request: Box::new(request),
                ip: None,
            },
        );
        self.broadcast_reveals().await;
        Ok(())
    }

    /// An administrator approves or denies a pending request.
    pub async fn decide_reveal(
        &self,
        member: &StaffMember,
        request: u64,
        approve: bool,
        reason: String,
    ) -> Result<(), ErrorReply> {
        require_admin(member)?;
        self.check_size("reason", &reason)
            .and_then(|()| require_reason(&reason))?;
        let decided = self
            .shared
            .store
            .decide_reveal(request, approve, member.user.clone(), reason, self.now_ms())
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found("pending reveal request"))?;
        let step = if approve { "approved" } else { "denied" };
        self.count(crate::tally::reveal(&decided.service, self.now_ms(), step))
            .await;
        self.deliver_reveal_decisions().await.map_err(internal)
    }

    /// Tells requesting counselors about decisions not delivered yet (made here or on the
    /// command line), and refreshes the list for supervisors and administrators.
    pub(super) async fn deliver_reveal_decisions(&self) -> Result<(), StoreError> {
        let decided = self.shared.store.take_undelivered_decisions().await?;
        if decided.is_empty() {
            return Ok(());
        }
        for request in decided {
            tracing::info!(request = request.id, state = ?request.state, "reveal decided");
            let event = self.reveal_event(request).await?;
            if let StaffEvent::Reveal { request, .. } = &event {
                self.state().to_user(&request.counselor, &event);
            }
        }
        self.broadcast_reveals().await;
        Ok(())
    }

    /// The `reveal` frame for `request`, to its counselor only: with the address when
    /// approved.
    async fn reveal_event(&self, request: RevealRequest) -> Result<StaffEvent, StoreError> {
        let ip = if request.state == RevealState::Approved {
            let sealed = self
                .shared
                .store
                .sealed_address(request.conversation.clone())
                .await?;
            match sealed.map(|s| self.shared.vault.unseal(&s)) {
                Some(Ok(ip)) => Some(ip.disclose()),
                Some(Err(e)) => {
                    tracing::error!(request = request.id, error = %e, "cannot open a sealed address");
                    None
                }
                None => None,
            }
        } else {
            None
        };
        Ok(StaffEvent::Reveal {
            conversation: request.conversation.clone(),
            request: Box::new(request),
            ip,
        })
    }

    async fn reveals_snapshot(&self) -> Result<StaffEvent, ErrorReply> {
        let requests = self
            .shared
            .store
            .reveal_requests(self.now_ms() - DECIDED_VISIBLE_MS)
            .await
            .map_err(internal)?;
        Ok(StaffEvent::Reveals { requests })
    }

    /// Sends the current `reveals` list to every signed-in supervisor and administrator.
    async fn broadcast_reveals(&self) {
        match self.reveals_snapshot().await {
            Ok(event) => {
                let state = self.state();
                for conn in state
                    .staff
                    .values()
                    .filter(|c| c.member.role != Role::Counselor)
                {
                    conn.outbox.push(event.clone());
                }
            }
            Err(e) => tracing::warn!(code = ?e.code, "could not list reveal requests"),
        }
    }

    /// After sign-in: supervisors and administrators get the `reveals` list; a counselor
    /// gets the state of their requests for the conversations they hold.
    pub(super) async fn reveals_on_join(
        &self,
        member: &StaffMember,
        own: &[ConversationId],
        outbox: &Outbox<StaffEvent>,
    ) -> Result<(), ErrorReply> {
        if member.role != Role::Counselor {
            outbox.push(self.reveals_snapshot().await?);
            return Ok(());
        }
        let requests = self
            .shared
            .store
            .reveal_requests_for(member.user.clone(), own.to_vec())
            .await
            .map_err(internal)?;
        for request in requests {
            outbox.push(self.reveal_event(request).await.map_err(internal)?);
        }
        Ok(())
    }

    // ---- blocks ----

    /// A counselor blocks the visitor of one of their conversations for
    /// `blocks.duration_hours`, by address hash. The conversation ends; the visitor is told.
    pub async fn block(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        reason: String,
    ) -> Result<BlockInfo, ErrorReply> {
        require_counselor(member)?;
        self.check_size("reason", &reason)
            .and_then(|()| require_reason(&reason))?;
        self.own_conversation_lock(member, conversation)?;
        let now = self.now_ms();
        let until = now + i64::from(self.shared.config.blocks.duration_hours) * 3600 * 1000;
        let block = self
            .shared
            .store
            .add_block(
                conversation.clone(),
                member.user.clone(),
                reason,
                now,
                until,
            )
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found("visitor address for this conversation"))?;
        tracing::info!(block = block.id, "visitor blocked");
        self.count(crate::tally::block(&block.service, now)).await;
        // The visitor reads the block text and where else to find help, but is not asked
        // for the survey (and the store refuses one, see `Store::save_survey`).
        self.end_with(
            conversation,
            Party::Counselor,
            Some(BLOCKED_TEXT.into()),
            false,
        )
        .await?;
        Ok(block)
    }

    /// Administrators: the blocks in force.
    pub async fn list_blocks(&self, member: &StaffMember) -> Result<Vec<BlockInfo>, ErrorReply> {
        require_admin(member)?;
        self.shared
            .store
            .active_blocks(self.now_ms())
            .await
            .map_err(internal)
    }

    /// Administrators: lift a block before it expires; answers the remaining blocks.
    pub async fn lift_block(
        &self,
        member: &StaffMember,
        block: u64,
        reason: String,
    ) -> Result<Vec<BlockInfo>, ErrorReply> {
        require_admin(member)?;
        self.check_size("reason", &reason)
            .and_then(|()| require_reason(&reason))?;
        let lifted = self
            .shared
            .store
            .lift_block(block, member.user.clone(), reason, self.now_ms())
            .await
            .map_err(internal)?;
        if !lifted {
            return Err(not_found("active block"));
        }
        self.list_blocks(member).await
    }

    // ---- names for the anonymiser ----

    /// A counselor tags a name said in one of their conversations, live or ended (during
    /// wrap-up, until the purge), for the anonymised export to replace by `[naam N]`. The
    /// name's white space is trimmed and collapsed; a name equal to a tagged one but for
    /// case adds nothing. Answered with every tagged name: to the counselor's sockets and
    /// the watchers while live, to the counselor's sockets after the end.
    pub async fn tag_name(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
        name: &str,
    ) -> Result<(), ErrorReply> {
        require_counselor(member)?;
        let name = checked_name(name)?;
        // Live and theirs: tag in the conversation's turn, so that a transfer or an end
        // meanwhile is seen. Ended: the store checks that it was theirs.
        let lock = self.own_conversation_lock(member, conversation).ok();
        let _guard = match &lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let tagging = self
            .shared
            .store
            .tag_name(
                conversation.clone(),
                member.user.clone(),
                name,
                MAX_TAGGED_NAMES,
                self.now_ms(),
            )
            .await
            .map_err(internal)?;
        let names = match tagging {
            Tagging::Names(names) => names,
            Tagging::NotYours => return Err(not_found("conversation of yours")),
            Tagging::Full => {
                return Err(ErrorReply::new(
                    ErrorCode::Invalid,
                    format!("at most {MAX_TAGGED_NAMES} names per conversation"),
                ));
            }
        };
        let event = StaffEvent::NamesTagged {
            conversation: conversation.clone(),
            names,
        };
        let state = self.state();
        if state.conversations.contains_key(conversation) {
            state.to_followers(conversation, &event);
        } else {
            state.to_user(&member.user, &event);
        }
        Ok(())
    }

    /// A counselor's preview of the anonymised transcript of one of their conversations,
    /// live or ended: the messages as the anonymised export writes them.
    pub async fn anonymised_preview(
        &self,
        member: &StaffMember,
        conversation: &ConversationId,
    ) -> Result<StaffEvent, ErrorReply> {
        require_counselor(member)?;
        let store = &self.shared.store;
        let record = store
            .conversation(conversation.clone())
            .await
            .map_err(internal)?
            .filter(|r| r.counselor.as_deref() == Some(member.user.as_str()))
            .ok_or_else(|| not_found("conversation of yours"))?;
        let messages = store
            .messages(conversation.clone())
            .await
            .map_err(internal)?;
        let tagged = store
            .tagged_names(conversation.clone())
            .await
            .map_err(internal)?;
        // The finder is CPU work: off the socket tasks' threads.
        let lines = tokio::task::spawn_blocking(move || {
            crate::export::anonymise(&record, &tagged, &messages)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the anonymiser failed");
            ErrorReply::new(ErrorCode::Internal, "the relay could not anonymise")
        })?;
        Ok(StaffEvent::AnonymisedPreview {
            conversation: conversation.clone(),
            messages: lines
                .into_iter()
                .map(|(at_ms, from, text)| PreviewMessage { from, at_ms, text })
                .collect(),
        })
    }

    // ---- retention ----

    /// Purges conversations that ended more than `retention.days` ago, and audit rows
    /// older than `retention.audit_days`.
    pub(super) async fn purge_expired(&self) -> Result<(), StoreError> {
        let retention = &self.shared.config.retention;
        let now = self.now_ms();
        let purged = self
            .shared
            .store
            .purge(
                now - i64::from(retention.days) * DAY_MS,
                now - i64::from(retention.audit_days) * DAY_MS,
                now,
            )
            .await?;
        if purged.conversations > 0 || purged.audit_rows > 0 {
            tracing::info!(
                conversations = purged.conversations,
                audit_rows = purged.audit_rows,
                "purged data past its retention"
            );
        }
        if purged.sessions > 0 {
            tracing::debug!(sessions = purged.sessions, "deleted expired staff sessions");
        }
        Ok(())
    }
}
