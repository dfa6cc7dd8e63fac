//! The workbench's rows on PostgreSQL: notes, handovers, wrap-ups, account
//! administration, today's figures and paged scrollback (as `store/sqlite/workbench.rs`).

use chathulp_shared::staff::{AccountInfo, Handover, InternalNote, PendingWrapUp};
use chathulp_shared::{ChatMessage, ConversationId, ServiceId};
use tokio_postgres::Row;

use super::{PgStore, chat_messages};
use crate::store::{QUARTER_MS, Result, StoreError, TakenInQuarter, parse_role};

/// Reads the handover columns of a `conversations` row, starting at column `i`.
pub(super) fn handover_at(r: &Row, i: usize) -> Result<Option<Handover>> {
    let from: Option<String> = r.try_get(i)?;
    Ok(match from {
        Some(from) => Some(Handover {
            from,
            note: r.try_get::<_, Option<String>>(i + 1)?.unwrap_or_default(),
            at_ms: r.try_get::<_, Option<i64>>(i + 2)?.unwrap_or_default(),
        }),
        None => None,
    })
}

impl PgStore {
    pub async fn add_note(&self, id: ConversationId, note: InternalNote) -> Result<()> {
        self.write_one(
            "INSERT INTO notes (conversation, author, body, at_ms) VALUES ($1, $2, $3, $4)",
            &[&id.0, &note.author, &note.text, &note.at_ms],
        )
        .await
        .map(drop)
    }

    pub async fn notes(&self, id: ConversationId) -> Result<Vec<InternalNote>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT author, body, at_ms FROM notes WHERE conversation = $1 ORDER BY ord",
                &[&id.0],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(InternalNote {
                    author: r.try_get(0)?,
                    text: r.try_get(1)?,
                    at_ms: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub async fn transfer_conversation(
        &self,
        id: ConversationId,
        to: String,
        handover: Handover,
    ) -> Result<()> {
        self.write_one(
            "UPDATE conversations SET counselor = $2, handover_from = $3, handover_note = $4,
                    handover_at_ms = $5
             WHERE id = $1 AND ended_at_ms IS NULL",
            &[&id.0, &to, &handover.from, &handover.note, &handover.at_ms],
        )
        .await
        .map(drop)
    }

    pub async fn save_wrap_up(
        &self,
        id: ConversationId,
        counselor: String,
        topics: Vec<String>,
        notes: String,
        at_ms: i64,
    ) -> Result<bool> {
        let topics =
            serde_json::to_string(&topics).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let ended_here = tx
            .opt(
                "SELECT 1 FROM conversations
                 WHERE id = $1 AND counselor = $2 AND ended_at_ms IS NOT NULL",
                &[&id.0, &counselor],
            )
            .await?
            .is_some();
        if !ended_here {
            return Ok(false);
        }
        tx.exec(
            "INSERT INTO wrapups (conversation, counselor, topics, notes, at_ms)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (conversation) DO UPDATE SET topics = $3, notes = $4, at_ms = $5",
            &[&id.0, &counselor, &topics, &notes, &at_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn to_register(&self, counselor: String) -> Result<Vec<PendingWrapUp>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT id, service, nickname, ended_at_ms FROM conversations
                 WHERE counselor = $1 AND ended_at_ms IS NOT NULL AND started_at_ms IS NOT NULL
                   AND id NOT IN (SELECT conversation FROM wrapups)
                 ORDER BY ended_at_ms, ord",
                &[&counselor],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingWrapUp {
                    conversation: ConversationId(r.try_get(0)?),
                    service: ServiceId(r.try_get(1)?),
                    nickname: r.try_get(2)?,
                    ended_at_ms: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn taken_by_quarter_since(&self, since_ms: i64) -> Result<Vec<TakenInQuarter>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT service, started_at_ms / $2 AS quarter, COUNT(*),
                        COALESCE(SUM(started_at_ms - queued_at_ms), 0)::BIGINT
                 FROM conversations WHERE started_at_ms >= $1 GROUP BY service, quarter",
                &[&since_ms, &QUARTER_MS],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TakenInQuarter {
                    service: ServiceId(r.try_get(0)?),
                    quarter_start_ms: r.try_get::<_, i64>(1)? * QUARTER_MS,
                    conversations: u32::try_from(r.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    total_wait_ms: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn messages_before(
        &self,
        id: ConversationId,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ChatMessage>> {
        let before = before_seq.map_or(i64::MAX, |s| i64::try_from(s).unwrap_or(i64::MAX));
        let limit = i64::from(limit);
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT seq, sender, body, at_ms FROM messages
                 WHERE conversation = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
                &[&id.0, &before, &limit],
            )
            .await?;
        let mut messages = chat_messages(&rows)?;
        messages.reverse();
        Ok(messages)
    }

    pub fn list_accounts_blocking(&self) -> Result<Vec<AccountInfo>> {
        self.blocking(self.list_accounts())
    }

    async fn list_accounts(&self) -> Result<Vec<AccountInfo>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT name, role, disabled, created_at_ms FROM accounts ORDER BY name",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AccountInfo {
                    user: r.try_get(0)?,
                    role: parse_role(r.try_get(1)?)?,
                    disabled: r.try_get(2)?,
                    created_at_ms: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub fn set_password_blocking(&self, name: &str, password_hash: &str) -> Result<bool> {
        self.blocking(async {
            let mut c = self.client().await?;
            let tx = self.begin(&mut c).await?;
            let changed = tx
                .exec(
                    "UPDATE accounts SET password_hash = $2 WHERE name = $1",
                    &[&name, &password_hash],
                )
                .await?;
            tx.exec("DELETE FROM sessions WHERE account = $1", &[&name])
                .await?;
            tx.commit().await?;
            Ok(changed == 1)
        })
    }

    pub fn set_disabled_blocking(&self, name: &str, disabled: bool) -> Result<bool> {
        self.blocking(async {
            let mut c = self.client().await?;
            let tx = self.begin(&mut c).await?;
            let changed = tx
                .exec(
                    "UPDATE accounts SET disabled = $2 WHERE name = $1",
                    &[&name, &disabled],
                )
                .await?;
            if disabled {
                tx.exec("DELETE FROM sessions WHERE account = $1", &[&name])
                    .await?;
            }
            tx.commit().await?;
            Ok(changed == 1)
        })
    }

    pub async fn disabled_accounts(&self) -> Result<Vec<String>> {
        let rows = self
            .reader()
            .await?
            .rows("SELECT name FROM accounts WHERE disabled", &[])
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn is_disabled(&self, name: String) -> Result<bool> {
        let row = self
            .reader()
            .await?
            .opt("SELECT disabled FROM accounts WHERE name = $1", &[&name])
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => false,
        })
    }
}
