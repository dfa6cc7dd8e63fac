//! SQLite tables for confidentiality: sealed visitor addresses, reveal requests, blocks,
//! the hash-chained audit log, and the retention purge.
//!
//! Every reveal step and every block or lift writes its audit row in the same
//! transaction as the change itself, so the log can't miss a step.

use chathulp_shared::staff::{BlockInfo, RevealRequest, RevealState};
use chathulp_shared::{ConversationId, ServiceId};
use rusqlite::{Connection, OptionalExtension, params};

use std::collections::HashMap;

use super::SqliteStore;
use crate::store::audit::next_row;
use crate::store::{
    Admission, AuditEntry, AuditRow, Purged, Reseal, Result, Rotated, StoreError, Tagging, id_i64,
};

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS visitor_addresses (
    conversation TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    -- nonce || ChaCha20-Poly1305 ciphertext || tag (see vault.rs)
    sealed       BLOB NOT NULL,
    -- HMAC-SHA256 of the address under the vault's second key
    ip_hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS visitor_addresses_hash ON visitor_addresses (ip_hash);
CREATE TABLE IF NOT EXISTS reveal_requests (
    id              INTEGER PRIMARY KEY,
    conversation    TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    service         TEXT NOT NULL,
    counselor       TEXT NOT NULL,
    reason          TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    state           TEXT NOT NULL,
    decided_by      TEXT,
    decision_reason TEXT,
    decided_at_ms   INTEGER,
    -- 0 until the running relay has told the counselor the decision (it may be made
    -- on the command line, against the same database).
    delivered       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS blocks (
    id            INTEGER PRIMARY KEY,
    ip_hash       TEXT NOT NULL,
    service       TEXT NOT NULL,
    conversation  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    counselor     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    until_ms      INTEGER NOT NULL,
    lifted_at_ms  INTEGER
);
CREATE INDEX IF NOT EXISTS blocks_hash ON blocks (ip_hash, until_ms);
CREATE TABLE IF NOT EXISTS audit_log (
    seq          INTEGER PRIMARY KEY,
    at_ms        INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    conversation TEXT,
    reason       TEXT NOT NULL,
    decision     TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- Names a counselor tagged during the chat, scrubbed as [naam] by the anonymised export.
-- A new table, so `CREATE TABLE IF NOT EXISTS` is the whole migration for an older
-- database; purged with the conversation.
CREATE TABLE IF NOT EXISTS tagged_names (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    tagged_by    TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (conversation, name)
);
-- Which vault key the sealed addresses and hashes are under (see vault.rs, `key_id`):
-- written by `chathulp-relay vault rotate`, so an interrupted rotation can be finished.
CREATE TABLE IF NOT EXISTS vault_meta (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    key_id        TEXT NOT NULL,
    rotated_at_ms INTEGER NOT NULL
);
"#;

fn append_audit(c: &Connection, at_ms: i64, entry: &AuditEntry) -> Result<()> {
    let last: Option<(i64, String)> = c
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let row = next_row(last, at_ms, entry);
    c.execute(
        "INSERT INTO audit_log (seq, at_ms, actor, action, conversation, reason, decision,
            prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.seq,
            row.at_ms,
            row.actor,
            row.action,
            row.conversation,
            row.reason,
            row.decision,
            row.prev_hash,
            row.hash
        ],
    )?;
    Ok(())
}

fn read_tagged_names(c: &Connection, conversation: &ConversationId) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT name FROM tagged_names WHERE conversation = ?1 ORDER BY at_ms, rowid",
    )?;
    let rows = stmt.query_map([&conversation.0], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const REVEAL_COLUMNS: &str = "id, conversation, service, counselor, reason, requested_at_ms, \
    state, decided_by, decision_reason, decided_at_ms";

fn reveal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RevealRequest> {
    let state: String = r.get(6)?;
    Ok(RevealRequest {
        id: r.get::<_, i64>(0)?.try_into().unwrap_or_default(),
        conversation: ConversationId(r.get(1)?),
        service: ServiceId(r.get(2)?),
        counselor: r.get(3)?,
        reason: r.get(4)?,
        requested_at_ms: r.get(5)?,
        state: match state.as_str() {
            "approved" => RevealState::Approved,
            "denied" => RevealState::Denied,
            _ => RevealState::Pending,
        },
        decided_by: r.get(7)?,
        decision_reason: r.get(8)?,
        decided_at_ms: r.get(9)?,
    })
}

fn reveal_by_id(c: &Connection, id: i64) -> Result<Option<RevealRequest>> {
    Ok(c.query_row(
        &format!("SELECT {REVEAL_COLUMNS} FROM reveal_requests WHERE id = ?1"),
        [id],
        reveal_row,
    )
    .optional()?)
}

const BLOCK_COLUMNS: &str = "id, service, conversation, counselor, reason, created_at_ms, until_ms";

fn block_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BlockInfo> {
    Ok(BlockInfo {
        id: r.get::<_, i64>(0)?.try_into().unwrap_or_default(),
        service: ServiceId(r.get(1)?),
        conversation: ConversationId(r.get(2)?),
        counselor: r.get(3)?,
        reason: r.get(4)?,
        created_at_ms: r.get(5)?,
        until_ms: r.get(6)?,
    })
}

impl SqliteStore {
    // ---- the vault's rows ----

    /// Stores the sealed address of a new conversation and its keyed hash.
    pub async fn save_address(
        &self,
        conversation: ConversationId,
        sealed: Vec<u8>,
        hash: String,
    ) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO visitor_addresses (conversation, sealed, ip_hash)
                 VALUES (?1, ?2, ?3)",
                params![conversation.0, sealed, hash],
            )?;
            Ok(())
        })
        .await
    }

    /// The sealed address of `conversation`, for an approved reveal.
    pub async fn sealed_address(&self, conversation: ConversationId) -> Result<Option<Vec<u8>>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT sealed FROM visitor_addresses WHERE conversation = ?1",
                [conversation.0],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    /// Whether `hash` is blocked at `now_ms`, and how many conversations stored with it
    /// are within retention (`retained_since_ms`): one read for a visitor's `hello`.
    pub async fn admission(
        &self,
        hash: String,
        now_ms: i64,
        retained_since_ms: i64,
    ) -> Result<Admission> {
        self.read(move |c| {
            let blocked = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM blocks
                     WHERE ip_hash = ?1 AND until_ms > ?2 AND lifted_at_ms IS NULL)",
                )?
                .query_row(params![hash, now_ms], |r| r.get(0))?;
            // `visitor_addresses_hash` makes this a range over one visitor's rows.
            let earlier: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM visitor_addresses a
                     JOIN conversations v ON v.id = a.conversation
                     WHERE a.ip_hash = ?1 AND (v.ended_at_ms IS NULL OR v.ended_at_ms >= ?2)",
                )?
                .query_row(params![hash, retained_since_ms], |r| r.get(0))?;
            Ok(Admission {
                blocked,
                earlier_contacts: u32::try_from(earlier).unwrap_or(u32::MAX),
            })
        })
        .await
    }

    /// Re-seals every stored address with `reseal` and recomputes every keyed hash that
    /// can be recomputed (addresses and blocks), records `key_id`, and audits it, all in
    /// one transaction: either all of it is stored or none of it.
    pub async fn rotate_vault(
        &self,
        reseal: Reseal,
        key_id: String,
        actor: String,
        at_ms: i64,
    ) -> Result<Rotated> {
        self.write(move |c| {
            let rows: Vec<(String, Vec<u8>, String)> = {
                let mut stmt =
                    c.prepare("SELECT conversation, sealed, ip_hash FROM visitor_addresses")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut done = Rotated::default();
            let mut new_hash: HashMap<String, String> = HashMap::new();
            {
                let mut update = c.prepare(
                    "UPDATE visitor_addresses SET sealed = ?2, ip_hash = ?3 WHERE conversation = ?1",
                )?;
                for (conversation, sealed, old_hash) in rows {
                    let Some((resealed, hash)) = reseal(&sealed)? else {
                        done.unreadable += 1;
                        continue;
                    };
                    update.execute(params![conversation, resealed, hash])?;
                    new_hash.insert(old_hash, hash);
                    done.resealed += 1;
                }
            }
            let blocks: Vec<(i64, String, bool)> = {
                let mut stmt = c.prepare(
                    "SELECT id, ip_hash, until_ms > ?1 AND lifted_at_ms IS NULL FROM blocks",
                )?;
                let rows = stmt.query_map([at_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            {
                let mut update = c.prepare("UPDATE blocks SET ip_hash = ?2 WHERE id = ?1")?;
                for (id, old_hash, in_force) in blocks {
                    match new_hash.get(&old_hash) {
                        Some(hash) => {
                            update.execute(params![id, hash])?;
                            done.blocks_moved += 1;
                        }
                        None if in_force => done.blocks_stranded += 1,
                        None => {}
                    }
                }
            }
            c.execute(
                "INSERT INTO vault_meta (id, key_id, rotated_at_ms) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET key_id = ?1, rotated_at_ms = ?2",
                params![key_id, at_ms],
            )?;
            append_audit(c, at_ms, &done.audit_entry(actor))?;
            Ok(done)
        })
        .await
    }

    /// The key id `vault rotate` last recorded, if it ever ran on this database.
    pub async fn vault_key_id(&self) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT key_id FROM vault_meta WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    // ---- tagged names ----

    /// Tags `name` in `conversation` for `counselor`, unless a name equal to it but for
    /// case is tagged already, or `max` names are. The conversation must be stored with
    /// `counselor` as its counselor.
    pub async fn tag_name(
        &self,
        conversation: ConversationId,
        counselor: String,
        name: String,
        max: usize,
        at_ms: i64,
    ) -> Result<Tagging> {
        self.write(move |c| {
            let theirs = c
                .prepare_cached("SELECT counselor FROM conversations WHERE id = ?1")?
                .query_row([&conversation.0], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten()
                .is_some_and(|owner| owner == counselor);
            if !theirs {
                return Ok(Tagging::NotYours);
            }
            let mut names = read_tagged_names(c, &conversation)?;
            let folded = name.to_lowercase();
            if names.iter().any(|n| n.to_lowercase() == folded) {
                return Ok(Tagging::Names(names));
            }
            if names.len() >= max {
                return Ok(Tagging::Full);
            }
            c.prepare_cached(
                "INSERT INTO tagged_names (conversation, name, tagged_by, at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![conversation.0, name, counselor, at_ms])?;
            names.push(name);
            Ok(Tagging::Names(names))
        })
        .await
    }

    /// The names tagged in `conversation`, oldest first.
    pub async fn tagged_names(&self, conversation: ConversationId) -> Result<Vec<String>> {
        self.read(move |c| read_tagged_names(c, &conversation))
            .await
    }

    // ---- reveal requests ----

    /// Files a pending reveal request for `conversation` and audits it.
    pub async fn add_reveal_request(
        &self,
        conversation: ConversationId,
        counselor: String,
        reason: String,
        at_ms: i64,
    ) -> Result<RevealRequest> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO reveal_requests (conversation, service, counselor, reason,
                    requested_at_ms, state)
                 SELECT id, service, ?2, ?3, ?4, 'pending' FROM conversations WHERE id = ?1",
                params![conversation.0, counselor, reason, at_ms],
            )?;
            let id = c.last_insert_rowid();
            append_audit(
                c,
                at_ms,
                &AuditEntry {
                    actor: counselor,
                    action: "reveal_requested",
                    conversation: Some(conversation),
                    reason,
                    decision: Some(format!("request {id} pending")),
                },
            )?;
            let request = reveal_by_id(c, id)?
                .ok_or_else(|| StoreError::Corrupt("reveal request vanished".into()))?;
            Ok(request)
        })
        .await
    }

    /// Approves or denies pending request `id` and audits it. `None`: no pending request
    /// with that id (unknown, or decided already).
    pub async fn decide_reveal(
        &self,
        id: u64,
        approve: bool,
        by: String,
        reason: String,
        at_ms: i64,
    ) -> Result<Option<RevealRequest>> {
        let id = id_i64(id)?;
        self.write(move |c| {
            let state = if approve { "approved" } else { "denied" };
            let changed = c.execute(
                "UPDATE reveal_requests SET state = ?2, decided_by = ?3, decision_reason = ?4,
                    decided_at_ms = ?5, delivered = 0
                 WHERE id = ?1 AND state = 'pending'",
                params![id, state, by, reason, at_ms],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            let request = reveal_by_id(c, id)?
                .ok_or_else(|| StoreError::Corrupt("reveal request vanished".into()))?;
            append_audit(
                c,
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
            )?;
            Ok(Some(request))
        })
        .await
    }

    /// Pending requests, and those decided at or after `decided_since_ms`, oldest first.
    pub async fn reveal_requests(&self, decided_since_ms: i64) -> Result<Vec<RevealRequest>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {REVEAL_COLUMNS} FROM reveal_requests
                 WHERE state = 'pending' OR decided_at_ms >= ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([decided_since_ms], reveal_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// The requests `counselor` made for any of `conversations`.
    pub async fn reveal_requests_for(
        &self,
        counselor: String,
        conversations: Vec<ConversationId>,
    ) -> Result<Vec<RevealRequest>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {REVEAL_COLUMNS} FROM reveal_requests
                 WHERE counselor = ?1 AND conversation = ?2 ORDER BY id"
            ))?;
            let mut all = Vec::new();
            for conversation in conversations {
                let rows = stmt.query_map(params![counselor, conversation.0], reveal_row)?;
                all.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
            }
            Ok(all)
        })
        .await
    }

    /// Decisions the requesting counselor has not been told yet, and marks them told.
    pub async fn take_undelivered_decisions(&self) -> Result<Vec<RevealRequest>> {
        self.write(|c| {
            let requests = {
                let mut stmt = c.prepare(&format!(
                    "SELECT {REVEAL_COLUMNS} FROM reveal_requests
                     WHERE state != 'pending' AND delivered = 0 ORDER BY id"
                ))?;
                let rows = stmt.query_map([], reveal_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            // The usual case on a housekeeping tick: nothing to write.
            if requests.is_empty() {
                return Ok(requests);
            }
            c.execute(
                "UPDATE reveal_requests SET delivered = 1
                 WHERE state != 'pending' AND delivered = 0",
                [],
            )?;
            Ok(requests)
        })
        .await
    }

    // ---- blocks ----

    /// Blocks the visitor of `conversation` until `until_ms` and audits it. `None`: the
    /// conversation has no stored address.
    pub async fn add_block(
        &self,
        conversation: ConversationId,
        counselor: String,
        reason: String,
        at_ms: i64,
        until_ms: i64,
    ) -> Result<Option<BlockInfo>> {
        self.write(move |c| {
            let inserted = c.execute(
                "INSERT INTO blocks (ip_hash, service, conversation, counselor, reason,
                    created_at_ms, until_ms)
                 SELECT a.ip_hash, v.service, v.id, ?2, ?3, ?4, ?5
                 FROM visitor_addresses a JOIN conversations v ON v.id = a.conversation
                 WHERE a.conversation = ?1",
                params![conversation.0, counselor, reason, at_ms, until_ms],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            let id = c.last_insert_rowid();
            append_audit(
                c,
                at_ms,
                &AuditEntry {
                    actor: counselor,
                    action: "block",
                    conversation: Some(conversation),
                    reason,
                    decision: Some(format!("block {id} until {until_ms}")),
                },
            )?;
            let block = c.query_row(
                &format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE id = ?1"),
                [id],
                block_row,
            )?;
            Ok(Some(block))
        })
        .await
    }

    /// Blocks in force at `now_ms`, oldest first.
    pub async fn active_blocks(&self, now_ms: i64) -> Result<Vec<BlockInfo>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {BLOCK_COLUMNS} FROM blocks
                 WHERE until_ms > ?1 AND lifted_at_ms IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([now_ms], block_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Lifts block `id` if it is in force, and audits it. `false`: no such active block.
    pub async fn lift_block(
        &self,
        id: u64,
        by: String,
        reason: String,
        at_ms: i64,
    ) -> Result<bool> {
        let id = id_i64(id)?;
        self.write(move |c| {
            let conversation: Option<String> = c
                .query_row(
                    "UPDATE blocks SET lifted_at_ms = ?2
                     WHERE id = ?1 AND until_ms > ?2 AND lifted_at_ms IS NULL
                     RETURNING conversation",
                    params![id, at_ms],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(conversation) = conversation else {
                return Ok(false);
            };
            append_audit(
                c,
                at_ms,
                &AuditEntry {
                    actor: by,
                    action: "block_lifted",
                    conversation: Some(ConversationId(conversation)),
                    reason,
                    decision: Some(format!("block {id} lifted")),
                },
            )?;
            Ok(true)
        })
        .await
    }

    // ---- audit log and retention ----

    /// Appends one audit row on its own (steps that change nothing else, e.g. an export).
    pub async fn audit(&self, entry: AuditEntry, at_ms: i64) -> Result<()> {
        self.write(move |c| {
            append_audit(c, at_ms, &entry)?;
            Ok(())
        })
        .await
    }

    /// The whole audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, at_ms, actor, action, conversation, reason, decision, prev_hash,
                    hash FROM audit_log ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(AuditRow {
                    seq: r.get(0)?,
                    at_ms: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    conversation: r.get(4)?,
                    reason: r.get(5)?,
                    decision: r.get(6)?,
                    prev_hash: r.get(7)?,
                    hash: r.get(8)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Conversations that ended at or after `since_ms`, oldest first (for exports).
    pub async fn ended_since(&self, since_ms: i64) -> Result<Vec<ConversationId>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM conversations WHERE ended_at_ms >= ?1 ORDER BY ended_at_ms",
            )?;
            let rows = stmt.query_map([since_ms], |r| Ok(ConversationId(r.get(0)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Deletes every conversation that ended before `conversations_before_ms`, with all
    /// that references it (messages, address, reveal requests, blocks, and any other
    /// table with a cascading key to it), and audit rows older than `audit_before_ms`.
    pub async fn purge(
        &self,
        conversations_before_ms: i64,
        audit_before_ms: i64,
        now_ms: i64,
    ) -> Result<Purged> {
        self.write(move |c| {
            let conversations = c.execute(
                "DELETE FROM conversations WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?1",
                [conversations_before_ms],
            )?;
            let audit_rows =
                c.execute("DELETE FROM audit_log WHERE at_ms < ?1", [audit_before_ms])?;
            let sessions = c.execute("DELETE FROM sessions WHERE expires_at_ms <= ?1", [now_ms])?;
            Ok(Purged {
                conversations,
                audit_rows,
                sessions,
            })
        })
        .await
    }
}
