//! Confidentiality rows on PostgreSQL: sealed visitor addresses, reveal requests, blocks,
//! tagged names, the hash-chained audit log, the re-sealing of a key rotation, and the
//! retention purge (as `store/sqlite/privacy.rs`). Every reveal step and every block or
//! lift writes its audit row in the same transaction as the change itself.

use std::collections::HashMap;

use chathulp_shared::staff::{BlockInfo, RevealRequest, RevealState};
use chathulp_shared::{ConversationId, ServiceId};
use tokio_postgres::Row;

use super::{AUDIT_LOCK, PgStore, WriteTx};
use crate::store::audit::next_row;
use crate::store::{
    Admission, AuditEntry, AuditRow, Purged, Reseal, Result, Rotated, StoreError, Tagging, id_i64,
};

async fn append_audit(tx: &WriteTx<'_>, at_ms: i64, entry: &AuditEntry) -> Result<()> {
    // One chain: appends wait for each other (released at commit or rollback).
    tx.exec("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
        .await?;
    let last = tx
        .opt(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?
        .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?;
    let row = next_row(last, at_ms, entry);
    tx.exec(
        "INSERT INTO audit_log (seq, at_ms, actor, action, conversation, reason, decision,
            prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &row.seq,
            &row.at_ms,
            &row.actor,
            &row.action,
            &row.conversation,
            &row.reason,
            &row.decision,
            &row.prev_hash,
            &row.hash,
        ],
    )
    .await?;
    Ok(())
}

const REVEAL_COLUMNS: &str = "id, conversation, service, counselor, reason, requested_at_ms, \
    state, decided_by, decision_reason, decided_at_ms";

fn reveal_row(r: &Row) -> Result<RevealRequest> {
    let state: String = r.try_get(6)?;
    Ok(RevealRequest {
        id: r.try_get::<_, i64>(0)?.try_into().unwrap_or_default(),
        conversation: ConversationId(r.try_get(1)?),
        service: ServiceId(r.try_get(2)?),
        counselor: r.try_get(3)?,
        reason: r.try_get(4)?,
        requested_at_ms: r.try_get(5)?,
        state: match state.as_str() {
            "approved" => RevealState::Approved,
            "denied" => RevealState::Denied,
            _ => RevealState::Pending,
        },
        decided_by: r.try_get(7)?,
        decision_reason: r.try_get(8)?,
        decided_at_ms: r.try_get(9)?,
    })
}

const BLOCK_COLUMNS: &str = "id, service, conversation, counselor, reason, created_at_ms, until_ms";

fn block_row(r: &Row) -> Result<BlockInfo> {
    Ok(BlockInfo {
        id: r.try_get::<_, i64>(0)?.try_into().unwrap_or_default(),
        service: ServiceId(r.try_get(1)?),
        conversation: ConversationId(r.try_get(2)?),
        counselor: r.try_get(3)?,
        reason: r.try_get(4)?,
        created_at_ms: r.try_get(5)?,
        until_ms: r.try_get(6)?,
    })
}

impl PgStore {
    pub async fn save_address(
        &self,
        conversation: ConversationId,
        sealed: Vec<u8>,
        hash: String,
    ) -> Result<()> {
        self.write_one(
            "INSERT INTO visitor_addresses (conversation, sealed, ip_hash) VALUES ($1, $2, $3)
             ON CONFLICT (conversation) DO UPDATE SET sealed = $2, ip_hash = $3",
            &[&conversation.0, &sealed, &hash],
        )
        .await
        .map(drop)
    }

    pub async fn sealed_address(&self, conversation: ConversationId) -> Result<Option<Vec<u8>>> {
        let row = self
            .reader()
            .await?
            .opt(
                "SELECT sealed FROM visitor_addresses WHERE conversation = $1",
                &[&conversation.0],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn admission(
        &self,
        hash: String,
        now_ms: i64,
        retained_since_ms: i64,
    ) -> Result<Admission> {
        let r = self
            .reader()
            .await?
            .one(
                "SELECT EXISTS (SELECT 1 FROM blocks
                     WHERE ip_hash = $1 AND until_ms > $2 AND lifted_at_ms IS NULL),
                        (SELECT COUNT(*) FROM visitor_addresses a
                         JOIN conversations v ON v.id = a.conversation
                         WHERE a.ip_hash = $1 AND (v.ended_at_ms IS NULL OR v.ended_at_ms >= $3))",
                &[&hash, &now_ms, &retained_since_ms],
            )
            .await?;
        Ok(Admission {
            blocked: r.try_get(0)?,
            earlier_contacts: u32::try_from(r.try_get::<_, i64>(1)?).unwrap_or(u32::MAX),
        })
    }

    pub async fn rotate_vault(
        &self,
        reseal: Reseal,
        key_id: String,
        actor: String,
        at_ms: i64,
    ) -> Result<Rotated> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let rows = tx
            .rows(
                "SELECT conversation, sealed, ip_hash FROM visitor_addresses FOR UPDATE",
                &[],
            )
            .await?;
        let mut done = Rotated::default();
        let mut new_hash: HashMap<String, String> = HashMap::new();
        for r in &rows {
            let (conversation, sealed, old_hash): (String, Vec<u8>, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            let Some((resealed, hash)) = reseal(&sealed)? else {
                done.unreadable += 1;
                continue;
            };
            tx.exec(
                "UPDATE visitor_addresses SET sealed = $2, ip_hash = $3 WHERE conversation = $1",
                &[&conversation, &resealed, &hash],
            )
            .await?;
            new_hash.insert(old_hash, hash);
            done.resealed += 1;
        }
        let blocks = tx
            .rows(
                "SELECT id, ip_hash, until_ms > $1 AND lifted_at_ms IS NULL FROM blocks",
                &[&at_ms],
            )
            .await?;
        for r in &blocks {
            let (id, old_hash, in_force): (i64, String, bool) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            match new_hash.get(&old_hash) {
                Some(hash) => {
                    tx.exec("UPDATE blocks SET ip_hash = $2 WHERE id = $1", &[&id, hash])
                        .await?;
                    done.blocks_moved += 1;
                }
                None if in_force => done.blocks_stranded += 1,
                None => {}
            }
        }
        tx.exec(
            "INSERT INTO vault_meta (id, key_id, rotated_at_ms) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET key_id = $1, rotated_at_ms = $2",
            &[&key_id, &at_ms],
        )
        .await?;
        append_audit(&tx, at_ms, &done.audit_entry(actor)).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn vault_key_id(&self) -> Result<Option<String>> {
        let row = self
            .reader()
            .await?
            .opt("SELECT key_id FROM vault_meta WHERE id = 1", &[])
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn tag_name(
        &self,
        conversation: ConversationId,
        counselor: String,
        name: String,
        max: usize,
        at_ms: i64,
    ) -> Result<Tagging> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let owner = tx
            .opt(
                "SELECT counselor FROM conversations WHERE id = $1 FOR UPDATE",
                &[&conversation.0],
            )
            .await?
            .map(|r| r.try_get::<_, Option<String>>(0))
            .transpose()?
            .flatten();
        if owner.as_deref() != Some(counselor.as_str()) {
            return Ok(Tagging::NotYours);
        }
        let mut names = tagged(&tx, &conversation).await?;
        let folded = name.to_lowercase();
        if names.iter().any(|n| n.to_lowercase() == folded) {
            return Ok(Tagging::Names(names));
        }
        if names.len() >= max {
            return Ok(Tagging::Full);
        }
        tx.exec(
            "INSERT INTO tagged_names (conversation, name, tagged_by, at_ms)
             VALUES ($1, $2, $3, $4)",
            &[&conversation.0, &name, &counselor, &at_ms],
        )
        .await?;
        tx.commit().await?;
        names.push(name);
        Ok(Tagging::Names(names))
    }

    pub async fn tagged_names(&self, conversation: ConversationId) -> Result<Vec<String>> {
        let rows = self
            .reader()
            .await?
            .rows(TAGGED_NAMES, &[&conversation.0])
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn add_reveal_request(
        &self,
        conversation: ConversationId,
        counselor: String,
        reason: String,
        at_ms: i64,
    ) -> Result<RevealRequest> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let row = tx
            .opt(
                &format!(
                    "INSERT INTO reveal_requests (conversation, service, counselor, reason,
                        requested_at_ms, state)
                     SELECT id, service, $2, $3, $4, 'pending' FROM conversations WHERE id = $1
                     RETURNING {REVEAL_COLUMNS}"
                ),
                &[&conversation.0, &counselor, &reason, &at_ms],
            )
            .await?
            .ok_or_else(|| StoreError::Corrupt("reveal request vanished".into()))?;
        let request = reveal_row(&row)?;
        append_audit(
            &tx,
            at_ms,
            &AuditEntry {
                actor: counselor,
                action: "reveal_requested",
                conversation: Some(conversation),
                reason,
                decision: Some(format!("request {} pending", request.id)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(request)
    }

    pub async fn decide_reveal(
        &self,
        id: u64,
        approve: bool,
        by: String,
        reason: String,
        at_ms: i64,
    ) -> Result<Option<RevealRequest>> {
        let id = id_i64(id)?;
        let state = if approve { "approved" } else { "denied" };
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let Some(row) = tx
            .opt(
                &format!(
                    "UPDATE reveal_requests SET state = $2, decided_by = $3,
                        decision_reason = $4, decided_at_ms = $5, delivered = FALSE
                     WHERE id = $1 AND state = 'pending' RETURNING {REVEAL_COLUMNS}"
                ),
                &[&id, &state, &by, &reason, &at_ms],
            )
            .await?
        else {
            return Ok(None);
        };
        let request = reveal_row(&row)?;
        append_audit(
            &tx,
            at_ms,
            &AuditEntry {
                actor: by,
                action: if approve {
                    "reveal_approved"
                } else {
                    "reveal_denied"
                },
                conversation: Some(request.conversation.clone()),
                reason,
                decision: Some(format!("request {id} {state}")),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(request))
    }

    pub async fn reveal_requests(&self, decided_since_ms: i64) -> Result<Vec<RevealRequest>> {
        let rows = self
            .reader()
            .await?
            .rows(
                &format!(
                    "SELECT {REVEAL_COLUMNS} FROM reveal_requests
                     WHERE state = 'pending' OR decided_at_ms >= $1 ORDER BY id"
                ),
                &[&decided_since_ms],
            )
            .await?;
        rows.iter().map(reveal_row).collect()
    }

    pub async fn reveal_requests_for(
        &self,
        counselor: String,
        conversations: Vec<ConversationId>,
    ) -> Result<Vec<RevealRequest>> {
        let ids: Vec<String> = conversations.into_iter().map(|c| c.0).collect();
        let rows = self
            .reader()
            .await?
            .rows(
                &format!(
                    "SELECT {REVEAL_COLUMNS} FROM reveal_requests
                     WHERE counselor = $1 AND conversation = ANY($2) ORDER BY id"
                ),
                &[&counselor, &ids],
            )
            .await?;
        rows.iter().map(reveal_row).collect()
    }

    pub async fn take_undelivered_decisions(&self) -> Result<Vec<RevealRequest>> {
        // The usual case on a housekeeping tick: nothing to deliver, so no write.
        let pending = self
            .reader()
            .await?
            .opt(
                "SELECT 1 FROM reveal_requests WHERE state != 'pending' AND NOT delivered
                 LIMIT 1",
                &[],
            )
            .await?;
        if pending.is_none() {
            return Ok(Vec::new());
        }
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let rows = tx
            .rows(
                &format!(
                    "UPDATE reveal_requests SET delivered = TRUE
                     WHERE state != 'pending' AND NOT delivered RETURNING {REVEAL_COLUMNS}"
                ),
                &[],
            )
            .await?;
        tx.commit().await?;
        let mut requests = rows.iter().map(reveal_row).collect::<Result<Vec<_>>>()?;
        requests.sort_by_key(|r| r.id);
        Ok(requests)
    }

    pub async fn add_block(
        &self,
        conversation: ConversationId,
        counselor: String,
        reason: String,
        at_ms: i64,
        until_ms: i64,
    ) -> Result<Option<BlockInfo>> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let Some(row) = tx
            .opt(
                &format!(
                    "INSERT INTO blocks (ip_hash, service, conversation, counselor, reason,
                        created_at_ms, until_ms)
                     SELECT a.ip_hash, v.service, v.id, $2, $3, $4, $5
                     FROM visitor_addresses a JOIN conversations v ON v.id = a.conversation
                     WHERE a.conversation = $1
                     RETURNING {BLOCK_COLUMNS}"
                ),
                &[&conversation.0, &counselor, &reason, &at_ms, &until_ms],
            )
            .await?
        else {
            return Ok(None);
        };
        let block = block_row(&row)?;
        append_audit(
            &tx,
            at_ms,
            &AuditEntry {
                actor: counselor,
                action: "block",
                conversation: Some(conversation),
                reason,
                decision: Some(format!("block {} until {until_ms}", block.id)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(block))
    }

    pub async fn active_blocks(&self, now_ms: i64) -> Result<Vec<BlockInfo>> {
        let rows = self
            .reader()
            .await?
            .rows(
                &format!(
                    "SELECT {BLOCK_COLUMNS} FROM blocks
                     WHERE until_ms > $1 AND lifted_at_ms IS NULL ORDER BY id"
                ),
                &[&now_ms],
            )
            .await?;
        rows.iter().map(block_row).collect()
    }

    pub async fn lift_block(
        &self,
        id: u64,
        by: String,
        reason: String,
        at_ms: i64,
    ) -> Result<bool> {
        let id = id_i64(id)?;
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let Some(row) = tx
            .opt(
                "UPDATE blocks SET lifted_at_ms = $2
                 WHERE id = $1 AND until_ms > $2 AND lifted_at_ms IS NULL
                 RETURNING conversation",
                &[&id, &at_ms],
            )
            .await?
        else {
            return Ok(false);
        };
        append_audit(
            &tx,
            at_ms,
            &AuditEntry {
                actor: by,
                action: "block_lifted",
                conversation: Some(ConversationId(row.try_get(0)?)),
                reason,
                decision: Some(format!("block {id} lifted")),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn audit(&self, entry: AuditEntry, at_ms: i64) -> Result<()> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        append_audit(&tx, at_ms, &entry).await?;
        tx.commit().await
    }

    pub async fn audit_log(&self) -> Result<Vec<AuditRow>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT seq, at_ms, actor, action, conversation, reason, decision, prev_hash,
                    hash FROM audit_log ORDER BY seq",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    seq: r.try_get(0)?,
                    at_ms: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    conversation: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    decision: r.try_get(6)?,
                    prev_hash: r.try_get(7)?,
                    hash: r.try_get(8)?,
                })
            })
            .collect()
    }

    pub async fn ended_since(&self, since_ms: i64) -> Result<Vec<ConversationId>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT id FROM conversations WHERE ended_at_ms >= $1 ORDER BY ended_at_ms, ord",
                &[&since_ms],
            )
            .await?;
        rows.iter()
            .map(|r| Ok(ConversationId(r.try_get(0)?)))
            .collect()
    }

    pub async fn purge(
        &self,
        conversations_before_ms: i64,
        audit_before_ms: i64,
        now_ms: i64,
    ) -> Result<Purged> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let conversations = tx
            .exec(
                "DELETE FROM conversations WHERE ended_at_ms IS NOT NULL AND ended_at_ms < $1",
                &[&conversations_before_ms],
            )
            .await?;
        let audit_rows = tx
            .exec(
                "DELETE FROM audit_log WHERE at_ms < $1",
                &[&audit_before_ms],
            )
            .await?;
        let sessions = tx
            .exec("DELETE FROM sessions WHERE expires_at_ms <= $1", &[&now_ms])
            .await?;
        tx.commit().await?;
        let n = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        Ok(Purged {
            conversations: n(conversations),
            audit_rows: n(audit_rows),
            sessions: n(sessions),
        })
    }
}

const TAGGED_NAMES: &str =
    "SELECT name FROM tagged_names WHERE conversation = $1 ORDER BY at_ms, ord";

async fn tagged(tx: &WriteTx<'_>, conversation: &ConversationId) -> Result<Vec<String>> {
    let rows = tx.rows(TAGGED_NAMES, &[&conversation.0]).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
