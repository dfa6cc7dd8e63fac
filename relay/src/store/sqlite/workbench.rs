//! What the counselor's workbench stores: internal notes, handovers, wrap-up
//! registrations, account administration, today's figures and paged scrollback.
//!
//! Kept apart from the conversation core in `sqlite/mod.rs` so that both can change
//! without stepping on each other.

use chathulp_shared::staff::{AccountInfo, Handover, InternalNote, PendingWrapUp};
use chathulp_shared::{ChatMessage, ConversationId, ServiceId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, SqliteStore, StoreError, parse_role, query_messages};
use crate::store::{QUARTER_MS, TakenInQuarter};

/// Tables and columns the workbench adds. Columns are added to existing databases by
/// [`migrate`], since `CREATE TABLE IF NOT EXISTS` leaves an older table as it was.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS notes (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    author       TEXT NOT NULL,
    body         TEXT NOT NULL,
    at_ms        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_conversation ON notes (conversation);
CREATE TABLE IF NOT EXISTS wrapups (
    conversation TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    counselor    TEXT NOT NULL,
    -- JSON array of topic names from the config at the time of registration.
    topics       TEXT NOT NULL,
    notes        TEXT NOT NULL,
    at_ms        INTEGER NOT NULL
);
"#;

/// Adds the workbench's columns to tables made by an older relay.
pub(super) fn migrate(c: &Connection) -> Result<()> {
    add_column(c, "accounts", "disabled", "INTEGER NOT NULL DEFAULT 0")?;
    add_column(c, "conversations", "handover_from", "TEXT")?;
    add_column(c, "conversations", "handover_note", "TEXT")?;
    add_column(c, "conversations", "handover_at_ms", "INTEGER")?;
    Ok(())
}

fn add_column(c: &Connection, table: &str, column: &str, decl: &str) -> Result<()> {
    let exists: bool = c.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        params![table, column],
        |r| r.get(0),
    )?;
    if !exists {
        c.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
    }
    Ok(())
}

/// Reads the handover columns of a `conversations` row, starting at column `i`.
pub(super) fn handover_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<Handover>> {
    let from: Option<String> = r.get(i)?;
    Ok(match from {
        Some(from) => Some(Handover {
            from,
            note: r.get::<_, Option<String>>(i + 1)?.unwrap_or_default(),
            at_ms: r.get::<_, Option<i64>>(i + 2)?.unwrap_or_default(),
        }),
        None => None,
    })
}

impl SqliteStore {
    // ---- notes ----

    pub async fn add_note(&self, id: ConversationId, note: InternalNote) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO notes (conversation, author, body, at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![id.0, note.author, note.text, note.at_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// The notes of a conversation, oldest first.
    pub async fn notes(&self, id: ConversationId) -> Result<Vec<InternalNote>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT author, body, at_ms FROM notes WHERE conversation = ?1 ORDER BY rowid",
            )?;
            let rows = stmt.query_map([id.0], |r| {
                Ok(InternalNote {
                    author: r.get(0)?,
                    text: r.get(1)?,
                    at_ms: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    // ---- transfer ----

    /// Gives a conversation to another counselor, keeping its start time, and records
    /// the handover.
    pub async fn transfer_conversation(
        &self,
        id: ConversationId,
        to: String,
        handover: Handover,
    ) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE conversations SET counselor = ?2, handover_from = ?3, handover_note = ?4,
                        handover_at_ms = ?5
                 WHERE id = ?1 AND ended_at_ms IS NULL",
                params![id.0, to, handover.from, handover.note, handover.at_ms],
            )?;
            Ok(())
        })
        .await
    }

    // ---- wrap-up ----

    /// Stores (or corrects) the registration of an ended conversation of `counselor`.
    /// Returns `false`, storing nothing, when it is not such a conversation.
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
        self.write(move |c| {
            let ended_here: bool = c.query_row(
                "SELECT COUNT(*) > 0 FROM conversations
                 WHERE id = ?1 AND counselor = ?2 AND ended_at_ms IS NOT NULL",
                params![id.0, counselor],
                |r| r.get(0),
            )?;
            if !ended_here {
                return Ok(false);
            }
            c.execute(
                "INSERT INTO wrapups (conversation, counselor, topics, notes, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (conversation) DO UPDATE SET topics = ?3, notes = ?4, at_ms = ?5",
                params![id.0, counselor, topics, notes, at_ms],
            )?;
            Ok(true)
        })
        .await
    }

    /// The ended conversations of `counselor` that still wait for a registration,
    /// oldest first.
    pub async fn to_register(&self, counselor: String) -> Result<Vec<PendingWrapUp>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, service, nickname, ended_at_ms FROM conversations
                 WHERE counselor = ?1 AND ended_at_ms IS NOT NULL AND started_at_ms IS NOT NULL
                   AND id NOT IN (SELECT conversation FROM wrapups)
                 ORDER BY ended_at_ms, rowid",
            )?;
            let rows = stmt.query_map([counselor], |r| {
                Ok(PendingWrapUp {
                    conversation: ConversationId(r.get(0)?),
                    service: ServiceId(r.get(1)?),
                    nickname: r.get(2)?,
                    ended_at_ms: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    // ---- dashboard ----

    /// Per service and quarter of an hour: conversations taken since `since_ms`, and the
    /// sum of their waits.
    pub async fn taken_by_quarter_since(&self, since_ms: i64) -> Result<Vec<TakenInQuarter>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT service, started_at_ms / ?2 AS quarter, COUNT(*),
                        COALESCE(SUM(started_at_ms - queued_at_ms), 0)
                 FROM conversations WHERE started_at_ms >= ?1 GROUP BY service, quarter",
            )?;
            let rows = stmt.query_map([since_ms, QUARTER_MS], |r| {
                Ok(TakenInQuarter {
                    service: ServiceId(r.get(0)?),
                    quarter_start_ms: r.get::<_, i64>(1)? * QUARTER_MS,
                    conversations: r.get(2)?,
                    total_wait_ms: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    // ---- paged scrollback ----

    /// The last `limit` messages before `before_seq` (all of the newest when `None`),
    /// oldest first.
    pub async fn messages_before(
        &self,
        id: ConversationId,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ChatMessage>> {
        let before = before_seq.map_or(i64::MAX, |s| i64::try_from(s).unwrap_or(i64::MAX));
        self.read(move |c| {
            let mut messages = query_messages(
                c,
                "SELECT seq, sender, body, at_ms FROM messages
                 WHERE conversation = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
                params![id.0, before, limit],
            )?;
            messages.reverse();
            Ok(messages)
        })
        .await
    }

    // ---- accounts ----

    pub fn list_accounts_blocking(&self) -> Result<Vec<AccountInfo>> {
        self.write_blocking(list_accounts)
    }

    /// Sets a new password hash and ends every session of the account. Returns `false`
    /// when there is no such account.
    pub fn set_password_blocking(&self, name: &str, password_hash: &str) -> Result<bool> {
        let (name, password_hash) = (name.to_owned(), password_hash.to_owned());
        self.write_blocking(move |c| {
            let changed = c.execute(
                "UPDATE accounts SET password_hash = ?2 WHERE name = ?1",
                params![name, password_hash],
            )?;
            c.execute("DELETE FROM sessions WHERE account = ?1", [name])?;
            Ok(changed == 1)
        })
    }

    /// Disables (ending every session) or enables an account. Returns `false` when there
    /// is no such account.
    pub fn set_disabled_blocking(&self, name: &str, disabled: bool) -> Result<bool> {
        let name = name.to_owned();
        self.write_blocking(move |c| {
            let changed = c.execute(
                "UPDATE accounts SET disabled = ?2 WHERE name = ?1",
                params![name, disabled],
            )?;
            if disabled {
                c.execute("DELETE FROM sessions WHERE account = ?1", [name])?;
            }
            Ok(changed == 1)
        })
    }

    /// The names of disabled accounts, so a running relay can sign out those disabled
    /// from the command line.
    pub async fn disabled_accounts(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT name FROM accounts WHERE disabled = 1")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Whether `name` is a disabled account.
    pub async fn is_disabled(&self, name: String) -> Result<bool> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT disabled FROM accounts WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
        })
        .await
    }
}

fn list_accounts(c: &Connection) -> Result<Vec<AccountInfo>> {
    let mut stmt =
        c.prepare_cached("SELECT name, role, disabled, created_at_ms FROM accounts ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (user, role, disabled, created_at_ms) = row?;
        Ok(AccountInfo {
            user,
            role: parse_role(&role)?,
            disabled,
            created_at_ms,
        })
    })
    .collect()
}
