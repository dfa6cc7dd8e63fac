//! The SQLite store: embedded, the default, and what `--dev` runs on.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`: when a write method returns, the write
//! is on disk. That is why the relay can acknowledge a message as soon as
//! [`SqliteStore::append_message`] returns.
//!
//! ## One writer, group commit
//!
//! Every write goes through [`SqliteStore::write`]: the closure is sent over a channel to
//! one dedicated thread that owns the only write connection. That thread takes every job
//! waiting in the channel (up to [`MAX_BATCH`]), runs them in ONE transaction, each inside
//! its own savepoint, commits (one fsync for the whole batch) and only then answers each
//! caller. So throughput no longer depends on fsync latency: while one batch is being
//! synced, the next one queues up. A job that fails is rolled back to its savepoint and
//! gets its error; the other jobs of the batch are still committed. If the commit itself
//! fails, every job of the batch gets that error (none of them is stored).
//!
//! Reads go through [`SqliteStore::read`] on a small pool of separate connections on
//! tokio's blocking pool. WAL lets them read the last committed state while the writer
//! syncs, so a read never waits behind a batch. A write is committed before its caller
//! resumes, so a read made after a write sees it.
//!
//! ## Schema versions
//!
//! `PRAGMA user_version` is the number of the last migration in [`MIGRATIONS`] applied.
//! Migration 1 is the schema as it was before versions were kept, written so that it
//! also brings a database made by that relay up to date (`CREATE TABLE IF NOT EXISTS`,
//! columns added when missing). A database with a higher number is refused.
//!
//! To add an operation, write it as a `self.write(move |c| ...)` or `self.read(move |c|
//! ...)` closure and use `c.prepare_cached` for its SQL (each connection keeps its own
//! statement cache, so the SQL is parsed once per connection).

mod privacy;
mod tally;
#[cfg(test)]
mod tests;
mod workbench;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use chathulp_shared::{ChatMessage, ConversationId, Intake, Party, ServiceId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Account, Appended, ConversationRecord, NewConversation, OpenConversation, Result,
    ServiceClosure, StoreError, parse_party, parse_role, party_str, seq_u64,
};

/// The most jobs one transaction takes: bounds the latency a batch adds to its first job.
pub const MAX_BATCH: usize = 1024;

/// Idle read connections kept open; more are opened under load and closed afterwards.
const READ_POOL: usize = 4;

/// Handle to the SQLite store; cheap to clone. The writer thread stops when the last
/// handle is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Arc<ReadPool>,
}

/// A write job as the writer thread sees it: runs the caller's closure inside a savepoint
/// and returns whether it succeeded, plus how to answer the caller once the batch's commit
/// is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Reply) + Send>;
/// Answers one caller with its result, or with the batch's commit error.
type Reply = Box<dyn FnOnce(std::result::Result<(), &StoreError>) + Send>;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS accounts (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256  TEXT PRIMARY KEY,
    account       TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id            TEXT PRIMARY KEY,
    service       TEXT NOT NULL,
    nickname      TEXT NOT NULL,
    intake        TEXT NOT NULL,
    counselor     TEXT,
    queued_at_ms  INTEGER NOT NULL,
    started_at_ms INTEGER,
    ended_at_ms   INTEGER,
    ended_by      TEXT,
    end_reason    TEXT,
    -- The visitor refused a dossier; the counselor can't mark it as a candidate then.
    no_dossier        INTEGER NOT NULL DEFAULT 0,
    dossier_candidate INTEGER NOT NULL DEFAULT 0,
    -- Post-chat survey answers (JSON), never shown to the counselor.
    survey        TEXT,
    survey_at_ms  INTEGER,
    -- SHA-256 of the visitor's resume token: the token itself is never stored.
    resume_token_sha256 TEXT NOT NULL DEFAULT '',
    linked_to     TEXT
);
CREATE INDEX IF NOT EXISTS conversations_open ON conversations (ended_at_ms, queued_at_ms);
CREATE TABLE IF NOT EXISTS service_closures (
    service      TEXT PRIMARY KEY,
    reason       TEXT NOT NULL,
    closed_by    TEXT NOT NULL,
    closed_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    sender       TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    body         TEXT NOT NULL,
    at_ms        INTEGER NOT NULL,
    PRIMARY KEY (conversation, seq),
    UNIQUE (conversation, sender, client_id)
);
"#;

/// Migration `i + 1` is `MIGRATIONS[i]`; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[fn(&Connection) -> Result<()>] =
    &[v1_schema_before_versions, tally::v2_tallies];

/// The schema as it was before versions were kept. It also upgrades a database made by
/// that relay (user_version 0, tables present): every statement is `IF NOT EXISTS`, and
/// the workbench's later columns are added when missing.
fn v1_schema_before_versions(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(workbench::SCHEMA)?;
    workbench::migrate(conn)?;
    conn.execute_batch(privacy::SCHEMA)?;
    Ok(())
}

/// Applies the migrations the database lacks, each in its own transaction with its new
/// version number, and refuses a database made by a newer relay.
fn migrate(conn: &Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: known,
        });
    }
    for (i, migration) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
        if version <= found {
            continue;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done =
            migration(conn).and_then(|()| Ok(conn.pragma_update(None, "user_version", version)?));
        match done {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        tracing::info!(version, "applied a SQLite schema migration");
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Purged conversations must not linger in free pages of the file.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_loop(conn, &queue))
            .map_err(|e| StoreError::NotStored(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStore {
            jobs,
            readers: Arc::new(ReadPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Runs `f` on the writer thread inside the next batch's transaction, and returns once
    /// that batch is committed and synced. `f` runs inside its own savepoint: when it
    /// returns an error, its changes are rolled back and the rest of the batch stays.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.map_err(|_| not_answered())?
    }

    /// [`SqliteStore::write`] for code outside the runtime (CLI commands, test set-up): blocks
    /// the current thread until the write is committed.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| not_answered())?
    }

    fn submit<T, F>(&self, f: F, answer: impl FnOnce(Result<T>) + Send + 'static) -> Result<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit| {
                answer(match commit {
                    Ok(()) => result,
                    Err(e) => result.and(Err(StoreError::NotStored(e.to_string()))),
                })
            });
            (ok, reply)
        });
        self.jobs.send(job).map_err(|_| not_answered())
    }

    /// Runs `f` with a read connection on the blocking pool. It sees every write that
    /// returned before the call.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let conn = readers.take()?;
            let result = f(&conn);
            readers.give_back(conn);
            result
        })
        .await?
    }

    /// An empty job through the writer thread, committed: `/readyz`'s store check.
    pub async fn check_writable(&self) -> Result<()> {
        self.write(|_| Ok(())).await
    }

    pub async fn journal_mode(&self) -> Result<String> {
        self.read(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))
            .await
    }

    // ---- accounts and sessions ----

    pub fn add_account_blocking(&self, account: &Account, now_ms: i64) -> Result<()> {
        let account = account.clone();
        self.write_blocking(move |c| insert_account(c, &account, now_ms))
    }

    pub async fn add_account(&self, account: Account, now_ms: i64) -> Result<()> {
        self.write(move |c| insert_account(c, &account, now_ms))
            .await
    }

    pub async fn account_count(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM accounts")?
                .query_row([], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    pub async fn account(&self, name: String) -> Result<Option<Account>> {
        self.read(move |c| {
            c.prepare_cached("SELECT name, role, password_hash FROM accounts WHERE name = ?1")?
                .query_row([&name], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })
                .optional()?
                .map(|(name, role, password_hash)| {
                    Ok(Account {
                        name,
                        role: parse_role(&role)?,
                        password_hash,
                    })
                })
                .transpose()
        })
        .await
    }

    pub async fn add_session(
        &self,
        token_sha256: String,
        account: String,
        expires_at_ms: i64,
    ) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO sessions (token_sha256, account, expires_at_ms) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![token_sha256, account, expires_at_ms])?;
            Ok(())
        })
        .await
    }

    /// Ends a session: its token no longer signs in.
    pub async fn delete_session(&self, token_sha256: String) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE token_sha256 = ?1")?
                .execute([token_sha256])?;
            Ok(())
        })
        .await
    }

    /// The account of an unexpired session.
    pub async fn session_account(
        &self,
        token_sha256: String,
        now_ms: i64,
    ) -> Result<Option<Account>> {
        let name: Option<String> = self
            .read(move |c| {
                Ok(c.prepare_cached(
                    "SELECT account FROM sessions WHERE token_sha256 = ?1 AND expires_at_ms > ?2",
                )?
                .query_row(params![token_sha256, now_ms], |r| r.get(0))
                .optional()?)
            })
            .await?;
        match name {
            Some(name) => self.account(name).await,
            None => Ok(None),
        }
    }

    // ---- conversations and messages ----

    pub async fn create_conversation(&self, conv: NewConversation) -> Result<()> {
        let intake =
            serde_json::to_string(&conv.intake).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO conversations (id, service, nickname, intake, queued_at_ms,
                    no_dossier, resume_token_sha256, linked_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                conv.id.0,
                conv.service.0,
                conv.nickname,
                intake,
                conv.queued_at_ms,
                conv.no_dossier,
                conv.resume_token_sha256,
                conv.linked_to.map(|l| l.0),
            ])?;
            Ok(())
        })
        .await
    }

    pub async fn assign_conversation(
        &self,
        id: ConversationId,
        counselor: String,
        at_ms: i64,
    ) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE conversations SET counselor = ?2, started_at_ms = ?3 WHERE id = ?1",
            )?
            .execute(params![id.0, counselor, at_ms])?;
            Ok(())
        })
        .await
    }

    pub async fn end_conversation(
        &self,
        id: ConversationId,
        by: Party,
        reason: Option<String>,
        at_ms: i64,
    ) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE conversations SET ended_at_ms = ?2, ended_by = ?3, end_reason = ?4
                 WHERE id = ?1 AND ended_at_ms IS NULL",
            )?
            .execute(params![id.0, at_ms, party_str(by), reason])?;
            Ok(())
        })
        .await
    }

    /// Records the visitor's dossier refusal; a refusal also clears the candidate mark.
    pub async fn set_no_dossier(&self, id: ConversationId, refuse: bool) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE conversations SET no_dossier = ?2,
                        dossier_candidate = CASE WHEN ?2 THEN 0 ELSE dossier_candidate END
                 WHERE id = ?1",
            )?
            .execute(params![id.0, refuse])?;
            Ok(())
        })
        .await
    }

    /// Marks a conversation as dossier candidate, unless the visitor refused a dossier.
    /// Returns `false` (and changes nothing) when they did.
    pub async fn set_dossier_candidate(&self, id: ConversationId, candidate: bool) -> Result<bool> {
        self.write(move |c| {
            let changed = c
                .prepare_cached(
                    "UPDATE conversations SET dossier_candidate = ?2
                 WHERE id = ?1 AND (no_dossier = 0 OR ?2 = 0)",
                )?
                .execute(params![id.0, candidate])?;
            Ok(changed == 1)
        })
        .await
    }

    /// Stores survey answers for an ended conversation that a counselor had taken, once,
    /// and not for one that ended in a block (its visitor is not offered the survey).
    /// Returns `false` when the survey is closed (not offered, or already answered).
    pub async fn save_survey(
        &self,
        id: ConversationId,
        answers: String,
        at_ms: i64,
    ) -> Result<bool> {
        self.write(move |c| {
            let changed = c
                .prepare_cached(
                    "UPDATE conversations SET survey = ?2, survey_at_ms = ?3
                 WHERE id = ?1 AND survey IS NULL AND ended_at_ms IS NOT NULL
                   AND started_at_ms IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM blocks WHERE blocks.conversation = ?1)",
                )?
                .execute(params![id.0, answers, at_ms])?;
            Ok(changed == 1)
        })
        .await
    }

    pub async fn close_service(&self, closure: ServiceClosure) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached("INSERT INTO service_closures (service, reason, closed_by, closed_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (service) DO UPDATE SET reason = ?2, closed_by = ?3, closed_at_ms = ?4")?.execute(
                params![
                    closure.service.0,
                    closure.reason,
                    closure.closed_by,
                    closure.closed_at_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Lifts a closure. Returns `false` if the service was not closed.
    pub async fn open_service(&self, service: ServiceId) -> Result<bool> {
        self.write(move |c| {
            Ok(
                c.prepare_cached("DELETE FROM service_closures WHERE service = ?1")?
                    .execute([service.0])?
                    == 1,
            )
        })
        .await
    }

    pub async fn service_closures(&self) -> Result<Vec<ServiceClosure>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT service, reason, closed_by, closed_at_ms FROM service_closures
                 ORDER BY service",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(ServiceClosure {
                    service: ServiceId(r.get(0)?),
                    reason: r.get(1)?,
                    closed_by: r.get(2)?,
                    closed_at_ms: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Puts a conversation back in the queue: its counselor did not come back in time.
    pub async fn unassign_conversation(&self, id: ConversationId) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE conversations SET counselor = NULL, started_at_ms = NULL WHERE id = ?1",
            )?
            .execute([id.0])?;
            Ok(())
        })
        .await
    }

    /// Every conversation not ended yet, oldest first: what a restarted relay restores.
    /// Each one's earlier contacts are counted as at its `hello`: other conversations
    /// with its address hash, queued no later, not ended before `retained_since_ms`.
    pub async fn open_conversations(
        &self,
        retained_since_ms: i64,
    ) -> Result<Vec<OpenConversation>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, service, nickname, intake, no_dossier, dossier_candidate,
                        queued_at_ms, counselor, started_at_ms, resume_token_sha256, linked_to,
                        handover_from, handover_note, handover_at_ms,
                        (SELECT COUNT(*) FROM visitor_addresses mine
                         JOIN visitor_addresses other
                           ON other.ip_hash = mine.ip_hash
                          AND other.conversation != mine.conversation
                         JOIN conversations earlier ON earlier.id = other.conversation
                         WHERE mine.conversation = conversations.id
                           AND earlier.queued_at_ms <= conversations.queued_at_ms
                           AND (earlier.ended_at_ms IS NULL OR earlier.ended_at_ms >= ?1))
                 FROM conversations WHERE ended_at_ms IS NULL ORDER BY queued_at_ms, rowid",
            )?;
            let rows = stmt.query_map([retained_since_ms], |r| {
                Ok((
                    OpenConversation {
                        id: ConversationId(r.get(0)?),
                        service: ServiceId(r.get(1)?),
                        nickname: r.get(2)?,
                        intake: Intake::default(),
                        no_dossier: r.get(4)?,
                        dossier_candidate: r.get(5)?,
                        queued_at_ms: r.get(6)?,
                        counselor: r.get(7)?,
                        started_at_ms: r.get(8)?,
                        resume_token_sha256: r.get(9)?,
                        linked_to: r.get::<_, Option<String>>(10)?.map(ConversationId),
                        handover: workbench::handover_at(r, 11)?,
                        earlier_contacts: u32::try_from(r.get::<_, i64>(14)?).unwrap_or(u32::MAX),
                    },
                    r.get::<_, String>(3)?,
                ))
            })?;
            rows.map(|row| {
                let (mut open, intake) = row?;
                open.intake = serde_json::from_str(&intake)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(open)
            })
            .collect()
        })
        .await
    }

    /// Stores one message and returns it with its sequence number. A repeat of the same
    /// `client_id` from the same sender returns the first copy (`is_new: false`) instead of
    /// storing twice.
    pub async fn append_message(
        &self,
        id: ConversationId,
        from: Party,
        client_id: String,
        text: String,
        at_ms: i64,
    ) -> Result<Appended> {
        self.write(move |c| {
            let existing = c
                .prepare_cached(
                    "SELECT seq, body, at_ms FROM messages
                     WHERE conversation = ?1 AND sender = ?2 AND client_id = ?3",
                )?
                .query_row(params![id.0, party_str(from), client_id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })
                .optional()?;
            if let Some((seq, text, at_ms)) = existing {
                return Ok(Appended {
                    message: ChatMessage {
                        seq: seq_u64(seq)?,
                        from,
                        text,
                        at_ms,
                    },
                    is_new: false,
                });
            }
            let insert = |seq: i64| {
                c.prepare_cached(
                    "INSERT INTO messages (conversation, seq, sender, client_id, body, at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    id.0,
                    seq,
                    party_str(from),
                    client_id,
                    text,
                    at_ms
                ])
            };
            let mut seq = next_seq::take(c, &id.0)?;
            if let Err(e) = insert(seq) {
                if e.sqlite_error_code() != Some(rusqlite::ErrorCode::ConstraintViolation) {
                    return Err(e.into());
                }
                // The remembered seq is taken after all: ask the table (see `next_seq`).
                next_seq::forget_all();
                seq = next_seq::take(c, &id.0)?;
                insert(seq)?;
            }
            next_seq::stored(&id.0, seq);
            Ok(Appended {
                message: ChatMessage {
                    seq: seq_u64(seq)?,
                    from,
                    text,
                    at_ms,
                },
                is_new: true,
            })
        })
        .await
    }

    /// The whole transcript of a conversation, in sequence order.
    pub async fn messages(&self, id: ConversationId) -> Result<Vec<ChatMessage>> {
        self.messages_after(id, 0).await
    }

    /// The messages of a conversation after `after_seq`, in sequence order.
    pub async fn messages_after(
        &self,
        id: ConversationId,
        after_seq: u64,
    ) -> Result<Vec<ChatMessage>> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        self.read(move |c| {
            query_messages(
                c,
                "SELECT seq, sender, body, at_ms FROM messages
                 WHERE conversation = ?1 AND seq > ?2 ORDER BY seq",
                params![id.0, after],
            )
        })
        .await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationRecord>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, service, nickname, intake, counselor, queued_at_ms, started_at_ms,
                        ended_at_ms, ended_by, no_dossier
                 FROM conversations WHERE id = ?1",
            )?
            .query_row([&id.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, bool>(9)?,
                ))
            })
            .optional()?
            .map(|row| {
                Ok(ConversationRecord {
                    id: ConversationId(row.0),
                    service: ServiceId(row.1),
                    nickname: row.2,
                    intake: serde_json::from_str(&row.3)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    counselor: row.4,
                    queued_at_ms: row.5,
                    started_at_ms: row.6,
                    ended_at_ms: row.7,
                    ended_by: row.8.as_deref().map(parse_party).transpose()?,
                    no_dossier: row.9,
                })
            })
            .transpose()
        })
        .await
    }
    /// See [`crate::store::Store::query_json`].
    pub async fn query_json(
        &self,
        sql: String,
        params: Vec<String>,
    ) -> Result<Vec<serde_json::Value>> {
        use rusqlite::types::ValueRef;
        self.read(move |c| {
            let mut stmt = c.prepare(&sql)?;
            let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
                let mut object = serde_json::Map::new();
                for (i, name) in names.iter().enumerate() {
                    let value = match row.get_ref(i)? {
                        ValueRef::Null => serde_json::Value::Null,
                        ValueRef::Integer(n) => serde_json::Value::from(n),
                        ValueRef::Real(f) => serde_json::Value::from(f),
                        ValueRef::Text(t) => {
                            serde_json::Value::from(String::from_utf8_lossy(t).into_owned())
                        }
                        ValueRef::Blob(_) => serde_json::Value::from("<blob>"),
                    };
                    object.insert(name.clone(), value);
                }
                Ok(serde_json::Value::Object(object))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

/// The writer thread: takes whatever jobs are waiting, runs them as one transaction and
/// answers them after the commit. Ends when every [`SqliteStore`] handle is gone.
fn write_loop(mut conn: Connection, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(job) = queue.try_recv()
        {
            batch.push(job);
        }
        let (jobs, started) = (batch.len(), std::time::Instant::now());
        run_batch(&mut conn, batch);
        crate::metrics::get().batch_written(jobs, started.elapsed());
    }
}

/// Runs one batch in one transaction, each job in its own savepoint, and answers every
/// job once the commit is known. A job whose closure panics is rolled back and its caller
/// gets [`StoreError::NotStored`] (its reply is dropped); the writer carries on.
///
/// The transaction and savepoint statements are prepared once (`prepare_cached`): rusqlite's
/// `Transaction`/`Savepoint` would parse `SAVEPOINT`/`RELEASE` again for every job, which
/// was 9 % of the relay's instructions per message in the profile (docs/performance.md).
fn run_batch(conn: &mut Connection, batch: Vec<Job>) {
    // When a transaction can't even begin, the jobs are dropped unrun and their callers
    // get [`StoreError::NotStored`].
    if let Err(e) = exec_cached(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "cannot begin a write transaction");
        return;
    }
    let mut replies = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(e) = exec_cached(conn, "SAVEPOINT job") {
            tracing::error!(error = %e, "cannot begin a savepoint");
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok((true, reply)) => match exec_cached(conn, "RELEASE job") {
                Ok(()) => replies.push(reply),
                Err(e) => {
                    roll_back_job(conn);
                    reply(Err(&StoreError::from(e)));
                }
            },
            Ok((false, reply)) => {
                roll_back_job(conn);
                replies.push(reply);
            }
            Err(_) => {
                roll_back_job(conn);
                tracing::error!("a store write panicked; its changes were rolled back");
            }
        }
    }
    match exec_cached(conn, "COMMIT") {
        Ok(()) => replies.into_iter().for_each(|reply| reply(Ok(()))),
        Err(e) => {
            let error = StoreError::from(e);
            tracing::error!(%error, "a write batch was not committed");
            if !conn.is_autocommit()
                && let Err(e) = exec_cached(conn, "ROLLBACK")
            {
                tracing::error!(error = %e, "cannot roll back the failed batch");
            }
            next_seq::forget_all();
            replies.into_iter().for_each(|reply| reply(Err(&error)));
        }
    }
}

fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Undoes the current job's changes and ends its savepoint. Whatever the job wrote into
/// the writer's caches is forgotten with it.
fn roll_back_job(conn: &Connection) {
    next_seq::forget_all();
    if let Err(e) =
        exec_cached(conn, "ROLLBACK TO job").and_then(|()| exec_cached(conn, "RELEASE job"))
    {
        tracing::error!(error = %e, "cannot roll back a store write");
    }
}

/// The next `seq` of each conversation the writer thread appended to lately.
///
/// Finding it in SQL (`MAX(seq)`, or `ORDER BY seq DESC LIMIT 1`) costs a whole re-prepare
/// of the statement on every call with this SQLite build (STAT4 marks the binding as
/// plan-relevant), which was 28 % of the relay's instructions per message. Only the writer
/// thread appends messages, so it can remember the number instead. The cache only ever
/// holds committed-or-in-this-batch values: it is cleared whenever a job is rolled back or
/// a batch fails. A miss falls back to the query, and so does a remembered seq that turns
/// out to be taken (the insert's primary key refuses it), should anything else ever write.
mod next_seq {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use rusqlite::Connection;

    /// Bounds the cache; past it, it starts again empty (a miss costs one query).
    const MAX_ENTRIES: usize = 65_536;

    thread_local! {
        static NEXT: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
    }

    /// The seq the next message of `conversation` gets: remembered, or asked of the table.
    pub(super) fn take(conn: &Connection, conversation: &str) -> rusqlite::Result<i64> {
        if let Some(seq) = NEXT.with_borrow(|next| next.get(conversation).copied()) {
            return Ok(seq);
        }
        conn.prepare_cached(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation = ?1",
        )?
        .query_row([conversation], |r| r.get(0))
    }

    /// `seq` of `conversation` is stored (in the current batch).
    pub(super) fn stored(conversation: &str, seq: i64) {
        NEXT.with_borrow_mut(|next| {
            if next.len() >= MAX_ENTRIES && !next.contains_key(conversation) {
                next.clear();
            }
            next.insert(conversation.to_owned(), seq + 1);
        });
    }

    pub(super) fn forget_all() {
        NEXT.with_borrow_mut(HashMap::clear);
    }
}

fn not_answered() -> StoreError {
    StoreError::NotStored("the database writer did not answer (see the log)".into())
}

/// Read connections, reused between calls.
struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn take(&self) -> Result<Connection> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(conn) = idle {
            return Ok(conn);
        }
        let conn = Connection::open(&self.path)?;
        conn.pragma_update(None, "query_only", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READ_POOL {
            idle.push(conn);
        }
    }
}

fn insert_account(c: &Connection, account: &Account, now_ms: i64) -> Result<()> {
    let inserted = c
        .prepare_cached(
            "INSERT OR IGNORE INTO accounts (name, role, password_hash, created_at_ms)
         VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            account.name,
            account.role.as_str(),
            account.password_hash,
            now_ms
        ])?;
    if inserted == 0 {
        return Err(StoreError::AccountExists(account.name.clone()));
    }
    Ok(())
}

/// Runs a `SELECT seq, sender, body, at_ms FROM messages ...` and reads its rows as
/// chat messages, in the order the query gives.
fn query_messages(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ChatMessage>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (seq, sender, text, at_ms) = row?;
        Ok(ChatMessage {
            seq: seq_u64(seq)?,
            from: parse_party(&sender)?,
            text,
            at_ms,
        })
    })
    .collect()
}
